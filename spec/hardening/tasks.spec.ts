/** Exotic tasks, first-send conflicts, shared signals and the handshake (#9 items 10, 11 and the decisions). */
import { randomUUID } from 'node:crypto'
import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { Task } from '../../lib/protocol/protocol.js'
import { untyped } from '../../lib/api/task-types.js'
import { record, useHarness } from '../helpers/harness.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { failure, until } from '../helpers/wait.js'
import { IMAGE } from '../fixtures/tasks.js'

const image = IMAGE

describe('exotic task objects', () => {
  const h = useHarness()

  it('an inherited taskType is not a taskType: invalidTask, nothing sent', async () => {
    const server = await h.scripted()
    const client = h.client(server.url)
    const task = Object.create({ taskType: 'imageInference' }) as Task
    Object.assign(task, { model: 'm', positivePrompt: 'p' })
    const error = await failure(client.run(untyped(task)))
    expect(error.code).toBe('invalidTask')
    expect(error.message).toMatch(/taskType/)
    expect(server.frames).toHaveLength(0)
  })

  it('a throwing getter and a revoked Proxy reject with invalidTask instead of throwing', async () => {
    const server = await h.scripted()
    const client = h.client(server.url)
    const getter = { ...image }
    Object.defineProperty(getter, 'positivePrompt', {
      enumerable: true,
      get() {
        throw new Error('getter bug')
      },
    })
    const { proxy, revoke } = Proxy.revocable({ ...image }, {})
    revoke()
    const nested = {
      ...image,
      inputs: {
        get image(): string {
          throw new Error('nested getter bug')
        },
      },
    }
    for (const task of [getter, proxy, nested]) {
      let result: Promise<unknown> | undefined
      expect(() => (result = client.run(untyped(task as Task)))).not.toThrow()
      const error = await failure(result!)
      expect(error.code).toBe('invalidTask')
    }
    expect(server.frames).toHaveLength(0)
  })

  it('what is validated is what is sent: a getter is read once', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => reply({ data: tasks.map((t) => ({ taskType: t.taskType, taskUUID: t.taskUUID, imageUUID: randomUUID() })) }),
    })
    const client = h.client(server.url)
    let reads = 0
    const task = { ...image }
    Object.defineProperty(task, 'numberResults', {
      enumerable: true,
      get() {
        reads += 1
        return reads === 1 ? 1 : 'not a number'
      },
    })
    await expect(client.run(untyped(task as Task))).resolves.toHaveLength(1)
    expect(reads).toBe(1)
    expect(server.frames[0]?.[0]?.numberResults).toBe(1)
  })
})

describe('conflictTaskUUID on a first send', () => {
  const h = useHarness()

  it('is polled; after the documented number of empty answers it rejects with the conflict, not taskTimeout', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        for (const task of tasks) {
          if (task.taskType === 'getResponse') reply({ data: [] })
          else if (task.taskType === 'promptEnhance') reply({ data: [{ taskType: 'promptEnhance', taskUUID: task.taskUUID, text: 'marker' }] })
          else reply({ errors: [{ code: 'conflictTaskUUID', message: 'exists', parameter: 'taskUUID', taskType: task.taskType, taskUUID: task.taskUUID }] })
        }
      },
    })
    // The manual clock moves 2 ms a step and each answer is read before the next: no round can
    // outlast poll.timeoutMs and be asked again, however slow the machine.
    const clock = new ManualClock()
    const client = h.client(server.url, { clock, heartbeat: false, poll: { initialDelayMs: 1, maxDelayMs: 2, timeoutMs: 50 }, taskTimeoutMs: 10_000 })
    await client.connect()
    let outcome: unknown
    void client.run({ ...image, taskUUID: randomUUID() }).catch((error: unknown) => (outcome = error))
    // A marker task through the socket and back: everything the server sent before it has been read.
    const roundTrip = (): Promise<unknown> => client.run({ taskType: 'promptEnhance', prompt: 'marker' })
    await roundTrip()
    for (let step = 0; step < 20 && outcome === undefined; step++) {
      clock.advance(2)
      await roundTrip()
    }
    expect(outcome).toMatchObject({ code: 'conflictTaskUUID', category: 'conflict' })
    const polls = server.frames.flat().filter((task) => task.taskType === 'getResponse').length
    expect(polls).toBe(3)
  })
})

describe('one AbortSignal shared by many tasks', () => {
  const h = useHarness()

  it('adds one listener to the signal, and none is left once they settle', async () => {
    const sim = await h.simulator({ framing: 'batch' })
    const client = h.client(sim.url)
    const controller = new AbortController()
    const warnings: Error[] = []
    const onWarning = (warning: Error): void => void warnings.push(warning)
    process.on('warning', onWarning)
    try {
      const runs = Array.from({ length: 2_000 }, () => client.run(image, { signal: controller.signal }))
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
      await Promise.all(runs)
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([])
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('aborting it rejects every task that shares it, once', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    sim.holdResults()
    const controller = new AbortController()
    const runs = Array.from({ length: 50 }, () => failure(client.run(image, { signal: controller.signal })))
    await until(() => sim.stats.tasksReceived === 50, 'all sent')
    controller.abort(new Error('enough'))
    const errors = await Promise.all(runs)
    expect(errors.every((error) => error.code === 'aborted')).toBe(true)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })
})

describe('an error that names no task, before the auth reply', () => {
  const h = useHarness()

  it('with an unknown code is reported and does not fail the connection', async () => {
    const server = await h.scripted({
      onAuth: (_task, reply) => {
        reply({ errors: [{ code: 'somethingOdd', message: 'hm' }] })
        reply({ data: [{ taskType: 'authentication', connectionSessionUUID: randomUUID() }] })
      },
    })
    const client = h.client(server.url)
    const errors = record(client, 'error')
    await client.connect()
    expect(client.state).toBe('ready')
    expect(errors.map((error) => error.code)).toEqual(['somethingOdd'])
  })

  it('with an auth-category code fails the connection', async () => {
    const server = await h.scripted({ onAuth: (_task, reply) => reply({ errors: [{ code: 'accountSuspended', message: 'no' }] }) })
    const client = h.client(server.url)
    const error = await failure(client.connect())
    expect(error.code).toBe('accountSuspended')
    expect(client.state).toBe('failed')
  })
})
