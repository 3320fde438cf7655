/**
 * Crashes, with real processes: a worker killed with SIGKILL while its job is on the wire, and an
 * `enqueue` killed before it collected its results. Nothing runs twice, nothing is lost.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Job } from 'bullmq'
import { describe, expect, it } from 'vitest'
import { RunwareQueue, startRunwareWorker, type RunwareJobData, type RunwareWorker } from '../../lib/queue/index.js'
import { exitOf, spawnCli, useCli } from '../cli/process.js'
import { IMAGE } from '../fixtures/tasks.js'
import { connection, freshQueueName, redisUrl, useClosing } from './fleet-harness.js'
import { API_KEY, useHarness } from '../helpers/harness.js'
import { eventually, until } from '../helpers/wait.js'

const harness = useHarness()
useCli()
const closing = useClosing()

function worker(name: string, url: string): RunwareWorker {
  const w = startRunwareWorker({ connection, name, concurrency: 10, client: { apiKey: API_KEY, url }, lockDurationMs: 1_000 })
  closing(w)
  return w
}

describe('a worker killed with SIGKILL mid-job', () => {
  it('another worker resumes the job under the taskUUID it was sent with: collected, not run twice', async () => {
    const sim = await harness.simulator()
    const name = freshQueueName('spec-resume')
    const q = new RunwareQueue({ connection, name })
    closing(q)
    sim.holdResults()
    const { jobId, taskUUID } = await q.add({ ...IMAGE, numberResults: 2 })
    const doomed = spawnCli(['worker', '--redis', redisUrl, '--queue', name, '--url', sim.url, '--lock-ms', '1000', '--concurrency', '5'], {
      RUNWARE_API_KEY: API_KEY,
    })
    await until(() => sim.stats.tasksReceived === 1, 'the job on the wire', 20_000)
    doomed.child.kill('SIGKILL')
    expect((await exitOf(doomed)).signal).toBe('SIGKILL')
    // The server finishes the task with nobody listening: its results wait for whoever asks.
    sim.releaseResults()
    const rescuer = worker(name, sim.url)
    const items = await q.result(jobId, { timeoutMs: 20_000 })
    expect(items).toHaveLength(2)
    expect(items.every((item) => item.taskUUID === taskUUID)).toBe(true)
    expect(rescuer.counts.resumed).toBe(1)
    expect(sim.stats.executions.get(taskUUID)).toBe(1)
    expect(sim.stats.executedTwice()).toEqual([])
    const job = await Job.fromId<RunwareJobData>(q.queue, jobId)
    expect(job?.data.taskUUIDs).toEqual([taskUUID])
  })
})

describe('enqueue killed, then run again with the same --out', () => {
  it('enqueues nothing twice and records every line once', async () => {
    const sim = await harness.simulator({ latencyMs: 20 })
    const name = freshQueueName('spec-resume')
    const dir = mkdtempSync(join(tmpdir(), 'runware-enqueue-'))
    const input = join(dir, 'tasks.jsonl')
    const out = join(dir, 'out.jsonl')
    const lines = [
      ...Array.from({ length: 30 }, (_, i) => JSON.stringify({ ...IMAGE, positivePrompt: `prompt ${i}` })),
      'not json',
      JSON.stringify({ ...IMAGE, positivePrompt: 'last' }),
    ]
    writeFileSync(input, `${lines.join('\n')}\n`)
    // No worker yet: the first enqueue adds every job, then waits; it is killed while it waits.
    const first = spawnCli(['enqueue', input, '--redis', redisUrl, '--queue', name, '--out', out])
    const q = new RunwareQueue({ connection, name })
    closing(q)
    await eventually(() => existsSync(out) && readFileSync(out, 'utf8').includes('"invalidTask"'), 'the bad line recorded', 20_000)
    await eventually(async () => (await q.queue.getJobCountByTypes('waiting')) === 31, 'every job enqueued', 20_000)
    first.child.kill('SIGKILL')
    await exitOf(first)
    worker(name, sim.url)
    const second = spawnCli(['enqueue', input, '--redis', redisUrl, '--queue', name, '--out', out])
    expect((await exitOf(second, 60_000)).code).toBe(1)
    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { line?: number; status?: string; code?: string })
    const tasks = records.filter((record) => record.line !== undefined)
    expect(tasks).toHaveLength(32)
    expect(new Set(tasks.map((record) => record.line)).size).toBe(32)
    expect(tasks.filter((record) => record.status === 'ok')).toHaveLength(31)
    expect(tasks.find((record) => record.line === 31)).toMatchObject({ status: 'error', code: 'invalidTask' })
    expect(await q.queue.getJobCountByTypes('completed')).toBe(31)
    expect(sim.stats.executions.size).toBe(31)
    expect(sim.stats.executedTwice()).toEqual([])
    // A third run finds everything recorded: nothing enqueued, nothing waited for.
    const third = spawnCli(['enqueue', input, '--redis', redisUrl, '--queue', name, '--out', out])
    expect((await exitOf(third, 30_000)).code).toBe(1)
    expect(third.stderr()).toMatch(/32 job\(s\) recorded/)
    expect(await q.queue.getJobCountByTypes('completed', 'waiting', 'active')).toBe(31)
  })
})
