/** Hostile frames (#9 items 1 and 7, frame limits): a frame can be skipped, never crash or wedge the socket. */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { MAX_FRAME_DEPTH } from '../../lib/protocol/parse.js'
import { record, useHarness } from '../helpers/harness.js'
import { failure, until } from '../helpers/wait.js'
import { IMAGE } from '../fixtures/tasks.js'

const image = IMAGE
const deep = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`

describe('deep frames', () => {
  const h = useHarness()

  it('an error item with no taskUUID nested 20,000 deep is a protocolError, skipped; the socket carries on', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        reply(`{"errors":[{"code":"weird","message":"x","nested":${deep(20_000)}}]}`)
        reply({ data: [{ taskType: 'imageInference', taskUUID: tasks[0]?.taskUUID, imageUUID: randomUUID() }] })
      },
    })
    const client = h.client(server.url)
    const errors = record(client, 'error')
    await expect(client.run(image)).resolves.toHaveLength(1)
    await until(() => errors.length >= 1, 'the protocol error')
    expect(errors[0]).toMatchObject({ code: 'protocolError' })
    expect(errors[0]?.message).toMatch(/deeper than/)
    expect(client.state).toBe('ready')
    await client.close()
  })

  it(`accepts nesting up to the documented limit (${MAX_FRAME_DEPTH}) and refuses one level more`, async () => {
    // envelope(1) → data(2) → item(3) → field: an array nested to reach the limit exactly.
    const at = (total: number): string => deep(total - 3)
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const [a, b] = tasks
        reply(`{"data":[{"taskType":"imageInference","taskUUID":"${String(a?.taskUUID)}","imageUUID":"a","nest":${at(MAX_FRAME_DEPTH)}}]}`)
        reply(`{"data":[{"taskType":"imageInference","taskUUID":"${String(b?.taskUUID)}","imageUUID":"b","nest":${at(MAX_FRAME_DEPTH + 1)}}]}`)
      },
    })
    const client = h.client(server.url, { taskTimeoutMs: 60_000 })
    const errors = record(client, 'error')
    await client.connect()
    const [a, b] = await Promise.allSettled([client.run(image), client.run(image)])
    expect(a.status).toBe('fulfilled')
    // Refused, and its task fails at once: it does not wait out its 60 s deadline.
    expect(b).toMatchObject({ status: 'rejected', reason: { code: 'protocolError' } })
    expect(errors.map((error) => error.code)).toEqual(['protocolError'])
  })

  it('a 2-result task whose server sends exactly two items, one nested 20,000 deep, fails at once with protocolError', async () => {
    const deep = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const taskUUID = String(tasks[0]?.taskUUID)
        reply(`{"data":[{"taskType":"imageInference","taskUUID":"${taskUUID}","imageUUID":"a"}]}`)
        reply(`{"data":[{"taskType":"imageInference","taskUUID":"${taskUUID}","imageUUID":"b","nest":${deep}}]}`)
      },
    })
    const client = h.client(server.url, { taskTimeoutMs: 60_000 })
    const seen: unknown[] = []
    const error = await failure(client.run({ ...image, numberResults: 2 }, { onResult: (item) => void seen.push(item.imageUUID) }))
    expect(error).toMatchObject({ code: 'protocolError', category: 'unknown', retryable: false })
    expect(error.message).toMatch(/an item for this task was refused \(a data item nests deeper than 64 levels of its frame\)/)
    expect(seen).toEqual(['a'])
  })
})

describe('replays and equal results', () => {
  const h = useHarness()

  it('two equal promptEnhance versions in two frames are both results, not a replay', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const item = { taskType: 'promptEnhance', taskUUID: tasks[0]?.taskUUID, text: 'the same words' }
        reply({ data: [item] })
        reply({ data: [item] })
      },
    })
    const client = h.client(server.url, { taskTimeoutMs: 2_000 })
    const items = await client.run({ taskType: 'promptEnhance', prompt: 'a castle', promptVersions: 2 })
    expect(items.map((item) => item.text)).toEqual(['the same words', 'the same words'])
  })

  it('the very frame replayed on a resumed socket is a replay; equal outputs on one socket are not', async () => {
    let taskUUID: string | undefined
    const frame = (text: string): string => JSON.stringify({ data: [{ taskType: 'promptEnhance', taskUUID, text }] })
    const server = await h.scripted({
      onAuth: (task, reply) => {
        const resumed = typeof task.connectionSessionUUID === 'string'
        reply({ data: [{ taskType: 'authentication', connectionSessionUUID: resumed ? task.connectionSessionUUID : randomUUID() }] })
        // After the drop: the server replays the frame it had already sent, then the rest.
        if (resumed) for (const text of ['first', 'same', 'same']) reply(frame(text))
      },
      onTasks: (tasks) => {
        taskUUID = tasks[0]?.taskUUID
        server.send(frame('first'))
        setImmediate(() => server.socket().terminate())
      },
    })
    const client = h.client(server.url, { reconnect: { initialDelayMs: 0 }, resumeGraceMs: 1_000 })
    const items = await client.run({ taskType: 'promptEnhance', prompt: 'a castle', promptVersions: 3 })
    expect(items.map((item) => item.text)).toEqual(['first', 'same', 'same'])
    expect(server.auths).toHaveLength(2)
  })

  it('an item with a server id seen twice is delivered once', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const taskUUID = tasks[0]?.taskUUID
        reply({ data: [{ taskType: 'imageInference', taskUUID, imageUUID: 'one' }] })
        reply({ data: [{ taskType: 'imageInference', taskUUID, imageUUID: 'one' }] })
        reply({ data: [{ taskType: 'imageInference', taskUUID, imageUUID: 'two' }] })
      },
    })
    const client = h.client(server.url)
    const items = await client.run({ ...image, numberResults: 2 })
    expect(items.map((item) => item.imageUUID)).toEqual(['one', 'two'])
  })
})

describe('frame size', () => {
  const h = useHarness()

  it('a frame over maxFrameBytes is reported as frameTooLarge; the client reconnects and collects the task', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const task = tasks[0]
        if (task?.taskType === 'getResponse') {
          reply({ data: [{ taskType: 'imageInference', taskUUID: task.taskUUID, imageUUID: 'small', status: 'success' }] })
        } else {
          reply({ data: [{ taskType: 'imageInference', taskUUID: task?.taskUUID, imageUUID: 'big', padding: 'x'.repeat(4_096) }] })
        }
      },
    })
    const client = h.client(server.url, { maxFrameBytes: 1_024, reconnect: { initialDelayMs: 0 }, resumeGraceMs: 0 })
    const errors = record(client, 'error')
    const states = record(client, 'state')
    const items = await client.run(image)
    expect(items.map((item) => item.imageUUID)).toEqual(['small'])
    expect(errors[0]).toMatchObject({ code: 'frameTooLarge' })
    expect(errors[0]?.message).toContain('1024')
    // The state event says why, as a code a listener can switch on.
    expect(states.find((event) => event.to === 'reconnecting')).toMatchObject({ reason: 'frameTooLarge', code: 'frameTooLarge' })
    // Sent once: the drop left its fate unknown, and the probe found it.
    expect(server.frames.filter((frame) => frame[0]?.taskType === 'imageInference')).toHaveLength(1)
  })

  it('documents the default limit as a number', async () => {
    const { DEFAULTS } = await import('../../lib/api/options.js')
    expect(DEFAULTS.maxFrameBytes).toBe(100 * 1024 * 1024)
  })
})
