/**
 * The fleet-wide slow-down (capacity-signals.ts), with real Redis and two workers: a capacity code
 * one worker meets cuts that model's limit in the other, which met no code itself; only that
 * model; no echo; opted out or fixed concurrency, nothing; a foreign or malformed message is
 * bounded and ignored; a Redis restart does not end it.
 */
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { startRunwareWorker, type RunwareWorker } from '../../lib/queue/index.js'
import { capacityChannel, parseSignal } from '../../lib/queue/capacity-signals.js'
import type { LimitEvent } from '../../lib/api/events.js'
import type { ConnectionOptions } from 'bullmq'
import { connection, freshQueueName, redisUrl, useClosing } from './fleet-harness.js'
import { API_KEY, useHarness } from '../helpers/harness.js'
import { freeRedisPort, startRedis } from '../helpers/redis-server.js'
import { eventually, failure } from '../helpers/wait.js'

const harness = useHarness()
const closing = useClosing()
const M = 'sim:busy@1'
const N = 'sim:calm@1'
const task = (model: string) => ({ taskType: 'imageInference' as const, model, positivePrompt: `fleet ${model}`, width: 512, height: 512 })

interface Watched {
  readonly worker: RunwareWorker
  readonly limits: LimitEvent[]
  readonly failures: string[]
}

function start(
  queue: string,
  url: string,
  extra: { shareCapacity?: boolean; adaptive?: boolean; connection?: ConnectionOptions; drainTimeoutMs?: number } = {},
): Watched {
  const worker = closing(
    startRunwareWorker({
      connection: extra.connection ?? connection,
      name: queue,
      concurrency: 20,
      shareCapacity: extra.shareCapacity,
      drainTimeoutMs: extra.drainTimeoutMs,
      client: { apiKey: API_KEY, url, concurrency: extra.adaptive === false ? undefined : { adaptive: true, initial: 8 } },
    }),
  )
  const limits: LimitEvent[] = []
  const failures: string[] = []
  worker.client.on('limit', (event) => limits.push(event))
  worker.client.on('task', (event) => {
    if (event.type === 'retry' || (event.type === 'settled' && event.outcome === 'rejected')) failures.push(event.code)
  })
  return { worker, limits, failures }
}

/** Waits until `count` connections are subscribed to the queue's channel. */
async function subscribed(queue: string, count: number, url = redisUrl): Promise<void> {
  const redis = new Redis(url)
  try {
    await eventually(
      async () => {
        const reply = (await redis.pubsub('NUMSUB', capacityChannel(queue))) as [string, number | string]
        return Number(reply[1]) === count
      },
      `${count} subscribers on ${capacityChannel(queue)}`,
    )
  } finally {
    redis.disconnect()
  }
}

/** Both workers' clients have a lane for each model (a task of it ran). */
async function warm(...watched: Watched[]): Promise<void> {
  for (const { worker } of watched) for (const model of [M, N]) await worker.client.run(task(model))
}

