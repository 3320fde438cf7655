/**
 * Adaptive concurrency against the simulator's capacity model (real sockets): a lane per model so
 * a saturated model never holds back another, capacity codes cut only their model's limit, and
 * the simulator's slots, queue and codes themselves.
 */
import { describe, expect, it } from 'vitest'
import { API_KEY, useHarness } from '../helpers/harness.js'
import type { RunwareError } from '../../lib/support/errors.js'
import { FAST, laneTask as task, SLOW } from '../fixtures/lanes.js'

const harness = useHarness()

describe('the simulator’s capacity model', () => {
  it('runs K at once, queues up to its depth, refuses past it with rateLimitExceeded (not executed)', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY], capacity: { [SLOW]: { slots: 2, queue: 1, serviceMs: 100 } } })
    const client = harness.client(sim.url, { retry: { maxAttempts: 1 } })
    const outcomes = await Promise.allSettled([0, 1, 2, 3].map((i) => client.run(task(SLOW, i))))
    const rejected = outcomes.filter((o) => o.status === 'rejected').map((o) => (o.reason as RunwareError).code)
    expect(rejected).toEqual(['rateLimitExceeded'])
    expect(sim.stats.capacityRefusals).toBe(1)
    expect(sim.stats.executions.size).toBe(3)
  })

  it('fails a task that waited past maxWaitMs with queueWaitTimeout (the timeout category)', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY], capacity: { [SLOW]: { slots: 1, queue: 5, serviceMs: 200, maxWaitMs: 50 } } })
    const client = harness.client(sim.url, { retry: { maxAttempts: 1 } })
    const outcomes = await Promise.allSettled([0, 1].map((i) => client.run(task(SLOW, i))))
    expect(outcomes[0]?.status).toBe('fulfilled')
    expect(outcomes[1]?.status === 'rejected' && (outcomes[1].reason as RunwareError).code).toBe('queueWaitTimeout')
    expect(outcomes[1]?.status === 'rejected' && (outcomes[1].reason as RunwareError).category).toBe('timeout')
    expect(sim.stats.queueWaitTimeouts).toBe(1)
  })

  it('refuses nonsense capacity at start', async () => {
    await expect(harness.simulator({ capacity: { [SLOW]: { slots: 0 } } })).rejects.toThrow(/slots/)
    await expect(harness.simulator({ capacity: { [SLOW]: { slots: 1, queue: -1 } } })).rejects.toThrow(/queue/)
  })
})

describe('a lane per model', () => {
  async function race(options: Record<string, unknown>): Promise<{ slowDoneWhenFastDone: number }> {
    const sim = await harness.simulator({ apiKeys: [API_KEY], capacity: { [SLOW]: { slots: 2, queue: 100, serviceMs: 150 } } })
    const client = harness.client(sim.url, options)
    let slowDone = 0
    const slow = Array.from({ length: 30 }, (_, i) => client.run(task(SLOW, i)).then(() => (slowDone += 1)))
    const fast = Array.from({ length: 30 }, (_, i) => client.run(task(FAST, i)))
    await Promise.all(fast)
    const slowDoneWhenFastDone = slowDone
    await Promise.all(slow)
    return { slowDoneWhenFastDone }
  }

  it('adaptive: the fast model is not held behind the saturated one (no head-of-line blocking)', { timeout: 30_000 }, async () => {
    const { slowDoneWhenFastDone } = await race({ concurrency: { adaptive: true, initial: 2 } })
    expect(slowDoneWhenFastDone).toBeLessThan(10)
  })

  it('without it (one queue, maxInFlight 2): the fast tasks wait behind the slow ones, as before', { timeout: 30_000 }, async () => {
    const { slowDoneWhenFastDone } = await race({ maxInFlight: 2 })
    expect(slowDoneWhenFastDone).toBe(30)
  })

  it('checks its options: adaptive must be true, min ≤ initial ≤ max', () => {
    expect(() => harness.client('ws://127.0.0.1:1', { concurrency: { adaptive: false } as never })).toThrow(RangeError)
    expect(() => harness.client('ws://127.0.0.1:1', { concurrency: { adaptive: true, min: 5, max: 2 } })).toThrow(/exceeds/)
    expect(() => harness.client('ws://127.0.0.1:1', { concurrency: 'fixed' as never })).toThrow(TypeError)
  })
})
