/**
 * The fleet's rules, one worker in this process (the crash cases run workers as processes, in
 * fleet.spec.ts and resume.spec.ts): taskUUIDs fixed at enqueue, permanent errors fail at once,
 * retryable ones go again under fresh ids the job records, results and errors survive the queue.
 */
import { Job } from 'bullmq'
import { describe, expect, it } from 'vitest'
import { RunwareError } from '../../lib/support/errors.js'
import { RunwareQueue, startRunwareWorker, type RunwareJobData, type RunwareWorker } from '../../lib/queue/index.js'
import { API_KEY, useHarness } from '../helpers/harness.js'
import { IMAGE } from '../fixtures/tasks.js'
import { connection, freshQueueName, useClosing } from './fleet-harness.js'
import { until } from '../helpers/wait.js'

const harness = useHarness()
const closing = useClosing()

/** A queue of its own per test: nothing one test leaves behind reaches another. */
function queue(): RunwareQueue {
  const q = new RunwareQueue({ connection, name: freshQueueName('spec-queue'), jobOptions: { backoff: { type: 'fixed', delay: 10 } } })
  closing(q)
  return q
}

function worker(q: RunwareQueue, url: string, options: { concurrency?: number; retryDelayMs?: number } = {}): RunwareWorker {
  const w = startRunwareWorker({
    connection,
    name: q.name,
    concurrency: options.concurrency ?? 10,
    client: { apiKey: API_KEY, url, retry: { initialDelayMs: options.retryDelayMs ?? 5, maxDelayMs: 10 } },
    lockDurationMs: 2_000,
  })
  closing(w)
  return w
}

async function data(q: RunwareQueue, jobId: string): Promise<RunwareJobData> {
  const job = await Job.fromId<RunwareJobData>(q.queue, jobId)
  if (job === undefined) throw new Error(`no job ${jobId}`)
  return job.data
}

describe('RunwareQueue.add', () => {
  it('fixes the taskUUID at enqueue: the caller’s kept, a fresh one otherwise; the job id is the taskUUID', async () => {
    const q = queue()
    const given = '3b0e7c1a-2d4f-4a5b-9c6d-7e8f9a0b1c2d'
    const a = await q.add({ ...IMAGE, taskUUID: given })
    const b = await q.add({ ...IMAGE })
    expect(a).toEqual({ jobId: given, taskUUID: given })
    expect(b.taskUUID).toMatch(/^[0-9a-f-]{36}$/)
    expect(b.jobId).toBe(b.taskUUID)
    expect(await data(q, b.jobId)).toEqual({ task: { taskUUID: b.taskUUID, ...IMAGE }, taskUUIDs: [b.taskUUID] })
  })

  it('the same task added twice is one job', async () => {
    const q = queue()
    const task = { ...IMAGE, taskUUID: '4c1f8d2b-3e5a-4b6c-8d7e-8f9a0b1c2d3e' }
    await q.add(task)
    await q.add(task)
    expect(await q.queue.getJobCountByTypes('waiting')).toBe(1)
  })

  it('refuses a malformed task with invalidTask before anything reaches Redis', async () => {
    const q = queue()
    await expect(q.add({ taskType: '' })).rejects.toMatchObject({ code: 'invalidTask' })
    await expect(q.add({ ...IMAGE, taskUUID: 'not-a-uuid' })).rejects.toMatchObject({ code: 'invalidTask' })
    await expect(q.addBulk([{ ...IMAGE }, { ...IMAGE, numberResults: 0 }])).rejects.toMatchObject({ code: 'invalidTask' })
    expect(await q.queue.getJobCountByTypes('waiting', 'delayed', 'active')).toBe(0)
  })

  it('addBulk enqueues many, each under its own taskUUID', async () => {
    const q = queue()
    const added = await q.addBulk([{ ...IMAGE }, { ...IMAGE }, { ...IMAGE }])
    expect(new Set(added.map((a) => a.taskUUID)).size).toBe(3)
    expect(await q.queue.getJobCountByTypes('waiting')).toBe(3)
  })
})

