/**
 * result() never misses a completion, whenever the job finishes: before the call, while the call
 * sets up its listener, or after. The jobs here are finished by a bare BullMQ worker whose
 * processor answers at once (or at a moment the spec picks), so the completions land in the
 * window where a listener that was set up after reading the job's state, or an event reader
 * started from "$", would lose them.
 */
import { Worker, type Job } from 'bullmq'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { RunwareQueue, type RunwareJobData } from '../../lib/queue/index.js'
import type { ResultItem } from '../../lib/protocol/protocol.js'
import { IMAGE } from '../fixtures/tasks.js'
import { connection, freshQueueName, useClosing } from './fleet-harness.js'
import { startRedis } from '../helpers/redis-server.js'

const closing = useClosing()

const answer = (job: Job<RunwareJobData>): ResultItem[] => [{ taskType: job.data.task.taskType, taskUUID: String(job.data.task.taskUUID) }]

function bareWorker(name: string, processor: (job: Job<RunwareJobData>) => Promise<ResultItem[]>, concurrency = 50): Worker {
  return closing(new Worker<RunwareJobData, ResultItem[]>(name, processor, { connection, concurrency, skipVersionCheck: true }))
}

describe('RunwareQueue.result', () => {
  it('1,000 calls on jobs finishing as fast as a worker can take them, from ten fresh queues: every one resolves with its items', async () => {
    const name = freshQueueName('spec-done')
    const producer = closing(new RunwareQueue({ connection, name }))
    const added = await producer.addBulk(Array.from({ length: 1_000 }, (_, i) => ({ ...IMAGE, positivePrompt: `job ${i}` })))
    let done = 0
    bareWorker(name, (job) => {
      done += 1
      return Promise.resolve(answer(job))
    })
    // Jobs are finishing already; ten RunwareQueues, each made now, each asked for 100 of them
    // while its own event reader is being set up.
    while (done === 0) await new Promise((resolve) => setImmediate(resolve))
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, k) => {
        const q = closing(new RunwareQueue({ connection, name }))
        return Promise.all(
          added.slice(k * 100, k * 100 + 100).map(({ jobId }) =>
            q.result(jobId, { timeoutMs: 5_000 }).then(
              (items) => ({ jobId, items }),
              (error: unknown) => ({ jobId, error }),
            ),
          ),
        )
      }),
    )
    const all = results.flat()
    expect(all.filter((r) => 'error' in r)).toEqual([])
    for (const r of all) if ('items' in r) expect(r.items).toEqual([{ taskType: 'imageInference', taskUUID: r.jobId }])
  })

  it('a job finishing within a millisecond of the call, on a queue whose reader is not set up yet: 40 rounds, none missed', async () => {
    let missed = 0
    for (let round = 0; round < 40; round++) {
      // A new RunwareQueue each round: its event reader is made by this very call.
      const q = closing(new RunwareQueue({ connection, name: freshQueueName('spec-done') }))
      let release: () => void = () => undefined
      const gate = new Promise<void>((resolve) => (release = resolve))
      let started: () => void = () => undefined
      const taken = new Promise<void>((resolve) => (started = resolve))
      bareWorker(
        q.name,
        async (job) => {
          started()
          await gate
          return answer(job)
        },
        1,
      )
      const { jobId } = await q.add({ ...IMAGE })
      await taken
      // The completion is let go at a moment that walks across the call's own setup, 0 to ~2 ms in.
      const lag = round % 4
      const waiting = q.result(jobId, { timeoutMs: 3_000 })
      if (lag === 0) release()
      else setTimeout(release, lag - 1)
      await waiting.catch(() => (missed += 1))
    }
    expect(missed).toBe(0)
  })

  it('a reader that falls behind a capped events stream loses events: the sweep still finds every finished job', async () => {
    // Streams trimmed exactly (one entry per node), and this queue's events capped at one entry:
    // most completion events are gone before any reader sees them.
    const redis = await startRedis({ args: ['--stream-node-max-entries', '1'] })
    const admin = new Redis(redis.url)
    try {
      const local = { url: redis.url }
      const q = new RunwareQueue({ connection: local, name: freshQueueName('spec-done') })
      const added = await q.addBulk(Array.from({ length: 200 }, (_, i) => ({ ...IMAGE, positivePrompt: `job ${i}` })))
      await admin.hset(q.queue.keys.meta ?? '', 'opts.maxLenEvents', 1)
      const waiting = Promise.all(added.map(({ jobId }) => q.result(jobId, { timeoutMs: 30_000 })))
      const worker = new Worker<RunwareJobData, ResultItem[]>(q.name, (job) => Promise.resolve(answer(job)), {
        connection: local,
        concurrency: 50,
        skipVersionCheck: true,
      })
      const results = await waiting
      expect(results.every((items) => items.length === 1)).toBe(true)
      // 600 events were written (waiting, active, completed per job); a handful are left.
      expect(await admin.xlen(q.queue.keys.events ?? '')).toBeLessThan(10)
      await worker.close()
      await q.close()
    } finally {
      admin.disconnect()
      await redis.stop()
    }
  })
})
