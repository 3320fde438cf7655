/**
 * `transport: 'auto'`: the WebSocket first, HTTP when the upgrade is refused and no WebSocket of
 * this process was ever ready (the Phoenix rule); on HTTP the WebSocket is probed and taken back.
 * The rule is per process, so the order of these specs matters: the first runs before any
 * WebSocket of this file's process became ready, the last after.
 */
import { describe, expect, it } from 'vitest'
import type { StateEvent } from '../../lib/api/events.js'
import { untyped } from '../../lib/api/task-types.js'
import { fastRecovery, imageTask } from '../fixtures/tasks.js'
import { useHarness } from '../helpers/harness.js'
import { failure, until } from '../helpers/wait.js'

const h = useHarness()
const { apiKey: _chaosKey, ...recovery } = fastRecovery(11)
// A request unanswered for the heartbeat's interval + timeout counts as hung: 1 s, not fastRecovery's 60 ms, on a busy machine.
const auto = { ...recovery, transport: 'auto', heartbeat: { intervalMs: 500, timeoutMs: 500 }, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } } as const

describe("transport: 'auto'", () => {
  it('the upgrade refused: falls back to HTTP at once, says so in a state event, and every task completes within its deadline', async () => {
    const sim = await h.simulator({ refuseUpgrade: true })
    const client = h.client(sim.url, auto)
    const states: StateEvent[] = []
    client.on('state', (event) => states.push(event))
    const results = await Promise.all(Array.from({ length: 20 }, () => client.run(untyped(imageTask()), { timeoutMs: 5_000 })))
    expect(results.every((items) => items.length === 1)).toBe(true)
    expect(sim.stats.upgradesRefused).toBe(1)
    expect(sim.stats.connections).toBe(0)
    expect(states[0]).toMatchObject({ to: 'connecting', reason: 'connect', transport: 'websocket' })
    const fallback = states.findIndex((event) => event.reason === 'fallback')
    expect(states[fallback]).toMatchObject({ from: 'reconnecting', to: 'connecting', transport: 'http' })
    expect(states[fallback - 1]).toMatchObject({ to: 'reconnecting', retryInMs: 0 })
    expect(states.at(-1)).toMatchObject({ to: 'ready' })
  })

  it('on HTTP it probes the WebSocket, and moves back once an upgrade is accepted', async () => {
    const sim = await h.simulator({ refuseUpgrade: true })
    const client = h.client(sim.url, auto)
    const states: StateEvent[] = []
    client.on('state', (event) => states.push(event))
    expect(await client.run(untyped(imageTask()))).toHaveLength(1)
    await until(() => sim.stats.upgradesRefused >= 2, 'a probe refused')
    sim.http.refuseUpgrades(false)
    const switchAt = (): number => states.findIndex((event) => event.reason === 'transportSwitch')
    await until(() => switchAt() >= 0 && states.slice(switchAt()).some((event) => event.to === 'ready'), 'back on the WebSocket', 5_000)
    const back = switchAt()
    expect(states[back]).toMatchObject({ from: 'ready', to: 'reconnecting' })
    expect(states.slice(back).find((event) => event.to === 'connecting')).toMatchObject({ transport: 'websocket' })
    const requests = sim.stats.httpRequests
    expect(await client.run(untyped(imageTask()))).toHaveLength(1)
    expect(sim.stats.httpRequests).toBe(requests)
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('once a WebSocket of this process was ready, a refused upgrade is a reconnect, never a fallback', async () => {
    const sim = await h.simulator({ refuseUpgrade: true })
    const client = h.client(sim.url, { ...auto, reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 3 } })
    const states: StateEvent[] = []
    client.on('state', (event) => states.push(event))
    const error = await failure(client.connect())
    expect(error.code).toBe('reconnectFailed')
    expect(states.some((event) => event.reason === 'fallback' || event.transport === 'http')).toBe(false)
    expect(sim.stats.httpRequests).toBe(0)
  })
})
