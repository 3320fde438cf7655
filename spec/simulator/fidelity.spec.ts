/**
 * Simulator fidelity (#13): the auth-failure envelope, getResponse for unknown and expired tasks
 * with a retention time, dryRun, the load mode, framing drawn per task, and which codes are
 * invented. Each provoked through the simulator's options and controls.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SIMULATOR_CODES, sourceOf } from '../../lib/simulator/index.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { API_KEY, record, useHarness } from '../helpers/harness.js'
import { TestClient, is } from '../helpers/test-client.js'
import { afterTick, failure, until } from '../helpers/wait.js'
import { ASYNC_VIDEO, imageTask } from '../fixtures/tasks.js'
import { untyped } from '../../lib/api/task-types.js'
import { poll, rejection, run } from './speak.js'

const h = useHarness()

describe('the auth-failure envelope', () => {
  it.each([
    ['errors', (body: unknown) => expect(body).toMatchObject({ errors: [{ code: 'invalidApiKey', taskType: 'authentication', parameter: 'apiKey' }] })],
    ['error', (body: unknown) => expect(body).toMatchObject({ error: { code: 'invalidApiKey', taskType: 'authentication', parameter: 'apiKey' } })],
    ['legacy', (body: unknown) => expect(body).toEqual({ error: true, errorMessageContentId: 1212, errorId: 19, errorMessage: 'Invalid api key' })],
  ] as const)('authErrorShape %s: the shape on the wire, and this client fails once with invalidApiKey', async (shape, check) => {
    const sim = await h.simulator({ apiKeys: ['good'], authErrorShape: shape })
    const raw = await h.connect(sim)
    raw.send([{ taskType: 'authentication', apiKey: 'bad' }])
    check((await raw.next()).body)
    const client = h.client(sim.url, { apiKey: 'wrong-key-0123456789' })
    expect(await failure(client.connect())).toMatchObject({ code: 'invalidApiKey', category: 'auth' })
    expect(client.state).toBe('failed')
    expect(sim.stats.authFailures).toBe(2)
  })

  it('refuses an unknown shape', async () => {
    await expect(h.simulator({ authErrorShape: 'xml' as never })).rejects.toThrow(/unknown authErrorShape/)
  })
})

describe('getResponse for a task the server does not know', () => {
  it('answers {"data": []} by default, and taskNotFound with unknownTaskAnswer "error"', async () => {
    const plain = await h.simulator()
    const a = (await h.authed(plain)).client
    expect((await poll(a, randomUUID())).body).toEqual({ data: [] })
    const strict = await h.simulator({ unknownTaskAnswer: 'error' })
    const b = (await h.authed(strict)).client
    const taskUUID = randomUUID()
    expect((await poll(b, taskUUID)).errors[0]).toMatchObject({ code: 'taskNotFound', taskUUID, taskType: 'getResponse' })
  })

  it('a finished task is forgotten after retentionMs: taskExpired, a reused id runs again, memory is released', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, retentionMs: 60_000, unknownTaskAnswer: 'error' })
    const { client } = await h.authed(sim)
    const tasks = Array.from({ length: 20 }, () => imageTask())
    for (const task of tasks) await run(client, task)
    expect(sim.stats.tasksKnown).toBe(20)
    clock.advance(30_000)
    expect((await poll(client, tasks[0]!.taskUUID)).data[0]).toMatchObject({ status: 'success' })
    expect(await rejection(client, tasks[1]!)).toMatchObject({ code: 'conflictTaskUUID' })
    clock.advance(31_000)
    expect((await poll(client, tasks[0]!.taskUUID)).errors[0]).toMatchObject({ code: 'taskExpired' })
    expect(sim.stats.tasksKnown).toBe(0)
    // Forgotten: the id is new to the server again.
    expect(await run(client, tasks[1]!)).toHaveLength(1)
    expect(sim.stats.executions.get(tasks[1]!.taskUUID)).toBe(2)
    // And the expired mark itself goes after another retention period.
    clock.advance(61_000)
    expect((await poll(client, tasks[2]!.taskUUID)).errors[0]).toMatchObject({ code: 'taskNotFound' })
  })
})

describe('dryRun', () => {
  it('a task with dryRun: true is validated and answered, never run; an invalid one is still refused', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const task = imageTask({ numberResults: 2, dryRun: true })
    const items = await run(client, task, 2)
    expect(items).toEqual([0, 1].map(() => ({ taskType: 'imageInference', taskUUID: task.taskUUID, dryRun: true })))
    expect(sim.stats.executions.size).toBe(0)
    expect(sim.stats.dryRuns).toBe(1)
    expect(await rejection(client, imageTask({ width: 5, dryRun: true }))).toMatchObject({ code: 'invalidWidth' })
  })

  it('an async task with dryRun: true keeps its shape: acknowledged, its placeholders collected with getResponse, never run', async () => {
    const sim = await h.simulator({ capacity: { 'klingai:5@3': { slots: 1, queue: 0, serviceMs: 60_000 } } })
    const client = h.client(sim.url, { poll: { initialDelayMs: 10 } })
    // A real task holds the model's only slot: a dry run needs none, so it is not refused.
    const real = client.run(untyped({ ...ASYNC_VIDEO }))
    void real.catch(() => undefined)
    await until(() => sim.stats.executions.size === 1, 'the real task runs')
    const events = record(client, 'task')
    const items = await client.run(untyped({ ...ASYNC_VIDEO, numberResults: 2, dryRun: true }))
    expect(items.map((item) => (item as { dryRun?: unknown }).dryRun)).toEqual([true, true])
    expect(events.map((event) => event.type)).toContain('polling')
    expect(sim.stats.executions.size).toBe(1)
    expect(sim.stats.dryRuns).toBe(1)
    expect(sim.stats.itemsProduced).toBe(0)
  })

  it('a socket opened with ?dryRun=1 (what sdk-js sends when asked to) runs nothing', async () => {
    const sim = await h.simulator()
    const client = await TestClient.connect(`${sim.url}?sdk=js&dryRun=1`)
    try {
      await client.auth(API_KEY)
      expect(await run(client, imageTask())).toEqual([{ taskType: 'imageInference', taskUUID: expect.any(String) as string, dryRun: true }])
      expect(sim.stats.executions.size).toBe(0)
    } finally {
      await client.close()
    }
  })
})

describe('the load mode', () => {
  it('latency grows with the tasks in flight, up to maxMs more', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, latencyMs: 100, load: { perTaskMs: 50, maxMs: 200 } })
    const { client } = await h.authed(sim)
    const tasks = Array.from({ length: 6 }, () => imageTask())
    client.send(tasks)
    await until(() => sim.stats.tasksReceived === 6, 'the six tasks received')
    // Task i waits 100 + min(200, 50·i) ms: 100, 150, 200, 250, 300, 300.
    const done = async (ms: number): Promise<number> => {
      clock.advance(ms)
      await afterTick()
      return sim.stats.itemsProduced
    }
    expect(await done(99)).toBe(0)
    expect(await done(1)).toBe(1)
    expect(await done(50)).toBe(2)
    expect(await done(100)).toBe(4)
    expect(await done(50)).toBe(6)
    for (const task of tasks) await client.next(is.task(task.taskUUID))
  })
})

describe('capacity that changes while it runs (setCapacity)', () => {
  it('more slots start the waiting at once; fewer let the running finish and refuse past the new queue', async () => {
    const clock = new ManualClock()
    const model = 'sim:shifting@1'
    const sim = await h.simulator({ clock, capacity: { [model]: { slots: 1, queue: 3, serviceMs: 100 } } })
    const { client } = await h.authed(sim)
    const tasks = Array.from({ length: 4 }, () => imageTask({ model }))
    client.send(tasks)
    await until(() => sim.stats.tasksReceived === 4, 'the four tasks received')
    const done = async (ms: number): Promise<number> => {
      clock.advance(ms)
      await afterTick()
      return sim.stats.itemsProduced
    }
    // One slot: the first finishes at 100, the second starts then.
    expect(await done(100)).toBe(1)
    // Three slots from now: the two still waiting start at once, beside the second.
    sim.setCapacity(model, { slots: 3, queue: 3, serviceMs: 100 })
    expect(await done(99)).toBe(1)
    expect(await done(1)).toBe(4)
    for (const task of tasks) await client.next(is.task(task.taskUUID))
    // Down to one slot and no queue: two tasks start, the second is refused.
    const [first, second] = [imageTask({ model }), imageTask({ model })]
    sim.setCapacity(model, { slots: 1, queue: 0, serviceMs: 100 })
    client.send([first])
    expect(await rejection(client, second)).toMatchObject({ code: 'rateLimitExceeded' })
    expect(await done(100)).toBe(5)
    await client.next(is.task(first.taskUUID))
    expect(() => sim.setCapacity('sim:unknown@1', { slots: 1 })).toThrow(RangeError)
    expect(() => sim.setCapacity(model, { slots: 0 })).toThrow(/slots/)
  })
})

describe('framing drawn per task', () => {
  it('mixed: each task framed as one of item, task and batch, seeded; the items are all there', async () => {
    const frames = async (seed: number): Promise<number[]> => {
      const sim = await h.simulator({ framing: 'mixed', seed })
      const { client } = await h.authed(sim)
      const sizes: number[] = []
      for (let i = 0; i < 12; i++) {
        const task = imageTask({ numberResults: 3 })
        client.send([task])
        let items = 0
        let count = 0
        while (items < 3) {
          items += (await client.next(is.task(task.taskUUID))).data.length
          count += 1
        }
        sizes.push(count)
      }
      return sizes
    }
    const first = await frames(5)
    expect(await frames(5)).toEqual(first)
    // One frame (task or batch) or three (item): both occur.
    expect(new Set(first)).toEqual(new Set([1, 3]))
  })
})

describe('which codes are invented', () => {
  it('the table marks the codes Runware documents nowhere, and the field-check names as a pattern', () => {
    for (const code of [
      'authenticationRequired',
      'invalidJSON',
      'invalidPayload',
      'missingTaskType',
      'missingTaskUUID',
      'invalidTaskUUID',
      'unsupportedDeliveryMethod',
    ]) {
      expect(sourceOf(code)).toBe('invented')
    }
    expect(sourceOf('invalidApiKey')).toBe('wire')
    expect(sourceOf('taskNotFound')).toBe('classifier')
    expect(sourceOf('missingMessages')).toBe('pattern')
    expect(Object.values(SIMULATOR_CODES).every((entry) => entry.when.length > 0)).toBe(true)
  })

  it('every refusal the simulator can make without a field check uses a code the table lists', async () => {
    const sim = await h.simulator()
    const raw = await h.connect(sim)
    raw.send([imageTask()])
    const seen = [(await raw.next()).errors[0]?.code]
    raw.send('not json')
    seen.push((await raw.next()).errors[0]?.code)
    raw.send('[]')
    seen.push((await raw.next()).errors[0]?.code)
    await raw.auth()
    raw.send([{ nope: 1 }])
    seen.push((await raw.next()).errors[0]?.code)
    raw.send([{ taskType: 'imageInference' }])
    seen.push((await raw.next()).errors[0]?.code)
    raw.send([{ taskType: 'modelSearch', taskUUID: randomUUID(), search: 'x', deliveryMethod: 'async' }])
    seen.push((await raw.next()).errors[0]?.code)
    raw.send([{ taskType: 'teleport', taskUUID: randomUUID() }])
    seen.push((await raw.next()).errors[0]?.code)
    expect(seen).toEqual([
      'authenticationRequired',
      'invalidJSON',
      'invalidPayload',
      'missingTaskType',
      'missingTaskUUID',
      'unsupportedDeliveryMethod',
      'unsupportedTaskType',
    ])
    for (const code of seen) expect(sourceOf(String(code))).toBeDefined()
  })
})
