/**
 * A reply that never comes (#13): an async task's acknowledgement, or a getResponse answer, lost
 * while the socket stays up. Nothing reconnects, so nothing but the client's own timers can notice;
 * each must recover without running the task twice (the official TypeScript SDK waits up to 20
 * minutes here).
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ASYNC_VIDEO } from '../fixtures/tasks.js'
import { taskEvents, useHarness } from '../helpers/harness.js'

const quick = {
  poll: { initialDelayMs: 20, maxDelayMs: 50, timeoutMs: 300, ackTimeoutMs: 200 },
  retry: { initialDelayMs: 10, maxDelayMs: 20 },
} as const

describe('a lost reply on a live socket', () => {
  const h = useHarness()

  it('a lost acknowledgement: asked about after poll.ackTimeoutMs, found done, resolved; run once', async () => {
    const sim = await h.simulator({ asyncDurationMs: 100 })
    sim.loseAcks(1)
    const client = h.client(sim.url, quick)
    const events = taskEvents(client)
    const taskUUID = randomUUID()
    const items = await client.run({ ...ASYNC_VIDEO, taskUUID }, { timeoutMs: 5_000 })
    expect(items).toHaveLength(1)
    expect(sim.stats.faults.lostAcks).toBe(1)
    expect(sim.stats.executions.get(taskUUID)).toBe(1)
    // The answer to the question about its fate carried the results: no resend, no second run.
    expect(events.map((e) => e.type)).toEqual(['queued', 'sent', 'settled'])
    expect(client.state).toBe('ready')
  })

  it('a lost acknowledgement of a task still running: found, then polled until done', async () => {
    const sim = await h.simulator({ asyncDurationMs: 600 })
    sim.loseAcks(1)
    const client = h.client(sim.url, quick)
    const events = taskEvents(client)
    const taskUUID = randomUUID()
    expect(await client.run({ ...ASYNC_VIDEO, taskUUID }, { timeoutMs: 5_000 })).toHaveLength(1)
    expect(events.map((e) => e.type)).toEqual(['queued', 'sent', 'polling', 'settled'])
    expect(sim.stats.executions.get(taskUUID)).toBe(1)
  })

  it('a lost getResponse answer: asked again after poll.timeoutMs; resolved, run once', async () => {
    const sim = await h.simulator({ asyncDurationMs: 50 })
    const client = h.client(sim.url, quick)
    sim.loseAnswers(1)
    const taskUUID = randomUUID()
    const items = await client.run({ ...ASYNC_VIDEO, taskUUID }, { timeoutMs: 5_000 })
    expect(items).toHaveLength(1)
    expect(sim.stats.faults.lostAnswers).toBe(1)
    expect(sim.stats.polls).toBeGreaterThanOrEqual(2)
    expect(sim.stats.executions.get(taskUUID)).toBe(1)
  })

  it('lost acknowledgements and answers as chaos rates: 60 async tasks all resolve, none runs twice', async () => {
    const sim = await h.simulator({ asyncDurationMs: 60, seed: 3, chaos: { lostAckRate: 0.3, lostAnswerRate: 0.2 } })
    const client = h.client(sim.url, quick)
    const results = await Promise.all(Array.from({ length: 60 }, () => client.run({ ...ASYNC_VIDEO }, { timeoutMs: 10_000 })))
    expect(results.every((items) => items.length === 1)).toBe(true)
    expect(sim.stats.faults.lostAcks).toBeGreaterThan(5)
    expect(sim.stats.faults.lostAnswers).toBeGreaterThan(5)
    expect(sim.stats.executedTwice()).toEqual([])
    expect(sim.stats.executions.size).toBe(60)
  })
})
