/**
 * `transport: 'http'`: the same client over REST against the simulator's HTTP side. Each rule of
 * docs/transports.md: the tasks of one tick in one request; a request whose fate is unknown (a
 * reset after it was accepted, a 5xx page) is resent under the same taskUUID and collected, never
 * run twice; statuses stand in for codes the table does not know.
 */
import { describe, expect, it } from 'vitest'
import { untyped } from '../../lib/api/task-types.js'
import { RunwareError } from '../../lib/support/errors.js'
import { ASYNC_VIDEO, fastRecovery, imageTask, IMAGE } from '../fixtures/tasks.js'
import { useHarness } from '../helpers/harness.js'
import { failure, until } from '../helpers/wait.js'

const h = useHarness()
const { apiKey: _chaosKey, ...recovery } = fastRecovery(7)
const http = { ...recovery, transport: 'http' } as const

describe("transport: 'http'", () => {
  it('runs tasks over POST with no WebSocket at all, the tasks of one tick in one request', async () => {
    const sim = await h.simulator({ latencyMs: 5 })
    // The default heartbeat: no ping request within the run.
    const client = h.client(sim.url, { transport: 'http' })
    await client.connect()
    const before = sim.stats.httpRequests
    const results = await Promise.all(Array.from({ length: 50 }, () => client.run({ ...IMAGE, numberResults: 2 })))
    expect(results.every((items) => items.length === 2)).toBe(true)
    expect(sim.stats.connections).toBe(0)
    // One request for the 50 tasks.
    expect(sim.stats.httpRequests - before).toBe(1)
    expect(sim.stats.executions.size).toBe(50)
  })

  it('an invalid key fails connect() with invalidApiKey, once, and no request follows', async () => {
    const sim = await h.simulator({ apiKeys: ['the-only-key-0123456789'] })
    const client = h.client(sim.url, http)
    const error = await failure(client.connect())
    expect(error.code).toBe('invalidApiKey')
    expect(client.state).toBe('failed')
    // `failed` arms no timer (the state table): the one request was the authentication, refused once.
    expect(sim.stats.httpRequests).toBe(1)
    expect(sim.stats.authFailures).toBe(1)
  })

  it('a reset after the request was accepted: one execution, the result delivered, no validation error', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url, http)
    await client.connect()
    const conflicts: string[] = []
    client.on('error', (error) => conflicts.push(error.code))
    sim.http.resetAfterAccept(1)
    const task = imageTask()
    const items = await client.run(untyped(task))
    expect(items).toHaveLength(1)
    expect(items[0]?.taskUUID).toBe(task.taskUUID)
    expect(sim.stats.faults.resets).toBe(1)
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)
    expect(sim.stats.executedTwice()).toEqual([])
    expect(conflicts).not.toContain('conflictTaskUUID')
  })

  it('a 5xx page without a Runware body is a fate unknown: asked about, resent under the same taskUUID, run once', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url, http)
    await client.connect()
    sim.http.failRequests(1, 502)
    const task = imageTask()
    const items = await client.run(untyped(task))
    expect(items[0]?.taskUUID).toBe(task.taskUUID)
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)
    expect(sim.stats.polls).toBeGreaterThanOrEqual(1)
  })

  it('statuses without a known code: 429 is retried, another 4xx rejects with httpError and its status', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url, http)
    await client.connect()
    sim.http.failRequests(1, 429)
    expect(await client.run(untyped(imageTask()))).toHaveLength(1)
    sim.http.failRequests(1, 400)
    const error = await failure(client.run(untyped(imageTask())))
    expect(error).toBeInstanceOf(RunwareError)
    expect(error.code).toBe('httpError')
    expect(error.category).toBe('validation')
    expect(error.message).toContain('400')
  })

  it('a code the table does not know takes its category from the status: 503 retried, 418 rejected', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url, http)
    await client.connect()
    sim.http.failRequests(1, 503, 'somethingNewAndOdd')
    expect(await client.run(untyped(imageTask()))).toHaveLength(1)
    sim.http.failRequests(1, 418, 'somethingNewAndOdd')
    const error = await failure(client.run(untyped(imageTask())))
    expect(error.code).toBe('somethingNewAndOdd')
    expect(error.category).toBe('validation')
  })

  it('an async task is acknowledged, then polled with getResponse over HTTP', async () => {
    const sim = await h.simulator({ asyncDurationMs: 60 })
    const client = h.client(sim.url, http)
    const items = await client.run({ ...ASYNC_VIDEO })
    expect(items).toHaveLength(1)
    expect(sim.stats.polls).toBeGreaterThanOrEqual(1)
    expect(sim.stats.connections).toBe(0)
  })

  it('dropAll while requests are in flight: every task completes, none runs twice', async () => {
    const sim = await h.simulator({ latencyMs: 100 })
    const client = h.client(sim.url, http)
    await client.connect()
    const runs = Array.from({ length: 20 }, () => client.run(untyped(imageTask())))
    await until(() => sim.stats.executions.size === 20, 'the tasks accepted')
    sim.dropAll()
    const results = await Promise.all(runs)
    expect(results.every((items) => items.length === 1)).toBe(true)
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('checks the transport and the endpoint when the client is made', () => {
    expect(() => h.client('ws://127.0.0.1:1/v1', { transport: 'pigeon' as never })).toThrow(RangeError)
    expect(() => h.client('ws://127.0.0.1:1/v1', { httpUrl: 'ftp://127.0.0.1/v1' })).toThrow(/httpUrl must be http: or https:/)
    expect(() => h.client('wss://example.invalid/v1', { httpUrl: 'http://example.invalid/v1' })).toThrow(/cleartext/)
  })
})
