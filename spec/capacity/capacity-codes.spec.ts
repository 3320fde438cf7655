/**
 * Adaptive concurrency and capacity codes (real sockets, the simulator's capacity model): a code
 * cuts only its model's limit and holds only its model's new tasks for the backoff. Apart from
 * spec/capacity/lanes.spec.ts because these are quick: the mutation run includes them.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { API_KEY, record, useHarness } from '../helpers/harness.js'
import { failure } from '../helpers/wait.js'
import { FAST, laneTask as task, SLOW } from '../fixtures/lanes.js'

const harness = useHarness()

describe('a capacity code, per model', () => {
  it('a capacity code holds its model’s new tasks for the backoff (not at once into the same full queue); the other model sends on', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY], capacity: { [SLOW]: { slots: 1, queue: 0, serviceMs: 100 } } })
    const client = harness.client(sim.url, {
      concurrency: { adaptive: true, initial: 4 },
      retry: { maxAttempts: 1, initialDelayMs: 1_000, maxDelayMs: 1_000 },
      // The backoff is drawn with full jitter in [0, 1000] ms: a draw under the 100 ms the first task
      // holds the slot would send the third into it (a flake in CI). The top of the range, always.
      random: () => 0.999,
    })
    const events = record(client, 'task')
    const id = { first: randomUUID(), third: randomUUID(), fast: randomUUID() }
    const first = client.run({ ...task(SLOW, 1), taskUUID: id.first })
    expect((await failure(client.run(task(SLOW, 2)))).code).toBe('rateLimitExceeded')
    // Room under the cut limit (4 → 2, one in flight), but the model waits out the backoff: sent
    // at once, this one would meet the same full slot.
    const third = client.run({ ...task(SLOW, 3), taskUUID: id.third })
    await client.run({ ...task(FAST, 1), taskUUID: id.fast })
    await first
    expect(await third).toHaveLength(1)
    expect(sim.stats.capacityRefusals).toBe(1)
    const at = (type: string, taskUUID: string): number => events.findIndex((event) => event.type === type && event.taskUUID === taskUUID)
    expect(at('settled', id.fast)).toBeLessThan(at('sent', id.third))
    expect(at('settled', id.first)).toBeLessThan(at('sent', id.third))
  })

  it('a capacity code cuts only its model’s limit, reported as a limit event; the other model keeps sending', { timeout: 30_000 }, async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY], capacity: { [SLOW]: { slots: 1, queue: 0, serviceMs: 100 } } })
    const client = harness.client(sim.url, { concurrency: { adaptive: true, initial: 8 }, retry: { maxAttempts: 10, initialDelayMs: 10, maxDelayMs: 50 } })
    const limits = record(client, 'limit')
    const slow = Promise.all(Array.from({ length: 8 }, (_, i) => client.run(task(SLOW, i))))
    const fast = await Promise.all(Array.from({ length: 20 }, (_, i) => client.run(task(FAST, i))))
    expect(fast).toHaveLength(20)
    await slow
    const cuts = limits.filter((event) => event.reason === 'capacity')
    expect(cuts.length).toBeGreaterThan(0)
    expect(new Set(cuts.map((event) => event.model))).toEqual(new Set([SLOW]))
    expect(cuts.every((event) => event.limit < 8)).toBe(true)
  })
})
