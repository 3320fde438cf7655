import { describe, expect, it } from 'vitest'
import { DEFAULT_PERMANENT_CODES, DEFAULT_RETRYABLE_CODES, MALFORMED_FRAMES, startSimulator } from '../../lib/simulator/index.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { is, type TestClient } from '../helpers/test-client.js'
import { useHarness } from '../helpers/harness.js'
import { afterTick, waitFor } from '../helpers/wait.js'
import { imageTask } from '../fixtures/tasks.js'

const h = useHarness()

const fixedUUIDs = (n: number): string[] => Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)

/** Sends tasks and returns, per taskUUID, the error code it got ('ok' for results). */
async function outcomes(client: TestClient, uuids: string[]): Promise<Map<string, string>> {
  client.send(uuids.map((taskUUID) => imageTask({ taskUUID })))
  const result = new Map<string, string>()
  for (const taskUUID of uuids) {
    const frame = await client.next(is.task(taskUUID))
    result.set(taskUUID, frame.errors[0]?.code ?? 'ok')
  }
  return result
}

describe('seeded chaos', () => {
  it('failRate fails tasks with retryable or permanent codes, and records exactly which got what', async () => {
    const sim = await h.simulator({ chaos: { failRate: 0.5, permanentShare: 0.5 } })
    const { client } = await h.authed(sim)
    const got = await outcomes(client, fixedUUIDs(60))
    const failed = new Map([...got].filter(([, code]) => code !== 'ok'))
    expect(failed.size).toBeGreaterThan(10)
    expect(failed.size).toBeLessThan(50)
    expect(sim.stats.failedTasks).toEqual(failed)
    expect(sim.stats.faults.failures).toBe(failed.size)
    const byCode: Record<string, number> = {}
    for (const code of failed.values()) byCode[code] = (byCode[code] ?? 0) + 1
    expect(sim.stats.faults.byCode).toEqual(byCode)
    const codes = new Set(failed.values())
    expect([...codes].some((c) => DEFAULT_RETRYABLE_CODES.includes(c))).toBe(true)
    expect([...codes].some((c) => DEFAULT_PERMANENT_CODES.includes(c))).toBe(true)
    expect([...codes].every((c) => DEFAULT_RETRYABLE_CODES.includes(c) || DEFAULT_PERMANENT_CODES.includes(c))).toBe(true)
  })

  it('uses the configured code lists', async () => {
    const sim = await h.simulator({ chaos: { failRate: 1, permanentShare: 0, retryableCodes: ['serverError'] } })
    const { client } = await h.authed(sim)
    expect(new Set((await outcomes(client, fixedUUIDs(10))).values())).toEqual(new Set(['serverError']))
  })

  it('replays the same faults for the same seed and traffic', async () => {
    const run = async (seed: number): Promise<Map<string, string>> => {
      const sim = await h.simulator({ seed, chaos: { failRate: 0.3, rateLimitRate: 0.2, permanentShare: 0.5 } })
      const { client } = await h.authed(sim)
      return outcomes(client, fixedUUIDs(50))
    }
    const first = await run(42)
    expect(await run(42)).toEqual(first)
    expect(await run(43)).not.toEqual(first)
  })

  it('rateLimitRate refuses tasks with rateLimitCode without executing them', async () => {
    const sim = await h.simulator({ chaos: { rateLimitRate: 1, rateLimitCode: 'providerRateLimitExceeded' } })
    const { client } = await h.authed(sim)
    const got = await outcomes(client, fixedUUIDs(5))
    expect(new Set(got.values())).toEqual(new Set(['providerRateLimitExceeded']))
    expect(sim.stats.executions.size).toBe(0)
    expect(sim.stats.faults.rateLimits).toBe(5)
  })

  it('duplicateRate and malformedRate apply to result frames', async () => {
    const sim = await h.simulator({ chaos: { duplicateRate: 1, malformedRate: 1 } })
    const { client } = await h.authed(sim)
    const task = imageTask()
    client.send([task])
    await client.next(is.task(task.taskUUID))
    await client.next(is.task(task.taskUUID))
    await client.ping()
    const texts = client.received.map((f) => f.text)
    expect(texts[1]).toBe(MALFORMED_FRAMES[0])
    expect(texts[2]).toBe(texts[3])
    expect(sim.stats.faults).toMatchObject({ duplicates: 1, malformed: 1 })
  })

  it('dropRate cuts the socket instead of sending a result frame; the result waits for a resume', async () => {
    const sim = await h.simulator({ chaos: { dropRate: 1 } })
    const { client: a, sessionUUID } = await h.authed(sim)
    const task = imageTask()
    a.send([task])
    expect(await a.closed).toBe(1006)
    expect(sim.stats.faults.drops).toBe(1)
    sim.setChaos()
    const b = await h.connect(sim)
    await b.auth('test-key', sessionUUID)
    expect((await b.next(is.task(task.taskUUID))).data).toHaveLength(1)
  })

  it('silenceRate makes the socket half-open instead of sending a result frame', async () => {
    const sim = await h.simulator({ chaos: { silenceRate: 1 } })
    const { client } = await h.authed(sim)
    const task = imageTask()
    const processed = waitFor(sim.events, 'frame')
    client.send([task])
    await processed
    await afterTick()
    expect(sim.stats.faults.silences).toBe(1)
    expect(sim.stats.resultsSent).toBe(0)
    expect(client.ws.readyState).toBe(client.ws.OPEN)
  })

  it('delayRate adds delayMs to tasks', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, chaos: { delayRate: 1, delayMs: 700 } })
    const { client } = await h.authed(sim)
    const task = imageTask()
    client.send([task])
    await client.ping()
    await afterTick()
    expect(sim.stats.itemsProduced).toBe(0)
    clock.advance(700)
    await client.next(is.task(task.taskUUID))
    expect(sim.stats.faults.delays).toBe(1)
  })

  it('rejects rates outside [0, 1] and empty code lists at start', async () => {
    await expect(startSimulator({ chaos: { failRate: 1.5 } })).rejects.toThrow(RangeError)
    await expect(startSimulator({ chaos: { retryableCodes: [] } })).rejects.toThrow(RangeError)
    await expect(startSimulator({ latencyMs: { min: 5, max: 1 } })).rejects.toThrow(RangeError)
  })
})
