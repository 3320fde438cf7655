/**
 * Redis that cannot be reached: at start it is a clear message and exit 3 within a bound, never
 * an idle "ready"; mid-run it is one line when the outage starts and one when it ends, waited
 * out, and a drain during it still ends within its bound. Every line the commands write is their
 * own (prefixed), none is BullMQ's or ioredis's raw output. Each spec has a redis-server of its
 * own, stopped and started again on the same port with its AOF kept.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RunwareQueue } from '../../lib/queue/index.js'
import { exitOf, spawnCli, useCli, type Cli } from '../cli/process.js'
import { IMAGE } from '../fixtures/tasks.js'
import { freshQueueName } from './fleet-harness.js'
import { API_KEY, useHarness } from '../helpers/harness.js'
import { freeRedisPort, startRedis, type RedisServer } from '../helpers/redis-server.js'
import { eventually } from '../helpers/wait.js'

const harness = useHarness()
useCli()

const stopping: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of stopping.splice(0).reverse()) await stop()
})

/** Every stderr line is the command's own: `worker: …` / `enqueue: …` (a progress line may be rewritten in place). */
function ownLines(cli: Cli, prefix: string): void {
  const lines = cli
    .stderr()
    .split('\n')
    .filter((line) => line.trim() !== '')
  expect(lines.filter((line) => !line.startsWith(`${prefix}: `))).toEqual([])
}

function count(text: string, pattern: RegExp): number {
  return text.split('\n').filter((line) => pattern.test(line)).length
}

async function durableRedis(): Promise<{ current: () => RedisServer; stop: () => Promise<void>; start: () => Promise<void> }> {
  const port = await freeRedisPort()
  const dir = mkdtempSync(join(tmpdir(), 'runware-redis-aof-'))
  let server = await startRedis({ port, dir, aof: true })
  let up = true
  stopping.push(async () => {
    if (up) await server.stop()
  })
  return {
    current: () => server,
    stop: async () => {
      up = false
      await server.stop()
    },
    start: async () => {
      server = await startRedis({ port, dir, aof: true })
      up = true
    },
  }
}

describe('Redis unreachable at start', () => {
  it('worker: a clear message and exit 3 within --redis-timeout-ms; never "ready", never the key', async () => {
    const port = await freeRedisPort()
    const sim = await harness.simulator()
    const worker = spawnCli(['worker', '--redis', `redis://127.0.0.1:${port}`, '--url', sim.url, '--redis-timeout-ms', '1000'], { RUNWARE_API_KEY: API_KEY })
    expect((await exitOf(worker, 20_000)).code).toBe(3)
    expect(worker.stderr()).toMatch(
      new RegExp(`worker: cannot start: redisUnavailable: Redis at 127\\.0\\.0\\.1:${port} did not answer within 1000 ms \\(.*ECONNREFUSED`),
    )
    expect(worker.stderr()).not.toMatch(/ready/)
    expect(worker.stderr() + worker.stdout()).not.toContain(API_KEY)
    ownLines(worker, 'worker')
  })

  it('enqueue: the same, before anything is enqueued or waited for', async () => {
    const port = await freeRedisPort()
    const dir = mkdtempSync(join(tmpdir(), 'runware-enqueue-'))
    const input = join(dir, 'tasks.jsonl')
    writeFileSync(input, `${JSON.stringify(IMAGE)}\n`)
    const enqueue = spawnCli(['enqueue', input, '--redis', `redis://127.0.0.1:${port}`, '--redis-timeout-ms', '1000', '--out', join(dir, 'out.jsonl')])
    expect((await exitOf(enqueue, 20_000)).code).toBe(3)
    expect(enqueue.stderr()).toMatch(/enqueue: cannot start: redisUnavailable: Redis at 127\.0\.0\.1:\d+ did not answer within 1000 ms/)
    expect(enqueue.stderr()).not.toMatch(/enqueued/)
    ownLines(enqueue, 'enqueue')
  })
})

