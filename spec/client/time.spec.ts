/**
 * Time as a long-running worker meets it: a wall clock that steps (NTP, a resumed VM) moves no
 * deadline, delay or heartbeat (every duration is on a monotonic clock), and a loop stalled past a
 * deadline lets the input that arrived meanwhile be read before the deadline decides. Real clock,
 * real sockets: the bounds asserted are "not before" (load can only delay) and "at all, within a
 * generous bound" (a liveness check), never a speed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { record, useHarness } from '../helpers/harness.js'
import { until, waitForState } from '../helpers/wait.js'
import { IMAGE } from '../fixtures/tasks.js'

const HOUR = 3_600_000

/** The process busy for `ms`, synchronously: no timer, no I/O runs meanwhile. */
function stall(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {
    // busy
  }
}

describe('the wall clock stepped mid-run (Date faked, nothing else)', () => {
  const h = useHarness()
  afterEach(() => {
    vi.useRealTimers()
  })

  it('+1 h: a task’s deadline still falls when it is due, not at the next wake of the schedule', async () => {
    const sim = await h.simulator()
    sim.holdResults()
    const client = h.client(sim.url)
    await client.connect()
    const started = performance.now()
    // The 300 ms task wakes the schedule early: a deadline on the wall clock would make the 600 ms one fall with it.
    const early = client.run(IMAGE, { timeoutMs: 300 }).catch((error: unknown) => error)
    const due = client.run(IMAGE, { timeoutMs: 600 }).catch((error: unknown) => ({ error, after: performance.now() - started }))
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + HOUR)
    expect(await early).toMatchObject({ code: 'taskTimeout' })
    const { error, after } = (await due) as { error: unknown; after: number }
    expect(error).toMatchObject({ code: 'taskTimeout' })
    expect(after).toBeGreaterThanOrEqual(590)
  })

  it('−1 h: a task’s deadline still falls (it does not move an hour out)', async () => {
    const sim = await h.simulator()
    sim.holdResults()
    const client = h.client(sim.url)
    await client.connect()
    const due = client.run(IMAGE, { timeoutMs: 600 }).catch((error: unknown) => error)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() - HOUR)
    const outcome = await Promise.race([due, new Promise((resolve) => setTimeout(() => resolve('still pending after 10 s'), 10_000))])
    expect(outcome).toMatchObject({ code: 'taskTimeout' })
  })

  it('−1 h: a half-open socket is still found out by the heartbeat', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url, { heartbeat: { intervalMs: 100, timeoutMs: 100 } })
    await client.connect()
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() - HOUR)
    sim.silence()
    const lost = await waitForState(client, 'reconnecting', 10_000)
    expect(lost).toMatchObject({ reason: 'heartbeatTimeout' })
  })

  it('+1 h: a healthy socket is not taken for a dead one', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url, { heartbeat: { intervalMs: 50, timeoutMs: 100 } })
    const states = record(client, 'state')
    await client.connect()
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + HOUR)
    const pings = sim.stats.pings
    await until(() => sim.stats.pings >= pings + 4, 'four more heartbeats', { timeoutMs: 10_000, everyMs: 10 })
    expect(states.filter((event) => event.to !== 'ready' && event.from === 'ready')).toEqual([])
    expect(sim.stats.connections).toBe(1)
  })
})

describe('a stalled event loop never tears down a healthy socket', () => {
  const h = useHarness()

  it('the pong written at once, then the process busy 400 ms past a 100 ms heartbeat timeout: the pong counts, no reconnect', async () => {
    let stalls = 0
    const server = await h.scripted({
      pong: false,
      onPing: (reply) => {
        reply({ data: [{ taskType: 'ping', pong: true }] })
        // The pong is on its way (in the client's socket buffer); the loop then stalls once.
        if (stalls++ === 0) stall(400)
      },
    })
    const client = h.client(server.url, { heartbeat: { intervalMs: 50, timeoutMs: 100 } })
    const states = record(client, 'state')
    await client.connect()
    await until(() => server.pings >= 3, 'two heartbeats after the stall', { timeoutMs: 10_000, everyMs: 10 })
    expect(states.map((event) => event.to)).toEqual(['connecting', 'authenticating', 'ready'])
    expect(server.connections).toBe(1)
  })

  it('the auth reply written, then a stall past authTimeoutMs: authenticated, not timed out', async () => {
    const server = await h.scripted({
      onAuth: (task, reply) => {
        reply({ data: [{ taskType: 'authentication', connectionSessionUUID: '7f1d3c2b-5a4e-4f6d-8c7b-9a0e1d2c3b4a' }] })
        stall(400)
      },
    })
    const client = h.client(server.url, { authTimeoutMs: 100 })
    const states = record(client, 'state')
    await client.connect()
    expect(states.map((event) => event.to)).toEqual(['connecting', 'authenticating', 'ready'])
    expect(server.connections).toBe(1)
  })

  it('the upgrade answered, then a stall past connectTimeoutMs: the socket opens, no timeout', async () => {
    const server = await h.scripted({ onConnection: () => stall(400) })
    const client = h.client(server.url, { connectTimeoutMs: 100 })
    const states = record(client, 'state')
    await client.connect()
    expect(states.map((event) => event.to)).toEqual(['connecting', 'authenticating', 'ready'])
    expect(server.connections).toBe(1)
  })
})