describe('a capacity code seen by one worker slows every worker of the queue', () => {
  it('cuts the model’s limit in the other worker (reason fleet), which met no code; only that model; no echo', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const queue = freshQueueName('spec-capacity')
    const a = start(queue, sim.url)
    const b = start(queue, sim.url)
    await subscribed(queue, 2)
    await warm(a, b)
    sim.failNext(1, 'rateLimitExceeded')
    expect((await failure(a.worker.client.run(task(M)))).code).toBe('rateLimitExceeded')
    await eventually(() => b.limits.length > 0, 'the other worker’s limit moves')
    expect(a.limits).toEqual([{ model: M, limit: 5, reason: 'capacity' }])
    expect(b.limits).toEqual([{ model: M, limit: 5, reason: 'fleet' }])
    expect(b.failures).toEqual([])
    expect(a.worker.counts).toMatchObject({ capacitySent: 1, capacityReceived: 0 })
    expect(b.worker.counts).toMatchObject({ capacitySent: 0, capacityReceived: 1 })
    // The other model runs on at its own limit in both.
    expect([...a.limits, ...b.limits].some((event) => event.model === N)).toBe(false)
  })

  it('leaves a worker with shareCapacity false, or with fixed concurrency, alone (and neither subscribes)', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const queue = freshQueueName('spec-capacity')
    const a = start(queue, sim.url)
    const off = start(queue, sim.url, { shareCapacity: false })
    const fixed = start(queue, sim.url, { adaptive: false })
    await subscribed(queue, 1)
    await warm(a, off, fixed)
    sim.failNext(1, 'rateLimitExceeded')
    await failure(off.worker.client.run(task(M)))
    // Its own code cut its own limit, and nothing was published.
    expect(off.limits).toEqual([{ model: M, limit: 5, reason: 'capacity' }])
    sim.failNext(1, 'rateLimitExceeded')
    await failure(a.worker.client.run(task(M)))
    await eventually(() => a.worker.counts.capacitySent === 1, 'published')
    // A third signal, from outside, reaches only subscribers: a probe that `a` would hear proves delivery.
    const probe = new Redis(redisUrl)
    await probe.publish(capacityChannel(queue), JSON.stringify({ model: N, from: 'someone-else' }))
    await eventually(() => a.limits.some((event) => event.model === N), 'the subscriber hears the probe')
    probe.disconnect()
    expect(off.limits).toEqual([{ model: M, limit: 5, reason: 'capacity' }])
    expect(off.worker.counts).toMatchObject({ capacitySent: 0, capacityReceived: 0 })
    expect(fixed.limits).toEqual([])
    expect(fixed.worker.counts).toMatchObject({ capacitySent: 0, capacityReceived: 0 })
  })

  it('ignores what is not a signal: not JSON, too long, wrong fields, a model no lane could have', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const queue = freshQueueName('spec-capacity')
    const a = start(queue, sim.url)
    await subscribed(queue, 1)
    await warm(a)
    const outsider = new Redis(redisUrl)
    const junk = [
      'not json',
      'null',
      '[1,2]',
      JSON.stringify({ model: 7, from: 'x' }),
      JSON.stringify({ model: M }),
      JSON.stringify({ model: '', from: 'x' }),
      JSON.stringify({ model: M, from: 'x', pad: 'p'.repeat(2_000) }),
      JSON.stringify({ model: 'm'.repeat(257), from: 'x' }),
      JSON.stringify({ model: M, from: a.worker.client.id }),
    ]
    for (const message of junk) await outsider.publish(capacityChannel(queue), message)
    // The last word is a real signal: once it lands, everything before it has been read.
    await outsider.publish(capacityChannel(queue), JSON.stringify({ model: N, from: 'x' }))
    await eventually(() => a.limits.length > 0, 'the real signal lands')
    outsider.disconnect()
    expect(a.limits).toEqual([{ model: N, limit: 5, reason: 'fleet' }])
    expect(a.worker.counts.capacityReceived).toBe(1)
    expect(junk.map(parseSignal).filter((signal) => signal !== undefined)).toEqual([{ model: M, from: a.worker.client.id }])
  })

  it('subscribes again after Redis restarts', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const port = await freeRedisPort()
    let redis = await startRedis({ port })
    try {
      const own = { url: redis.url }
      const queue = freshQueueName('spec-capacity')
      const a = start(queue, sim.url, { connection: own, drainTimeoutMs: 1_000 })
      await subscribed(queue, 1, redis.url)
      await warm(a)
      await redis.stop()
      redis = await startRedis({ port })
      await subscribed(queue, 1, redis.url)
      const outsider = new Redis(redis.url)
      await outsider.publish(capacityChannel(queue), JSON.stringify({ model: M, from: 'x' }))
      outsider.disconnect()
      await eventually(() => a.limits.length > 0, 'the signal after the restart lands')
      expect(a.limits).toEqual([{ model: M, limit: 5, reason: 'fleet' }])
      // A BullMQ worker whose Redis restarted under it closes at its drain bound, not at once: kept short here.
      await a.worker.close()
    } finally {
      await redis.stop()
    }
  })
})
