/**
 * The fleet as it runs in production, small: one redis-server, the simulator with latency and
 * retryable faults, three worker processes started with the CLI, 2,000 jobs. One worker is
 * killed with SIGKILL mid-run and a replacement started; another is stopped with SIGTERM. Every
 * job completes exactly once, the simulator ran no taskUUID twice, nothing is left in the queue,
 * and every process exits by itself.
 */
import { expect, it } from 'vitest'
import { RunwareQueue } from '../../lib/queue/index.js'
import { exitOf, spawnCli, useCli, type Cli } from '../cli/process.js'
import { IMAGE } from '../fixtures/tasks.js'
import { connection, freshQueueName, redisUrl, useClosing } from './fleet-harness.js'
import { API_KEY, useHarness } from '../helpers/harness.js'
import { eventually } from '../helpers/wait.js'

const harness = useHarness()
useCli()
const closing = useClosing()

const JOBS = 2_000

it('2,000 jobs, a worker SIGKILLed and replaced, another SIGTERMed: each job once, nothing run twice', async () => {
  const sim = await harness.simulator({ latencyMs: { min: 20, max: 120 }, seed: 7 })
  // Retryable failures at completion: the worker tries again under a fresh id, recorded first.
  sim.failTasks({ fraction: 0.05 }, 'timeoutProvider')
  const name = freshQueueName('spec-fleet')
  const queue = new RunwareQueue({ connection, name, jobOptions: { backoff: { type: 'fixed', delay: 50 } } })
  closing(queue)
  const start = (): Cli =>
    spawnCli(['worker', '--redis', redisUrl, '--queue', name, '--url', sim.url, '--concurrency', '40', '--lock-ms', '1000', '--drain-ms', '10000'], {
      RUNWARE_API_KEY: API_KEY,
    })
  const workers = [start(), start(), start()]
  await Promise.all(workers.map((w) => w.waitFor(/worker: ready/, 'stderr', 30_000)))
  const added = await queue.addBulk(Array.from({ length: JOBS }, (_, i) => ({ ...IMAGE, positivePrompt: `job ${i}`, numberResults: 2 })))
  const completed = (): Promise<number> => queue.queue.getJobCountByTypes('completed')

  await eventually(async () => (await completed()) >= 400, '400 jobs done', 60_000)
  const [killed, stopped, kept] = workers as [Cli, Cli, Cli]
  killed.child.kill('SIGKILL')
  const replacement = start()
  await eventually(async () => (await completed()) >= 1_000, '1,000 jobs done', 60_000)
  stopped.child.kill('SIGTERM')
  expect(await exitOf(stopped, 30_000)).toEqual({ code: 0, signal: null })
  expect(stopped.stderr()).toMatch(/worker: drained; \d+ done, 0 failed/)

  await eventually(async () => (await completed()) === JOBS, 'every job done', 120_000, 100)
  const counts = await queue.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children')
  expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0, completed: JOBS, prioritized: 0, 'waiting-children': 0 })
  // Every job resolved with all its items, under its own ids.
  for (const { jobId } of added) expect(await queue.result(jobId, { timeoutMs: 1_000 })).toHaveLength(2)
  expect(sim.stats.executedTwice()).toEqual([])

  for (const w of [kept, replacement]) w.child.kill('SIGTERM')
  for (const w of [kept, replacement]) expect(await exitOf(w, 30_000)).toEqual({ code: 0, signal: null })
  expect((await exitOf(killed)).signal).toBe('SIGKILL')
  const resumed = [stopped, kept, replacement].map((w) => Number(/(\d+) resumed$/m.exec(w.stderr())?.[1] ?? 0)).reduce((a, b) => a + b, 0)
  const retried = sim.stats.executions.size - JOBS
  // The figures the issue note reports.
  console.log(
    `fleet: ${JOBS} jobs, 1 SIGKILL + 1 SIGTERM, ${resumed} stalled jobs resumed, ${retried} fresh-id retries, executed ` +
      `twice: ${sim.stats.executedTwice().length}`,
  )
  expect(resumed).toBeGreaterThan(0)
  expect(retried).toBeGreaterThan(0)
})
