import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { TaskEvent } from '../../lib/api/events.js'
import type { ResultItem } from '../../lib/protocol/protocol.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { record, taskEvents, useHarness } from '../helpers/harness.js'
import { failure, until, waitFor, waitForState } from '../helpers/wait.js'
import { IMAGE } from '../fixtures/tasks.js'
import type { WireTask } from '../helpers/scripted-server.js'

const image = IMAGE

/** Fast, deterministic recovery settings for specs on the real clock. */
const quick = {
  reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
  retry: { initialDelayMs: 10, maxDelayMs: 50 },
  poll: { initialDelayMs: 20, maxDelayMs: 50, timeoutMs: 1_000 },
  resumeGraceMs: 200,
} as const

function ofType<T extends TaskEvent['type']>(events: TaskEvent[], type: T): Extract<TaskEvent, { type: T }>[] {
  return events.filter((event): event is Extract<TaskEvent, { type: T }> => event.type === type)
}

describe('recovery when the fate of a task is known', () => {
  const h = useHarness()

  it('retries a retryable failure under a fresh taskUUID; the caller keeps one promise', async () => {
    const sim = await h.simulator()
    sim.failNext(1, 'timeoutProvider')
    const client = h.client(sim.url, quick)
    const events = taskEvents(client)
    const taskUUID = randomUUID()
    const items = await client.run({ ...image, taskUUID })
    expect(items).toHaveLength(1)
    const [retry] = ofType(events, 'retry')
    expect(retry).toMatchObject({ taskUUID, code: 'timeoutProvider', attempt: 2 })
    expect(retry?.wireUUID).not.toBe(taskUUID)
    expect(retry?.delayMs).toBeGreaterThanOrEqual(0)
    expect(retry?.delayMs).toBeLessThanOrEqual(10)
    // Two submissions, two ids, each executed once; the result came from the retry.
    expect(sim.stats.executions.get(taskUUID)).toBe(1)
    expect(sim.stats.executions.get(retry?.wireUUID ?? '')).toBe(1)
    expect(items[0]?.taskUUID).toBe(retry?.wireUUID)
    expect(ofType(events, 'sent').map((event) => event.attempt)).toEqual([1, 2])
  })

  it('asks a retry only for the results still missing', async () => {
    const sim = await h.simulator({ framing: 'item' })
    sim.failNext(1, 'providerError', { afterItems: 3 })
    const client = h.client(sim.url, quick)
    const events = taskEvents(client)
    const seen: ResultItem[] = []
    const items = await client.run({ ...image, numberResults: 5 }, { onResult: (item) => seen.push(item) })
    expect(items).toHaveLength(5)
    expect(seen).toEqual(items)
    expect(new Set(items.map((item) => item.imageUUID)).size).toBe(5)
    // Five images produced in all: three by the first try, two by the retry.
    expect(sim.stats.itemsProduced).toBe(5)
    const retryUUID = ofType(events, 'retry')[0]?.wireUUID ?? ''
    expect(items.filter((item) => item.taskUUID === retryUUID)).toHaveLength(2)
  })

  it('gives up after retry.maxAttempts submissions with the last error', async () => {
    const sim = await h.simulator()
    sim.failNext(10, 'serverError')
    const client = h.client(sim.url, { ...quick, retry: { ...quick.retry, maxAttempts: 3 } })
    const events = taskEvents(client)
    const error = await failure(client.run(image))
    expect(error).toMatchObject({ code: 'serverError', category: 'server', retryable: true })
    expect(ofType(events, 'sent')).toHaveLength(3)
    expect(ofType(events, 'retry')).toHaveLength(2)
    expect(sim.stats.executions.size).toBe(3)
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('never retries a permanent code', async () => {
    const sim = await h.simulator()
    sim.failNext(1, 'insufficientCredits')
    const client = h.client(sim.url, quick)
    const events = taskEvents(client)
    await expect(client.run(image)).rejects.toMatchObject({ code: 'insufficientCredits', category: 'quota', retryable: false })
    expect(ofType(events, 'retry')).toHaveLength(0)
    expect(sim.stats.executions.size).toBe(1)
  })

  it('a rate limit retries that task and holds every send for the delay', async () => {
    const sim = await h.simulator()
    const clock = new ManualClock()
    const client = h.client(sim.url, { clock, heartbeat: false, retry: { initialDelayMs: 1_000 }, random: () => 0.5 })
    await client.connect()
    sim.rateLimit(1)
    const limited = client.run(image)
    await waitFor(client, 'task', (event) => event.type === 'retry')
    const events = taskEvents(client)
    const other = client.run(image)
    await new Promise((resolve) => setImmediate(resolve))
    expect(sim.stats.tasksReceived).toBe(1)
    // random() = 0.5: the delay (and the pause of every send) is 500 ms of the 1000 ms ceiling.
    clock.advance(499)
    await new Promise((resolve) => setImmediate(resolve))
    expect(events.map((event) => event.type)).toEqual(['queued'])
    clock.advance(1)
    await expect(Promise.all([limited, other])).resolves.toHaveLength(2)
    expect(sim.stats.tasksReceived).toBe(3)
    expect(sim.stats.faults.rateLimits).toBe(1)
  })

  it('a retry waits its delay before it is sent again, and other tasks do not (no pause without a rate limit)', async () => {
    const sim = await h.simulator()
    const clock = new ManualClock()
    const client = h.client(sim.url, { clock, heartbeat: false, retry: { initialDelayMs: 1_000 }, random: () => 0.5 })
    await client.connect()
    sim.failNext(1, 'timeoutProvider')
    const events = taskEvents(client)
    const failing = client.run(image)
    await waitFor(client, 'task', (event) => event.type === 'retry')
    await expect(client.run(image)).resolves.toHaveLength(1)
    clock.advance(499)
    await new Promise((resolve) => setImmediate(resolve))
    expect(ofType(events, 'sent').map((event) => event.attempt)).toEqual([1, 1])
    clock.advance(1)
    await expect(failing).resolves.toHaveLength(1)
    expect(ofType(events, 'sent').map((event) => event.attempt)).toEqual([1, 1, 2])
  })

  it('conflictTaskUUID means the server already has the task: its results are collected, not paid again', async () => {
    const sim = await h.simulator()
    const taskUUID = randomUUID()
    const first = h.client(sim.url, quick)
    const original = await first.run({ ...image, taskUUID, numberResults: 2 })
    // Another process (say, a restarted worker) submits the same id.
    const second = h.client(sim.url, quick)
    const events = taskEvents(second)
    const again = await second.run({ ...image, taskUUID, numberResults: 2 })
    expect(again.map((item) => item.imageUUID)).toEqual(original.map((item) => item.imageUUID))
    expect(ofType(events, 'polling')).toHaveLength(1)
    expect(sim.stats.executions.get(taskUUID)).toBe(1)
    expect(sim.stats.itemsProduced).toBe(2)
  })
})

describe('recovery when the fate of a task is unknown', () => {
  const h = useHarness()

  it('resumes the session after a drop: results finished meanwhile are replayed, nothing runs twice', async () => {
    const sim = await h.simulator({ latencyMs: 20 })
    const client = h.client(sim.url, quick)
    const events = taskEvents(client)
    await client.connect()
    sim.holdResults()
    const runs = Array.from({ length: 50 }, (_, i) => client.run({ ...image, numberResults: 1 + (i % 3) }))
    await until(() => sim.stats.tasksReceived === 50, 'all tasks on the server')
    sim.dropAll()
    await waitForState(client, 'reconnecting')
    sim.releaseResults()
    const results = await Promise.all(runs)
    expect(results.map((items) => items.length)).toEqual(Array.from({ length: 50 }, (_, i) => 1 + (i % 3)))
    expect(sim.stats.resumes).toBe(1)
    expect(sim.stats.executions.size).toBe(50)
    expect(sim.stats.executedTwice()).toEqual([])
    // Never resent under a new id.
    expect(ofType(events, 'retry')).toHaveLength(0)
    expect(ofType(events, 'sent')).toHaveLength(50)
  })

  it('a task whose results the resume replays is never asked about: the client waits for the replay', async () => {
    const sim = await h.simulator({ latencyMs: 20 })
    // A reconnect ~500 ms after the drop: every result is finished and buffered by then.
    const client = h.client(sim.url, { ...quick, reconnect: { initialDelayMs: 500, maxDelayMs: 500 }, random: () => 0.99 })
    const events = taskEvents(client)
    await client.connect()
    sim.holdResults()
    const runs = Array.from({ length: 20 }, () => client.run(image))
    await until(() => sim.stats.tasksReceived === 20, 'all tasks on the server')
    sim.dropAll()
    await waitForState(client, 'reconnecting')
    sim.releaseResults()
    expect((await Promise.all(runs)).every((items) => items.length === 1)).toBe(true)
    expect(sim.stats.resumes).toBe(1)
    expect(sim.stats.replayed).toBeGreaterThan(0)
    expect(sim.stats.polls).toBe(0)
    expect(ofType(events, 'resubmit')).toHaveLength(0)
  })

  it('after a resume, replayed results that arrive in later frames are waited for, not asked about', async () => {
    // The server replays the finished results only when it sees the client's ping, just before the pong.
    let held: WireTask[] = []
    const server = await h.scripted({
      onTasks: (tasks) => (held = tasks),
      onPing: (reply) => {
        if (server.connections > 1) reply({ data: held.map((task) => ({ taskType: task.taskType, taskUUID: task.taskUUID, imageUUID: randomUUID() })) })
      },
    })
    const client = h.client(server.url, { ...quick, heartbeat: false })
    await client.connect()
    const runs = Array.from({ length: 3 }, () => client.run(image))
    await until(() => held.length === 3, 'the tasks on the server')
    const ready = waitFor(client, 'state', (event) => event.to === 'ready')
    server.socket().terminate()
    expect((await ready)[0]).toMatchObject({ resumed: true })
    expect((await Promise.all(runs)).every((items) => items.length === 1)).toBe(true)
    // One frame: the tasks. No getResponse, no resend.
    expect(server.frames).toHaveLength(1)
  })

  it('after a resume, the pong of one ping ends the wait for the replay: a long resumeGraceMs costs nothing', async () => {
    const sim = await h.simulator({ latencyMs: 1_000 })
    // If only the grace ended the wait, nothing would be asked for a minute: the results would come
    // as pushes, and no getResponse would be sent.
    const client = h.client(sim.url, { ...quick, resumeGraceMs: 60_000 })
    await client.connect()
    const runs = Array.from({ length: 10 }, () => client.run(image))
    await until(() => sim.stats.tasksReceived === 10, 'tasks on the server')
    sim.dropAll()
    await waitForState(client, 'ready')
    await until(() => sim.stats.polls >= 10, 'every task still running asked about')
    expect(sim.stats.resumes).toBe(1)
    expect((await Promise.all(runs)).every((items) => items.length === 1)).toBe(true)
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('asks getResponse for tasks still running after the resume, and collects them', async () => {
    const sim = await h.simulator({ latencyMs: 300 })
    const client = h.client(sim.url, { ...quick, resumeGraceMs: 0 })
    await client.connect()
    const runs = Array.from({ length: 10 }, () => client.run({ ...image, numberResults: 2 }))
    await until(() => sim.stats.tasksReceived === 10, 'tasks on the server')
    sim.dropAll()
    const results = await Promise.all(runs)
    expect(results.every((items) => items.length === 2)).toBe(true)
    expect(sim.stats.polls).toBeGreaterThanOrEqual(10)
    expect(sim.stats.executions.size).toBe(10)
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('resends under the same taskUUID only what the server never received', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url, { ...quick, heartbeat: { intervalMs: 50, timeoutMs: 50 } })
    const events = taskEvents(client)
    await client.connect()
    // Half-open: whatever the client sends now vanishes unexecuted.
    sim.silence()
    const runs = Array.from({ length: 5 }, () => client.run(image))
    const results = await Promise.all(runs)
    expect(results.every((items) => items.length === 1)).toBe(true)
    const resubmits = ofType(events, 'resubmit')
    expect(resubmits).toHaveLength(5)
    for (const event of resubmits) expect(event.wireUUID).toBe(event.taskUUID)
    expect(ofType(events, 'retry')).toHaveLength(0)
    expect(sim.stats.executions.size).toBe(5)
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('finds a half-open socket by the heartbeat and recovers the results it was holding', async () => {
    const sim = await h.simulator({ latencyMs: 30 })
    const client = h.client(sim.url, { ...quick, heartbeat: { intervalMs: 50, timeoutMs: 50 } })
    const states = record(client, 'state')
    await client.connect()
    const runs = Array.from({ length: 20 }, () => client.run(image))
    await until(() => sim.stats.tasksReceived === 20, 'tasks on the server')
    sim.silence()
    const results = await Promise.all(runs)
    expect(results).toHaveLength(20)
    expect(states.find((event) => event.to === 'reconnecting')).toMatchObject({ reason: 'heartbeatTimeout' })
    expect(states.some((event) => event.to === 'ready' && event.resumed === true)).toBe(true)
    expect(sim.stats.replayed).toBeGreaterThan(0)
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('outside the resume window: a fresh session, then getResponse finds the results (nothing runs twice)', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, resumeWindowMs: 120_000 })
    const client = h.client(sim.url, {
      ...quick,
      clock,
      heartbeat: false,
      resumeWindowMs: 120_000,
      reconnect: { initialDelayMs: 200_000, maxDelayMs: 200_000 },
      random: () => 0.9,
    })
    const states = record(client, 'state')
    await client.connect()
    const firstSession = client.sessionUUID
    sim.holdResults()
    const runs = Array.from({ length: 5 }, () => client.run({ ...image, numberResults: 2 }))
    await until(() => sim.stats.tasksReceived === 5, 'tasks on the server')
    sim.dropAll()
    await waitForState(client, 'reconnecting')
    sim.releaseResults()
    // The reconnect delay (180 s) outlasts the window: the session and its buffer are gone.
    clock.advance(180_000)
    await waitForState(client, 'ready')
    expect(states.at(-1)?.resumed).toBe(false)
    expect(client.sessionUUID).not.toBe(firstSession)
    const pollsBefore = sim.stats.polls
    await until(() => sim.stats.polls > pollsBefore, 'a probe')
    const results = await Promise.all(runs)
    expect(results.every((items) => items.length === 2)).toBe(true)
    expect(sim.stats.resumes).toBe(0)
    expect(sim.stats.executions.size).toBe(5)
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('duplicate, malformed and late frames during recovery change nothing for the caller', async () => {
    const sim = await h.simulator({ framing: 'item', latencyMs: 10 })
    const client = h.client(sim.url, quick)
    const delivered = new Map<string, number>()
    const runs = Array.from({ length: 30 }, () =>
      client.run({ ...image, numberResults: 3 }, { onResult: (item) => delivered.set(item.imageUUID, (delivered.get(item.imageUUID) ?? 0) + 1) }),
    )
    await until(() => sim.stats.tasksReceived === 30, 'tasks on the server')
    sim.duplicateNext(40)
    sim.malformedNext(10)
    sim.dropAfterFrames(15)
    const results = await Promise.all(runs)
    const items = results.flat()
    expect(items).toHaveLength(90)
    expect(new Set(items.map((item) => item.imageUUID)).size).toBe(90)
    expect([...delivered.values()].every((count) => count === 1)).toBe(true)
    expect(delivered.size).toBe(90)
    expect(sim.stats.faults.duplicates).toBeGreaterThan(0)
    expect(sim.stats.executedTwice()).toEqual([])
    expect(sim.stats.itemsProduced).toBe(90)
  })

  it('with recover: false, tasks on the wire reject with a retryable connectionLost', async () => {
    const sim = await h.simulator()
    sim.holdResults()
    const client = h.client(sim.url, { ...quick, recover: false })
    const task = client.run(image)
    await until(() => sim.stats.tasksReceived === 1, 'task on the server')
    sim.dropAll()
    expect(await failure(task)).toMatchObject({
      code: 'connectionLost',
      category: 'connection',
      retryable: true,
      message: 'the socket closed while the task was in flight',
      taskType: 'imageInference',
      taskUUID: expect.any(String) as string,
    })
    sim.releaseResults()
    // The client itself reconnects and goes on working.
    await expect(client.run(image)).resolves.toHaveLength(1)
  })
})
