/**
 * The fleet under operational faults that are about a worker, not a job: a drain that runs out,
 * an attempt that fails and goes again, an account that refuses work, a job id reused for other
 * work, a Redis set up to lose data, retention. None of them fails a job; none runs a task twice.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Job } from 'bullmq'
import { describe, expect, it } from 'vitest'
import { RunwareQueue, startRunwareWorker, type RunwareWorker } from '../../lib/queue/index.js'
import { exitOf, spawnCli, useCli } from '../cli/process.js'
import { IMAGE } from '../fixtures/tasks.js'
import { connection, freshQueueName, redisUrl, useClosing } from './fleet-harness.js'
import { API_KEY, useHarness } from '../helpers/harness.js'
import { startRedis } from '../helpers/redis-server.js'
import { eventually, until } from '../helpers/wait.js'

const harness = useHarness()
useCli()
const closing = useClosing()

function queue(): RunwareQueue {
  return closing(new RunwareQueue({ connection, name: freshQueueName('spec-ops'), jobOptions: { backoff: { type: 'fixed', delay: 10 } } }))
}

function worker(q: RunwareQueue, url: string, apiKey = API_KEY, options: { drainTimeoutMs?: number } = {}): RunwareWorker {
  return closing(
    startRunwareWorker({
      connection,
      name: q.name,
      concurrency: 10,
      client: { apiKey, url, retry: { initialDelayMs: 5, maxDelayMs: 10 } },
      lockDurationMs: 30_000,
      ...options,
    }),
  )
}

function cliWorker(name: string, url: string, apiKey: string, extra: readonly string[] = []): ReturnType<typeof spawnCli> {
  return spawnCli(['worker', '--redis', redisUrl, '--queue', name, '--url', url, '--concurrency', '20', '--lock-ms', '30000', ...extra], {
    RUNWARE_API_KEY: apiKey,
  })
}

describe('a draining worker never fails a job', () => {
  it('an attempt that fails past the worker’s own tries goes again: retried, not failed; the job completes', async () => {
    const sim = await harness.simulator()
    const q = queue()
    // Three failures use up the worker's three tries: BullMQ's next attempt runs it.
    sim.failNext(3, 'timeoutProvider')
    const w = cliWorker(q.name, sim.url, API_KEY)
    await w.waitFor(/worker: ready/, 'stderr')
    const { jobId } = await q.add({ ...IMAGE }, { attempts: 3 })
    expect(await q.result(jobId, { timeoutMs: 20_000 })).toHaveLength(1)
    w.child.kill('SIGTERM')
    expect(await exitOf(w)).toEqual({ code: 0, signal: null })
    expect(w.stderr()).toMatch(/worker: drained; 1 done, 0 failed, 1 retried, 0 given back, \d+ resumed/)
    expect(await q.queue.getJobCountByTypes('failed')).toBe(0)
  })

  it('a job still running when the drain runs out goes back to the queue at once, unfailed; another worker collects it under the same taskUUID', async () => {
    const sim = await harness.simulator()
    const q = queue()
    sim.holdResults()
    const { jobId, taskUUID } = await q.add({ ...IMAGE, numberResults: 2 })
    const leaving = cliWorker(q.name, sim.url, API_KEY, ['--drain-ms', '300'])
    await until(() => sim.stats.tasksReceived === 1, 'the job on the wire', 20_000)
    leaving.child.kill('SIGTERM')
    expect(await exitOf(leaving)).toEqual({ code: 0, signal: null })
    expect(leaving.stderr()).toMatch(/worker: drained; 0 done, 0 failed, 0 retried, 1 given back/)
    // Back in the queue now, not after its 30 s lock lapses.
    expect(await (await Job.fromId(q.queue, jobId))?.getState()).toBe('waiting')
    sim.releaseResults()
    const next = worker(q, sim.url)
    const items = await q.result(jobId, { timeoutMs: 20_000 })
    expect(items.map((item) => item.taskUUID)).toEqual([taskUUID, taskUUID])
    expect(sim.stats.executions.get(taskUUID)).toBe(1)
    expect(sim.stats.executedTwice()).toEqual([])
    await until(() => next.counts.completed === 1, 'the job counted as done')
    expect(next.counts).toMatchObject({ completed: 1, failed: 0, resumed: 1 })
  })
})

describe('many jobs sleeping out a retry at once', () => {
  it('is no leak: no MaxListenersExceededWarning on stderr (one abort listener per sleeping job)', async () => {
    const sim = await harness.simulator()
    const q = queue()
    const warnings: string[] = []
    const onWarning = (warning: Error): void => void warnings.push(warning.name)
    process.on('warning', onWarning)
    try {
      sim.failNext(15, 'timeoutProvider')
      const w = closing(
        startRunwareWorker({
          connection,
          name: q.name,
          concurrency: 20,
          client: { apiKey: API_KEY, url: sim.url, retry: { initialDelayMs: 300, maxDelayMs: 300 } },
        }),
      )
      const jobs = await q.addBulk(Array.from({ length: 15 }, (_, i) => ({ ...IMAGE, positivePrompt: `sleep ${i}` })))
      for (const { jobId } of jobs) expect(await q.result(jobId, { timeoutMs: 20_000 })).toHaveLength(1)
      expect(w.counts.failed).toBe(0)
      // A warning is emitted on a later tick.
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
    }
  })
})

describe('an account that refuses work never fails the queue', () => {
  it('two workers, one key revoked mid-run: 0 jobs failed, every job completed once by the other; the refused worker exits 3', async () => {
    const bad = 'revoked-key-0123456789abcdef'
    const sim = await harness.simulator({ apiKeys: [API_KEY, bad], latencyMs: { min: 20, max: 80 }, seed: 3 })
    const q = queue()
    const refused = cliWorker(q.name, sim.url, bad)
    const good = cliWorker(q.name, sim.url, API_KEY)
    await Promise.all([refused.waitFor(/worker: ready/, 'stderr'), good.waitFor(/worker: ready/, 'stderr')])
    const jobs = 200
    const added = await q.addBulk(Array.from({ length: jobs }, (_, i) => ({ ...IMAGE, positivePrompt: `job ${i}` })))
    await eventually(async () => (await q.queue.getJobCountByTypes('completed')) >= 40, '40 jobs done', 30_000)
    sim.revokeKey(bad)
    expect((await exitOf(refused)).code).toBe(3)
    expect(refused.stderr()).toMatch(/the account refused work \(invalidApiKey/)
    expect(refused.stderr()).toMatch(/worker: drained; \d+ done, 0 failed, 0 retried, [1-9]\d* given back/)
    expect(refused.stderr() + refused.stdout()).not.toContain(bad)
    await eventually(async () => (await q.queue.getJobCountByTypes('completed')) === jobs, 'every job done', 60_000, 100)
    expect(await q.queue.getJobCounts('failed', 'waiting', 'active', 'delayed')).toEqual({ failed: 0, waiting: 0, active: 0, delayed: 0 })
    for (const { jobId } of added) expect(await q.result(jobId, { timeoutMs: 1_000 })).toHaveLength(1)
    expect(sim.stats.executedTwice()).toEqual([])
    good.child.kill('SIGTERM')
    expect((await exitOf(good)).code).toBe(0)
  })

  it('a quota code (no credits) is about the account too: the job goes back unfailed and `refused` settles with the code', async () => {
    const sim = await harness.simulator()
    const q = queue()
    sim.failNext(1, 'insufficientCredits')
    const w = worker(q, sim.url)
    const { jobId } = await q.add({ ...IMAGE })
    const refusal = await w.refused
    expect(refusal).toMatchObject({ code: 'insufficientCredits', category: 'quota' })
    await until(() => w.counts.givenBack === 1, 'the job given back', 10_000)
    // A fetch already blocked when the worker paused may take the job once more and give it back
    // again; once the worker is closed nothing of it holds the job.
    await w.close()
    expect(await (await Job.fromId(q.queue, jobId))?.getState()).toBe('waiting')
    expect(w.counts).toMatchObject({ failed: 0, givenBack: 1 })
  })

  it('a spent budget is about the account too: budgetExceeded, the next job goes back unfailed, none runs past it', async () => {
    const sim = await harness.simulator()
    const q = queue()
    // One image costs more than this: the first job spends the budget, the second is refused.
    const w = closing(startRunwareWorker({ connection, name: q.name, concurrency: 1, client: { apiKey: API_KEY, url: sim.url, budget: { maxUSD: 0.00001 } } }))
    const first = await q.add({ ...IMAGE, positivePrompt: 'the first' })
    expect(await q.result(first.jobId, { timeoutMs: 10_000 })).toHaveLength(1)
    const second = await q.add({ ...IMAGE, positivePrompt: 'the second' })
    expect(await w.refused).toMatchObject({ code: 'budgetExceeded', category: 'quota' })
    await until(() => w.counts.givenBack === 1, 'the job given back', 10_000)
    await w.close()
    expect(await (await Job.fromId(q.queue, second.jobId))?.getState()).toBe('waiting')
    expect(w.counts).toMatchObject({ completed: 1, failed: 0 })
    expect(sim.stats.executions.size).toBe(1)
  })
})

describe('RunwareQueue.add under a job id already taken', () => {
  it('refuses a different task with jobConflict; the same task again is the same job', async () => {
    const q = queue()
    const first = await q.add({ ...IMAGE, positivePrompt: 'a red fox' }, { jobId: 'order-7' })
    await expect(q.add({ ...IMAGE, positivePrompt: 'a blue whale' }, { jobId: 'order-7' })).rejects.toMatchObject({ code: 'jobConflict', category: 'client' })
    // Keys in another order, no taskUUID of its own: the same work, the same job and id.
    const { positivePrompt: _, ...rest } = IMAGE
    expect(await q.add({ positivePrompt: 'a red fox', ...rest }, { jobId: 'order-7' })).toEqual(first)
    expect(await q.queue.getJobCountByTypes('waiting')).toBe(1)
  })

  it('refuses a different task under a taskUUID already queued, in addBulk too', async () => {
    const q = queue()
    const taskUUID = '5d2e9f3c-4a6b-4c7d-9e8f-0a1b2c3d4e5f'
    await q.add({ ...IMAGE, taskUUID })
    await expect(
      q.addBulk([
        { ...IMAGE, positivePrompt: 'fresh' },
        { ...IMAGE, taskUUID, height: 768 },
      ]),
    ).rejects.toMatchObject({ code: 'jobConflict' })
  })
})

describe('Redis set up to lose data, and retention', () => {
  it('a worker warns at start when Redis may evict keys or has no AOF, in its own words (no raw BullMQ lines)', async () => {
    const redis = await startRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] })
    try {
      const sim = await harness.simulator()
      const w = spawnCli(['worker', '--redis', redis.url, '--queue', freshQueueName('spec-ops'), '--url', sim.url], { RUNWARE_API_KEY: API_KEY })
      await w.waitFor(/worker: ready/, 'stderr')
      expect(w.stderr()).toMatch(/worker: warning: Redis maxmemory-policy is allkeys-lru: .*set it to noeviction/)
      expect(w.stderr()).toMatch(/worker: warning: Redis has no AOF persistence/)
      expect(w.stderr()).not.toMatch(/IMPORTANT!/)
      w.child.kill('SIGTERM')
      expect((await exitOf(w)).code).toBe(0)
    } finally {
      await redis.stop()
    }
  })

  it('keepCompleted bounds what stays in Redis; enqueue --keep-completed-s sets it on every job', async () => {
    const sim = await harness.simulator()
    const q = closing(new RunwareQueue({ connection, name: freshQueueName('spec-ops'), keepCompleted: { count: 2 } }))
    worker(q, sim.url)
    const added = await q.addBulk(Array.from({ length: 5 }, () => ({ ...IMAGE })))
    await eventually(async () => (await q.queue.getJobCountByTypes('waiting', 'active')) === 0, 'every job run', 20_000)
    await eventually(async () => (await q.queue.getJobCountByTypes('completed')) === 2, 'two kept', 20_000)
    const kept = await q.queue.getJobs(['completed'])
    expect(kept.map((job) => job.opts.removeOnComplete)).toEqual([{ count: 2 }, { count: 2 }])
    expect(added.filter((a) => kept.some((job) => job.id === a.jobId))).toHaveLength(2)
    const dir = mkdtempSync(join(tmpdir(), 'runware-enqueue-'))
    const input = join(dir, 'tasks.jsonl')
    writeFileSync(input, `${JSON.stringify(IMAGE)}\n`)
    const name = freshQueueName('spec-ops')
    const enqueue = spawnCli([
      'enqueue',
      input,
      '--redis',
      redisUrl,
      '--queue',
      name,
      '--no-wait',
      '--keep-completed-s',
      '120',
      '--out',
      join(dir, 'out.jsonl'),
    ])
    expect((await exitOf(enqueue)).code).toBe(0)
    const other = closing(new RunwareQueue({ connection, name }))
    const [job] = await other.queue.getJobs(['waiting'])
    expect(job?.opts.removeOnComplete).toEqual({ age: 120 })
    expect(() => new RunwareQueue({ connection, keepCompleted: {} })).toThrow(/keepCompleted needs ageSeconds, count or both/)
    expect(() => new RunwareQueue({ connection, keepFailed: { ageSeconds: -1 } })).toThrow(/keepFailed.ageSeconds must be a whole number/)
  })
})