describe('a worker', () => {
  it('runs jobs and result() resolves with their items, under the taskUUID fixed at enqueue', async () => {
    const sim = await harness.simulator({ latencyMs: 5 })
    const q = queue()
    worker(q, sim.url)
    const added = await q.addBulk(Array.from({ length: 20 }, () => ({ ...IMAGE, numberResults: 2 })))
    for (const { jobId, taskUUID } of added) {
      const items = await q.result(jobId, { timeoutMs: 10_000 })
      expect(items).toHaveLength(2)
      expect(items.every((item) => item.taskUUID === taskUUID)).toBe(true)
    }
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('a permanent error fails the job at once, without BullMQ retries; result() rejects with its code, category and message', async () => {
    const sim = await harness.simulator()
    const q = queue()
    worker(q, sim.url)
    sim.failNext(1, 'invalidPositivePrompt', { message: 'the prompt is not allowed' })
    const { jobId, taskUUID } = await q.add({ ...IMAGE }, { attempts: 5 })
    const error = await q.result(jobId, { timeoutMs: 10_000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RunwareError)
    expect(error).toMatchObject({ code: 'invalidPositivePrompt', category: 'validation', retryable: false, message: 'the prompt is not allowed', taskUUID })
    const job = await Job.fromId(q.queue, jobId)
    expect(job?.attemptsMade).toBe(1)
    expect((await data(q, jobId)).taskUUIDs).toEqual([taskUUID])
  })

  it('a retryable error goes again under a fresh taskUUID, recorded in the job; the job resolves with all its items', async () => {
    const sim = await harness.simulator()
    const q = queue()
    worker(q, sim.url)
    // Two failures: within the worker's own three tries.
    sim.failNext(2, 'timeoutProvider')
    const { jobId, taskUUID } = await q.add({ ...IMAGE, numberResults: 3 })
    const items = await q.result(jobId, { timeoutMs: 10_000 })
    expect(items).toHaveLength(3)
    const { taskUUIDs } = await data(q, jobId)
    expect(taskUUIDs).toHaveLength(3)
    expect(taskUUIDs[0]).toBe(taskUUID)
    expect(new Set(taskUUIDs).size).toBe(3)
    // Every id it went out under ran once; none twice.
    for (const id of taskUUIDs) expect(sim.stats.executions.get(id)).toBe(1)
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('after the worker’s own tries, BullMQ’s attempts go on under fresh ids, at most `attempts` times', async () => {
    const sim = await harness.simulator()
    const q = queue()
    worker(q, sim.url)
    // Three tries per attempt, two attempts: six failures fail the job for good.
    sim.failNext(6, 'serverError')
    const { jobId } = await q.add({ ...IMAGE }, { attempts: 2 })
    await expect(q.result(jobId, { timeoutMs: 10_000 })).rejects.toMatchObject({ code: 'serverError', category: 'server', retryable: true })
    const job = await Job.fromId(q.queue, jobId)
    expect(job?.attemptsMade).toBe(2)
    const { taskUUIDs } = await data(q, jobId)
    expect(new Set(taskUUIDs).size).toBe(6)
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('an async task’s progress becomes the job’s progress', async () => {
    const sim = await harness.simulator({ latencyMs: 300 })
    const q = queue()
    const w = worker(q, sim.url)
    const seen: unknown[] = []
    w.worker.on('progress', (_job, progress) => seen.push(progress))
    const { jobId } = await q.add({ taskType: 'videoInference', model: 'klingai:5@3', positivePrompt: 'a cat', deliveryMethod: 'async', duration: 5 })
    const items = await q.result(jobId, { timeoutMs: 20_000 })
    expect(items.length).toBeGreaterThan(0)
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.every((p) => typeof p === 'number' && p >= 0 && p <= 100)).toBe(true)
  })

  it('a job error never holds the API key, even when the server echoed it', async () => {
    const sim = await harness.simulator()
    const q = queue()
    worker(q, sim.url)
    sim.failNext(1, 'invalidPositivePrompt', { message: `bad prompt for ${API_KEY}` })
    const { jobId } = await q.add({ ...IMAGE })
    const error = (await q.result(jobId, { timeoutMs: 10_000 }).catch((e: unknown) => e)) as RunwareError
    expect(error.code).toBe('invalidPositivePrompt')
    expect(error.message).not.toContain(API_KEY)
    const job = await Job.fromId(q.queue, jobId)
    expect(JSON.stringify(job?.data)).not.toContain(API_KEY)
    expect(job?.failedReason).not.toContain(API_KEY)
  })

  it('a job whose data is not what add() wrote fails with invalidTask, never sent', async () => {
    const sim = await harness.simulator()
    const q = queue()
    worker(q, sim.url)
    await q.queue.add('runware-task', { task: { taskType: 'imageInference' }, taskUUIDs: ['nope'] }, { jobId: 'bad-job', attempts: 3 })
    await expect(q.result('bad-job', { timeoutMs: 10_000 })).rejects.toMatchObject({ code: 'invalidTask' })
    expect(sim.stats.tasksReceived).toBe(0)
  })
})

describe('RunwareQueue.result', () => {
  it('rejects with jobNotFound for no such job, and resultTimeout when it does not finish in time', async () => {
    const q = queue()
    await expect(q.result('no-such-job')).rejects.toMatchObject({ code: 'jobNotFound', category: 'notFound' })
    const { jobId } = await q.add({ ...IMAGE })
    await expect(q.result(jobId, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'resultTimeout', category: 'client' })
  })
})

describe('close()', () => {
  it('drains: takes no new job, lets those in flight finish, closes the socket', async () => {
    const sim = await harness.simulator({ latencyMs: 200 })
    const q = queue()
    const w = worker(q, sim.url, { concurrency: 5 })
    const added = await q.addBulk(Array.from({ length: 5 }, () => ({ ...IMAGE })))
    await until(() => sim.stats.tasksReceived === 5, 'the five tasks on the wire')
    await q.addBulk(Array.from({ length: 3 }, () => ({ ...IMAGE })))
    await w.close()
    expect(w.counts.completed).toBe(5)
    expect(w.client.state).toBe('closed')
    for (const { jobId } of added) expect(await (await Job.fromId(q.queue, jobId))?.getState()).toBe('completed')
    expect(await q.queue.getJobCountByTypes('waiting')).toBe(3)
  })
})
