/**
 * Settled means settled (#15): once a task settles, no inbound path can move it again, so it is
 * never retried, sent or settled a second time, whatever order the server's answers come in.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { TaskEvent } from '../../lib/api/events.js'
import type { WireTask } from '../helpers/scripted-server.js'
import { record, useHarness } from '../helpers/harness.js'
import { failure, until } from '../helpers/wait.js'
import { IMAGE } from '../fixtures/tasks.js'

const image = IMAGE

const statusError = (task: WireTask | undefined): Record<string, unknown> => ({
  taskType: task?.taskType,
  taskUUID: task?.taskUUID,
  status: 'error',
  error: { code: 'taskFailed', message: 'the worker died' },
})
const result = (task: WireTask | undefined): Record<string, unknown> => ({ taskType: task?.taskType, taskUUID: task?.taskUUID, imageUUID: randomUUID() })

function shape(events: TaskEvent[]): string[] {
  return events.map((event) => (event.type === 'settled' ? `settled:${event.outcome}` : event.type))
}

describe('a task that settled stays settled', () => {
  const h = useHarness()
  // A retry would wait ~10 s: long enough for any later frame of the same answer to arrive first.
  const slowRetry = { retry: { initialDelayMs: 10_000, maxDelayMs: 10_000 }, random: () => 0.99 } as const

  const cases: [string, (task: WireTask | undefined) => unknown[]][] = [
    ['a status:"error" poll item and a result item in one frame', (task) => [{ data: [statusError(task), result(task)] }]],
    ['the same, the other way round', (task) => [{ data: [result(task), statusError(task)] }]],
    ['split over two frames, the error first', (task) => [{ data: [statusError(task)] }, { data: [result(task)] }]],
    ['split over two frames, the result first', (task) => [{ data: [result(task)] }, { data: [statusError(task)] }]],
  ]
  for (const [name, frames] of cases) {
    it(`${name}: one submission, one settle`, async () => {
      const server = await h.scripted({
        onTasks: (tasks, reply) => {
          for (const frame of frames(tasks[0])) reply(frame)
          // Names no task: once the client reports it as an orphan, every frame before it is in.
          reply({ data: [{ taskType: 'marker' }] })
        },
      })
      const client = h.client(server.url, slowRetry)
      const events = record(client, 'task')
      const orphans = record(client, 'orphan')
      const items = await client.run(image)
      expect(items).toHaveLength(1)
      await until(() => orphans.some((orphan) => orphan.item?.taskType === 'marker'), 'every frame of the answer')
      await client.close()
      const settled = shape(events).filter((type) => type.startsWith('settled'))
      expect(settled).toEqual(['settled:resolved'])
      expect(server.frames.filter((frame) => frame[0]?.taskType === 'imageInference')).toHaveLength(1)
      expect(shape(events).filter((type) => type === 'sent')).toHaveLength(1)
    })
  }

  it('an error repeated for an attempt a retry already superseded decides nothing: one retry, two submissions', async () => {
    let sends = 0
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const task = tasks[0]
        sends += 1
        if (sends === 1) {
          const error = { errors: [{ code: 'taskFailed', message: 'failed', taskType: task?.taskType, taskUUID: task?.taskUUID }] }
          reply(error)
          reply(error) // a duplicated frame
        } else {
          reply({ data: [result(task)] })
        }
      },
    })
    const client = h.client(server.url, { retry: { initialDelayMs: 0 } })
    const events = record(client, 'task')
    const orphans = record(client, 'orphan')
    await expect(client.run(image)).resolves.toHaveLength(1)
    expect(shape(events)).toEqual(['queued', 'sent', 'retry', 'sent', 'settled:resolved'])
    expect(server.frames).toHaveLength(2)
    expect(orphans.filter((orphan) => orphan.error?.code === 'taskFailed')).toHaveLength(1)
  })

  it('a settled listener that settles other tasks while close() walks the pending set', async () => {
    const server = await h.scripted()
    const client = h.client(server.url)
    await client.connect()
    const controllers = Array.from({ length: 20 }, () => new AbortController())
    const runs = controllers.map((controller) => failure(client.run(image, { signal: controller.signal })))
    const settled = new Map<string, number>()
    client.on('task', (event) => {
      if (event.type !== 'settled') return
      settled.set(event.taskUUID, (settled.get(event.taskUUID) ?? 0) + 1)
      // Abort every other task from inside the walk.
      for (const controller of controllers) controller.abort()
    })
    await until(() => server.frames.length > 0, 'the tasks on the wire')
    await client.close()
    const errors = await Promise.all(runs)
    expect(errors.every((error) => error.code === 'connectionClosed')).toBe(true)
    expect([...settled.values()]).toEqual(Array.from({ length: 20 }, () => 1))
  })

  it('a settled listener that closes the client while an auth failure walks the pending set', async () => {
    const server = await h.scripted({ onAuth: (_task, reply) => reply({ errors: [{ code: 'invalidApiKey', message: 'no', taskType: 'authentication' }] }) })
    const client = h.client(server.url)
    const settled = new Map<string, number>()
    client.on('task', (event) => {
      if (event.type !== 'settled') return
      settled.set(event.taskUUID, (settled.get(event.taskUUID) ?? 0) + 1)
      void client.close()
    })
    const runs = Array.from({ length: 10 }, () => failure(client.run(image)))
    const errors = await Promise.all(runs)
    expect(errors.map((error) => error.code)).toEqual(Array.from({ length: 10 }, () => 'invalidApiKey'))
    expect([...settled.values()]).toEqual(Array.from({ length: 10 }, () => 1))
  })

  for (const how of ['timeout', 'abort'] as const) {
    it(`a late poll answer after a ${how} is an orphan and moves nothing`, async () => {
      const server = await h.scripted({
        onTasks: (tasks, reply) => {
          const task = tasks[0]
          if (task?.taskType !== 'getResponse') reply({ data: [{ taskType: task?.taskType, taskUUID: task?.taskUUID }] })
        },
      })
      const client = h.client(server.url, { poll: { initialDelayMs: 1, maxDelayMs: 2, timeoutMs: 60_000 } })
      const events = record(client, 'task')
      const orphans = record(client, 'orphan')
      const controller = new AbortController()
      const run = failure(client.run({ ...image, deliveryMethod: 'async' }, how === 'abort' ? { signal: controller.signal } : { timeoutMs: 300 }))
      const poll = await server.nextFrame((frame) => frame[0]?.taskType === 'getResponse')
      if (how === 'abort') controller.abort()
      expect((await run).code).toBe(how === 'abort' ? 'aborted' : 'taskTimeout')
      server.send({
        data: [
          { ...statusError(poll[0]), taskType: 'imageInference' },
          { taskType: 'imageInference', taskUUID: poll[0]?.taskUUID, imageUUID: 'late', status: 'success' },
        ],
      })
      await until(() => orphans.length === 2, 'the late answer as orphans')
      expect(shape(events)).toEqual(['queued', 'sent', 'polling', 'settled:rejected'])
      expect(server.frames.filter((frame) => frame[0]?.taskType === 'imageInference')).toHaveLength(1)
    })
  }
})
