/**
 * What the receiver makes of what arrives (tasks/receiver.ts), seen from outside with a scripted
 * server: the errors it mints name the caller's task, the reports say what was skipped, progress
 * is the highest in an answer, orphans carry what came and nothing else.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { RunwareError } from '../../lib/support/errors.js'
import { record, useHarness } from '../helpers/harness.js'
import { failure, waitFor } from '../helpers/wait.js'
import { ASYNC_VIDEO, IMAGE } from '../fixtures/tasks.js'

const quick = { retry: { initialDelayMs: 0, maxDelayMs: 1 }, poll: { initialDelayMs: 1, maxDelayMs: 1, timeoutMs: 1_000 }, heartbeat: false } as const

describe('the receiver, from outside', () => {
  const h = useHarness()

  it('an error after a retry names the caller’s taskUUID and type, not the retry’s wire id', async () => {
    let calls = 0
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const task = tasks[0]
        calls += 1
        const code = calls === 1 ? 'timeoutProvider' : 'invalidPositivePrompt'
        reply({ errors: [{ code, message: 'no', taskUUID: task?.taskUUID, taskType: 'imageInference' }] })
      },
    })
    const client = h.client(server.url, quick)
    const taskUUID = randomUUID()
    const error = await failure(client.run({ ...IMAGE, taskUUID }))
    expect(calls).toBe(2)
    expect(error).toMatchObject({ code: 'invalidPositivePrompt', taskUUID, taskType: 'imageInference' })
    expect(server.frames[1]?.[0]?.taskUUID).not.toBe(taskUUID)
  })

  it('an answer with several progress values reports the highest; a failed status without an error object fails with taskFailed', async () => {
    let polls = 0
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const task = tasks[0]
        if (task?.taskType === 'getResponse') {
          polls += 1
          const id = task.taskUUID
          if (polls === 1) {
            reply({
              data: [
                { taskType: 'videoInference', taskUUID: id, status: 'processing', progress: 30 },
                { taskType: 'videoInference', taskUUID: id, status: 'processing', progress: 70 },
                { taskType: 'videoInference', taskUUID: id, status: 'processing', progress: 50 },
              ],
            })
          } else reply({ data: [{ taskType: 'videoInference', taskUUID: id, status: 'error' }] })
        } else reply({ data: [{ taskType: 'videoInference', taskUUID: task?.taskUUID }] })
      },
    })
    const client = h.client(server.url, quick)
    const progress = record(client, 'progress')
    const seen: number[] = []
    const taskUUID = randomUUID()
    const error = await failure(client.run({ ...ASYNC_VIDEO, taskUUID }, { onProgress: (value) => seen.push(value) }))
    expect(seen).toEqual([70])
    expect(progress).toEqual([{ taskUUID, taskType: 'videoInference', progress: 70 }])
    expect(error).toMatchObject({ code: 'taskFailed', taskUUID, taskType: 'videoInference' })
    expect(error.message).toBe('task reported status "error"')
  })

  it('an onProgress that throws is reported by its name', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const task = tasks[0]
        const id = task?.taskUUID
        if (task?.taskType === 'getResponse') {
          reply({ data: [{ taskType: 'videoInference', taskUUID: id, status: 'processing', progress: 10 }] })
        } else reply({ data: [{ taskType: 'videoInference', taskUUID: id }] })
      },
    })
    const client = h.client(server.url, quick)
    const errors = record(client, 'error')
    const controller = new AbortController()
    const run = client.run(ASYNC_VIDEO, {
      signal: controller.signal,
      onProgress: () => {
        throw new Error('listener broke')
      },
    })
    await waitFor(client, 'error')
    controller.abort()
    await failure(run)
    expect(errors[0]).toMatchObject({ code: 'callbackError' })
    expect(errors[0]?.message).toBe('onProgress threw: listener broke')
  })

  it('malformed items are reported together, each by what was wrong', async () => {
    const server = await h.scripted({})
    const client = h.client(server.url, quick)
    const errors = record(client, 'error')
    await client.connect()
    // One good item keeps the frame; the two bad ones are skipped.
    server.send({ data: [5, { taskUUID: 7, taskType: 'imageInference' }, { taskType: 'imageInference', taskUUID: randomUUID(), imageUUID: 'x' }] })
    await waitFor(client, 'error')
    expect(errors[0]?.code).toBe('protocolError')
    expect(errors[0]?.message).toBe('malformed parts of a frame skipped: data item is number 5, not an object; data item taskUUID is number 7')
  })

  it('a refused item fails its task with protocolError naming the caller’s task', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) =>
        reply({ data: [{ taskType: 'imageInference', taskUUID: tasks[0]?.taskUUID, imageUUID: { ['__proto__']: 1 }, deep: nest(200) }] }),
    })
    const client = h.client(server.url, quick)
    const taskUUID = randomUUID()
    const error: RunwareError = await failure(client.run({ ...IMAGE, taskUUID }))
    expect(error).toMatchObject({ code: 'protocolError', taskUUID, taskType: 'imageInference' })
  })

  it('an orphan carries what came: the item, or the error, and no other key', async () => {
    const server = await h.scripted({})
    const client = h.client(server.url, quick)
    const orphans = record(client, 'orphan')
    await client.connect()
    const stray = randomUUID()
    server.send({ data: [{ taskType: 'imageInference', taskUUID: stray, imageUUID: 'late' }] })
    await waitFor(client, 'orphan')
    server.send({ errors: [{ code: 'timeoutProvider', message: 'late', taskUUID: stray }] })
    await waitFor(client, 'orphan')
    server.send({ data: [{ taskType: 'imageInference', imageUUID: 'no id' }] })
    await waitFor(client, 'orphan')
    expect(orphans.map((orphan) => Object.keys(orphan).sort())).toEqual([
      ['item', 'taskUUID'],
      ['error', 'taskUUID'],
      ['item', 'taskUUID'],
    ])
    expect(orphans[0]).toMatchObject({ taskUUID: stray, item: { imageUUID: 'late' } })
    expect(orphans[1]).toMatchObject({ taskUUID: stray, error: { code: 'timeoutProvider' } })
    expect(orphans[2]?.taskUUID).toBeUndefined()
  })
})

function nest(depth: number): unknown {
  let value: unknown = 'leaf'
  for (let i = 0; i < depth; i++) value = { a: value }
  return value
}