describe('a Redis outage mid-run', () => {
  it('is reported once when it starts and once when it ends (worker, enqueue, a RunwareQueue’s logger), waited out; every job completes once', async () => {
    const redis = await durableRedis()
    const sim = await harness.simulator({ latencyMs: { min: 20, max: 60 }, seed: 5 })
    const name = freshQueueName('spec-outage')
    const url = redis.current().url
    const worker = spawnCli(['worker', '--redis', url, '--queue', name, '--url', sim.url, '--concurrency', '10', '--lock-ms', '3000'], {
      RUNWARE_API_KEY: API_KEY,
    })
    await worker.waitFor(/worker: ready/, 'stderr')
    const dir = mkdtempSync(join(tmpdir(), 'runware-enqueue-'))
    const input = join(dir, 'tasks.jsonl')
    writeFileSync(input, `${Array.from({ length: 100 }, (_, i) => JSON.stringify({ ...IMAGE, positivePrompt: `job ${i}` })).join('\n')}\n`)
    const enqueue = spawnCli(['enqueue', input, '--redis', url, '--queue', name, '--out', join(dir, 'out.jsonl')])
    const lines: string[] = []
    const consoleError = vi.spyOn(console, 'error')
    const consoleWarn = vi.spyOn(console, 'warn')
    const q = new RunwareQueue({
      connection: { url, maxRetriesPerRequest: null },
      name,
      logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) },
    })
    try {
      await eventually(async () => (await q.queue.getJobCountByTypes('completed')) >= 20, '20 jobs done', 30_000)
      await redis.stop()
      await worker.waitFor(/worker: Redis at 127\.0\.0\.1:\d+ is unreachable/, 'stderr')
      await enqueue.waitFor(/enqueue: Redis at 127\.0\.0\.1:\d+ is unreachable/, 'stderr')
      await eventually(() => lines.some((line) => line.includes('is unreachable')), 'the queue’s logger told of the outage', 10_000)
      await redis.start()
      await worker.waitFor(/worker: Redis at 127\.0\.0\.1:\d+ is reachable again after \d+\.\d s/, 'stderr')
      expect((await exitOf(enqueue, 60_000)).code).toBe(0)
      expect(enqueue.stderr()).toMatch(/100 job\(s\) recorded .*: 100 ok, 0 failed/)
      await eventually(() => lines.some((line) => line.includes('reachable again')), 'the queue’s logger told of the end', 10_000)
      expect(await q.queue.getJobCounts('completed', 'failed')).toEqual({ completed: 100, failed: 0 })
      expect(sim.stats.executedTwice()).toEqual([])
      worker.child.kill('SIGTERM')
      expect((await exitOf(worker)).code).toBe(0)
      for (const [cli, prefix] of [
        [worker, 'worker'],
        [enqueue, 'enqueue'],
      ] as const) {
        expect(count(cli.stderr(), /is unreachable/)).toBe(1)
        expect(count(cli.stderr(), /reachable again/)).toBe(1)
        ownLines(cli, prefix)
      }
      expect(lines.filter((line) => line.includes('is unreachable'))).toHaveLength(1)
      expect(lines.filter((line) => line.includes('reachable again'))).toHaveLength(1)
      expect(consoleError).not.toHaveBeenCalled()
      expect(consoleWarn).not.toHaveBeenCalled()
    } finally {
      consoleError.mockRestore()
      consoleWarn.mockRestore()
      await q.close()
    }
  })

  it('SIGTERM during an outage: the worker drains within --drain-ms and exits 0', async () => {
    const redis = await durableRedis()
    const sim = await harness.simulator({ latencyMs: 2_000 })
    const name = freshQueueName('spec-outage')
    const q = new RunwareQueue({ connection: { url: redis.current().url }, name })
    await q.addBulk(Array.from({ length: 5 }, () => ({ ...IMAGE })))
    await q.close()
    const worker = spawnCli(['worker', '--redis', redis.current().url, '--queue', name, '--url', sim.url, '--drain-ms', '2000'], { RUNWARE_API_KEY: API_KEY })
    await worker.waitFor(/worker: ready/, 'stderr')
    await eventually(() => sim.stats.tasksReceived === 5, 'the jobs on the wire', 20_000)
    await redis.stop()
    await worker.waitFor(/is unreachable/, 'stderr')
    const signalled = performance.now()
    worker.child.kill('SIGTERM')
    // A bound on a hang, not a speed: the drain's 2 s, the give-back's share of it, the process's exit.
    expect(await exitOf(worker, 20_000)).toEqual({ code: 0, signal: null })
    expect(performance.now() - signalled).toBeLessThan(2_000 + 5_000)
    expect(worker.stderr()).toMatch(/worker: drained; 0 done, 0 failed/)
    ownLines(worker, 'worker')
  })
})
