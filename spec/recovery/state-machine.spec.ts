import { describe, expect, it } from 'vitest'
import type { StateEvent } from '../../lib/api/events.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { WHATWG, record, taskEvents, useHarness } from '../helpers/harness.js'
import { failure, until, waitFor, waitForState } from '../helpers/wait.js'
import { IMAGE } from '../fixtures/tasks.js'

const image = IMAGE

function transitions(events: StateEvent[]): string[] {
  return events.map((event) => `${event.from}→${event.to}`)
}

describe('reconnect state machine', () => {
  const h = useHarness()

  it('a dropped socket leads to reconnecting (with attempt and retryInMs), then to a resumed session', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url, { reconnect: { initialDelayMs: 100 }, random: () => 0.25 })
    const states = record(client, 'state')
    await client.connect()
    const session = client.sessionUUID
    sim.dropAll()
    await waitFor(client, 'state', (event) => event.to === 'ready' && event.resumed === true)
    expect(transitions(states)).toEqual([
      'idle→connecting',
      'connecting→authenticating',
      'authenticating→ready',
      'ready→reconnecting',
      'reconnecting→connecting',
      'connecting→authenticating',
      'authenticating→ready',
    ])
    expect(states[3]).toMatchObject({ reason: 'socketClosed', attempt: 1, retryInMs: 25 })
    expect(client.sessionUUID).toBe(session)
    expect(sim.stats.resumes).toBe(1)
  })

  it('gives up after reconnect.maxAttempts: failed, with reconnectFailed for everything pending', async () => {
    const server = await h.scripted({ onTasks: () => undefined })
    const client = h.client(server.url, { reconnect: { initialDelayMs: 0, maxAttempts: 3 } })
    const states = record(client, 'state')
    const pending = Promise.allSettled([client.run(image), client.run(image)])
    await server.nextFrame()
    // Nothing listens any more: every reconnect is refused.
    await server.close()
    const results = await pending
    for (const result of results) expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'reconnectFailed', retryable: true })
    // The message says how many attempts were made and what the last one met.
    const message = ((results[0] as PromiseRejectedResult).reason as Error).message
    expect(message).toMatch(
      WHATWG
        ? /^gave up after 3 reconnect attempts \(last: socketClosed: close code 1006\)$/
        : /^gave up after 3 reconnect attempts \(last: socketError: .*ECONNREFUSED.*\)$/,
    )
    expect(client.state).toBe('failed')
    expect(states.filter((event) => event.to === 'reconnecting').map((event) => event.attempt)).toEqual([1, 2, 3])
    // A standard WebSocket's error event says nothing: its close (1006) is all there is to report.
    expect(states.at(-1)).toMatchObject({
      to: 'failed',
      code: 'reconnectFailed',
      detail: expect.stringMatching(WHATWG ? /close code 1006/ : /ECONNREFUSED/) as unknown,
    })
    expect(states.find((event) => event.to === 'reconnecting')).toMatchObject({ reason: 'socketClosed', detail: 'close code 1006' })
    await expect(client.run(image)).rejects.toMatchObject({ code: 'reconnectFailed' })
  })

  it('connect() after failed starts afresh: a full set of reconnect attempts again', async () => {
    const server = await h.scripted()
    // Nothing listens at the URL any more: every attempt is refused.
    await server.close()
    const client = h.client(server.url, { reconnect: { initialDelayMs: 0, maxAttempts: 2 } })
    const states = record(client, 'state')
    const attempts = (): (number | undefined)[] =>
      states
        .splice(0)
        .filter((event) => event.to === 'reconnecting')
        .map((event) => event.attempt)
    await expect(client.connect()).rejects.toMatchObject({ code: 'reconnectFailed' })
    expect(attempts()).toEqual([1, 2])
    await expect(client.connect()).rejects.toMatchObject({ code: 'reconnectFailed' })
    expect(attempts()).toEqual([1, 2])
    expect(client.state).toBe('failed')
  })

  it('a retryable error that names no task drops the socket and reconnects', async () => {
    const server = await h.scripted()
    const client = h.client(server.url, { reconnect: { initialDelayMs: 0 } })
    const errors = record(client, 'error')
    await client.connect()
    server.send({ errors: [{ code: 'serviceUnavailable', message: 'maintenance' }] })
    const [event] = await waitFor(client, 'state', (e) => e.to === 'reconnecting')
    expect(event).toMatchObject({ from: 'ready', reason: 'serverError', code: 'serviceUnavailable' })
    await waitForState(client, 'ready')
    expect(server.connections).toBe(2)
    expect(errors.map((error) => error.code)).toEqual(['serviceUnavailable'])
  })

  it('a rate limit that names no task pauses every send for the backoff delay', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => reply({ data: tasks.map((task) => ({ taskType: task.taskType, taskUUID: task.taskUUID, imageUUID: 'x' })) }),
    })
    const clock = new ManualClock()
    const client = h.client(server.url, { clock, heartbeat: false, retry: { initialDelayMs: 1_000 }, random: () => 0.999 })
    await client.connect()
    server.send({ errors: [{ code: 'rateLimitExceeded', message: 'slow down' }] })
    await waitFor(client, 'error')
    const task = client.run(image)
    await new Promise((resolve) => setImmediate(resolve))
    expect(server.frames).toHaveLength(0)
    // random() = 0.999 makes the delay 999 ms of a 1000 ms ceiling.
    clock.advance(998)
    await new Promise((resolve) => setImmediate(resolve))
    expect(server.frames).toHaveLength(0)
    clock.advance(1)
    await expect(task).resolves.toHaveLength(1)
    expect(client.state).toBe('ready')
  })

  it('an error that names no task and is neither retryable nor about auth holds no send', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => reply({ data: tasks.map((task) => ({ taskType: task.taskType, taskUUID: task.taskUUID, imageUUID: 'x' })) }),
    })
    const clock = new ManualClock()
    const client = h.client(server.url, { clock, heartbeat: false })
    await client.connect()
    server.send({ errors: [{ code: 'invalidPositivePrompt', message: 'no task named' }] })
    await waitFor(client, 'error')
    await expect(client.run(image)).resolves.toHaveLength(1)
    expect(client.state).toBe('ready')
    expect(server.connections).toBe(1)
  })

  it('a shorter rate-limit pause never cuts a longer one short', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => reply({ data: tasks.map((task) => ({ taskType: task.taskType, taskUUID: task.taskUUID, imageUUID: 'x' })) }),
    })
    const clock = new ManualClock()
    // The first pause is 999 ms of a 1000 ms ceiling; the second, 100 ms of 2000 ms.
    const draws = [0.999, 0.05]
    const client = h.client(server.url, { clock, heartbeat: false, retry: { initialDelayMs: 1_000 }, random: () => draws.shift() ?? 0.5 })
    await client.connect()
    const events = taskEvents(client)
    for (let i = 0; i < 2; i++) {
      server.send({ errors: [{ code: 'rateLimitExceeded', message: 'slow down' }] })
      await waitFor(client, 'error')
    }
    expect(draws).toHaveLength(0)
    const task = client.run(image)
    clock.advance(998)
    await new Promise((resolve) => setImmediate(resolve))
    expect(events.map((event) => event.type)).toEqual(['queued'])
    clock.advance(1)
    await expect(task).resolves.toHaveLength(1)
    expect(events.map((event) => event.type)).toEqual(['queued', 'sent', 'settled'])
  })

  it('resets the attempt count only after the socket stayed ready for stableAfterMs', async () => {
    const sim = await h.simulator()
    const clock = new ManualClock()
    const client = h.client(sim.url, { clock, heartbeat: false, reconnect: { initialDelayMs: 100, stableAfterMs: 10_000 }, random: () => 0 })
    const states = record(client, 'state')
    await client.connect()
    const dropAndReconnect = async (): Promise<StateEvent> => {
      const lost = waitFor(client, 'state', (e) => e.to === 'reconnecting')
      sim.dropAll()
      const [event] = await lost
      clock.advance(0)
      await waitForState(client, 'ready')
      return event
    }
    expect((await dropAndReconnect()).attempt).toBe(1)
    clock.advance(9_999)
    expect((await dropAndReconnect()).attempt).toBe(2)
    clock.advance(10_000)
    expect((await dropAndReconnect()).attempt).toBe(1)
    expect(states.filter((e) => e.to === 'ready')).toHaveLength(4)
  })

  it('tasks submitted while reconnecting wait in the queue and keep their own deadline and signal', async () => {
    const sim = await h.simulator()
    const clock = new ManualClock()
    const client = h.client(sim.url, { clock, heartbeat: false, reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 }, random: () => 0.5 })
    await client.connect()
    const lost = waitForState(client, 'reconnecting')
    sim.dropAll()
    await lost
    const controller = new AbortController()
    const aborted = client.run(image, { signal: controller.signal })
    const timedOut = client.run(image, { timeoutMs: 5_000 })
    const kept = client.run(image)
    expect(client.pending).toBe(3)
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ code: 'aborted' })
    clock.advance(5_000)
    expect((await failure(timedOut)).code).toBe('taskTimeout')
    clock.advance(25_000)
    await expect(kept).resolves.toHaveLength(1)
    expect(sim.stats.tasksReceived).toBe(1)
  })

  it('overflowing the queue while disconnected rejects with queueFull', async () => {
    const sim = await h.simulator()
    const clock = new ManualClock()
    const client = h.client(sim.url, { clock, heartbeat: false, maxQueued: 2, reconnect: { initialDelayMs: 1_000 }, random: () => 0.5 })
    await client.connect()
    const lost = waitForState(client, 'reconnecting')
    sim.dropAll()
    await lost
    const queued = [client.run(image), client.run(image)]
    await expect(client.run(image)).rejects.toMatchObject({ code: 'queueFull' })
    clock.advance(500)
    await expect(Promise.all(queued)).resolves.toHaveLength(2)
    await until(() => client.pending === 0, 'nothing pending')
  })
})
