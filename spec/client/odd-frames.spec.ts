/** Frames the simulator never sends but the real service (or a proxy) might: a scripted server sends them. */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { RunwareError } from '../../lib/support/errors.js'
import type { WireTask } from '../helpers/scripted-server.js'
import { record, useHarness } from '../helpers/harness.js'
import { failure, until } from '../helpers/wait.js'
import { IMAGE } from '../fixtures/tasks.js'

const image = IMAGE

function ok(task: WireTask | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { taskType: task?.taskType, taskUUID: task?.taskUUID, imageUUID: randomUUID(), ...extra }
}

describe('odd frames from the server', () => {
  const h = useHarness()

  it('reads the singular `error` field, as an object and as an array', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const [a, b, c] = tasks
        reply({ error: { code: 'invalidModel', message: 'no such model', parameter: 'model', taskUUID: a?.taskUUID } })
        reply({ error: [{ code: 'invalidSteps', message: 'too many steps', parameter: 'steps', taskUUID: b?.taskUUID }] })
        reply({ data: [ok(c)] })
      },
    })
    const client = h.client(server.url)
    await client.connect()
    const [a, b, c] = await Promise.allSettled([client.run(image), client.run(image), client.run(image)])
    expect((a as PromiseRejectedResult).reason).toMatchObject({ code: 'invalidModel', parameter: 'model' })
    expect((b as PromiseRejectedResult).reason).toMatchObject({ code: 'invalidSteps', parameter: 'steps' })
    expect(c.status).toBe('fulfilled')
  })

  it('handles `data: []` beside errors, and `parameter` as an array', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        reply({
          data: [],
          errors: [{ code: 'incompatibleParameters', message: 'width and height disagree', parameter: ['width', 'height'], taskUUID: tasks[0]?.taskUUID }],
        })
      },
    })
    const client = h.client(server.url)
    const errors = record(client, 'error')
    const error = await failure(client.run(image))
    expect(error).toMatchObject({ code: 'incompatibleParameters', category: 'validation', parameter: ['width', 'height'] })
    expect(errors).toHaveLength(0)
  })

  it('ignores a pong without taskUUID (it is life, not an orphan)', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        reply({ data: [{ taskType: 'ping', pong: true }] })
        reply({ data: [ok(tasks[0])] })
      },
    })
    const client = h.client(server.url)
    const orphans = record(client, 'orphan')
    await expect(client.run(image)).resolves.toHaveLength(1)
    expect(orphans).toHaveLength(0)
  })

  it('a pong is `taskType: "ping"` with `pong: true`: a ping item without it, or a pong flag on another type, is an orphan', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) =>
        reply({ data: [{ taskType: 'ping' }, { taskType: 'ping', pong: 'yes' }, { taskType: 'imageInference', pong: true }, ok(tasks[0])] }),
    })
    const client = h.client(server.url)
    const orphans = record(client, 'orphan')
    await expect(client.run(image)).resolves.toHaveLength(1)
    expect(orphans.map((orphan) => orphan.item)).toEqual([{ taskType: 'ping' }, { taskType: 'ping', pong: 'yes' }, { taskType: 'imageInference', pong: true }])
  })

  it('reports items for an unknown task as orphans', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => reply({ data: [ok(undefined, { taskType: 'imageInference', taskUUID: randomUUID() }), ok(tasks[0])] }),
    })
    const client = h.client(server.url)
    const orphans = record(client, 'orphan')
    await expect(client.run(image)).resolves.toHaveLength(1)
    expect(orphans).toHaveLength(1)
  })

  it('reports invalid JSON and malformed items as protocol errors, skips them, and carries on', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        reply('{"data":[{"taskType":')
        reply('42')
        reply({ data: 'not a list' })
        reply({ data: [1, null, ok(tasks[0])] })
      },
    })
    const client = h.client(server.url)
    const errors = record(client, 'error')
    await expect(client.run(image)).resolves.toHaveLength(1)
    await until(() => errors.length === 4, 'four protocol errors')
    expect(errors.map((error) => error.code)).toEqual(['protocolError', 'protocolError', 'protocolError', 'protocolError'])
    expect(errors[0]?.message).toMatch(/notJson/)
    expect(errors[1]?.message).toMatch(/notObject/)
    expect(client.state).toBe('ready')
  })

  it('drops __proto__ keys and never pollutes Object.prototype', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) =>
        reply(`{"data":[{"taskType":"imageInference","taskUUID":"${String(tasks[0]?.taskUUID)}","imageUUID":"i","__proto__":{"polluted":true}}]}`),
    })
    const client = h.client(server.url)
    const [item] = await client.run(image)
    expect(Object.hasOwn(item ?? {}, '__proto__')).toBe(false)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('routes a frame of 500 items for 300 tasks, interleaved', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        if (tasks.length < 300) return
        const items: Record<string, unknown>[] = []
        for (let round = 0; round < 2; round++) {
          for (const task of tasks) if (round === 0 || task.numberResults === 2) items.push(ok(task))
        }
        reply({ data: items.reverse() })
      },
    })
    const client = h.client(server.url, { maxBatchSize: 300 })
    await client.connect()
    const runs = Array.from({ length: 300 }, (_, i) => client.run({ ...image, numberResults: i < 200 ? 2 : 1 }))
    const results = await Promise.all(runs)
    expect(results.reduce((sum, items) => sum + items.length, 0)).toBe(500)
    results.forEach((items, i) => {
      expect(items).toHaveLength(i < 200 ? 2 : 1)
      for (const item of items) expect(item.taskUUID).toBe(items[0]?.taskUUID)
    })
    expect(server.frames).toHaveLength(1)
  })

  it('never lets the API key reach an event, an error, or a log line', async () => {
    const apiKey = 'sk-live-5ecr3t-4p1-k3y-value'
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        // A careless server that echoes the key back.
        reply({
          errors: [{ code: 'invalidParameter', message: `bad request from ${apiKey}`, parameter: 'apiKey', echo: { apiKey }, taskUUID: tasks[0]?.taskUUID }],
        })
        reply({ errors: [{ code: 'somethingElse', message: `no task, key ${apiKey}` }] })
      },
    })
    const lines: string[] = []
    const log = (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${message} ${JSON.stringify(fields ?? {})}`)
    }
    const client = h.client(server.url, { apiKey, logger: { debug: log, info: log, warn: log, error: log } })
    const seen: unknown[] = []
    for (const event of ['state', 'task', 'progress', 'error', 'orphan'] as const) client.on(event, (payload: unknown) => seen.push(payload))
    const error = await failure(client.run(image))
    await until(() => seen.some((payload) => (payload as RunwareError).code === 'somethingElse'), 'the unaddressed error')
    await client.close()
    const everything = [
      ...seen.map((payload) =>
        JSON.stringify(payload, (_key, value: unknown) =>
          value instanceof Error ? { json: JSON.stringify(value), message: value.message, stack: value.stack } : value,
        ),
      ),
      JSON.stringify(error),
      error.message,
      String(error.stack),
      JSON.stringify(error.raw),
      ...lines,
    ].join('\n')
    expect(error.code).toBe('invalidParameter')
    expect(everything).toContain('[redacted]')
    expect(everything).not.toContain(apiKey)
    expect(JSON.stringify(client)).not.toContain(apiKey)
  })
  // Each step of a frame is done before the next item is read: an error that dropped the socket
  // leaves the rest of its frame nothing to act on (the states without a socket ignore a loss).
  it('one frame failing the connection and then asking for a reconnect: it stays failed, nothing reconnects', async () => {
    const server = await h.scripted({
      onTasks: (_tasks, reply) => {
        reply({
          errors: [
            { code: 'invalidApiKey', message: 'key revoked', taskType: 'authentication' },
            { code: 'providerUnavailable', message: 'busy' },
          ],
        })
      },
    })
    const client = h.client(server.url, { reconnect: { initialDelayMs: 0, maxDelayMs: 1 } })
    const states = record(client, 'state')
    const errors = record(client, 'error')
    const error = await failure(client.run(image))
    expect(error.code).toBe('invalidApiKey')
    await until(() => errors.length === 2, 'both errors reported')
    expect(errors.map((e) => e.code)).toEqual(['invalidApiKey', 'providerUnavailable'])
    expect(states.map((s) => `${s.from}→${s.to}`)).toEqual(['idle→connecting', 'connecting→authenticating', 'authenticating→ready', 'ready→failed'])
    expect(client.state).toBe('failed')
    expect(server.auths).toHaveLength(1)
  })

  it('one frame asking for a reconnect and then failing the connection: it reconnects and the task completes', async () => {
    let calls = 0
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        calls += 1
        if (calls === 1)
          reply({
            errors: [
              { code: 'providerUnavailable', message: 'busy' },
              { code: 'invalidApiKey', message: 'late', taskType: 'authentication' },
            ],
          })
        else reply({ data: tasks.map((task) => ok(task)) })
      },
    })
    const client = h.client(server.url, { reconnect: { initialDelayMs: 0, maxDelayMs: 1 } })
    const states = record(client, 'state')
    const items = await client.run(image)
    expect(items).toHaveLength(1)
    expect(states.map((s) => s.to)).not.toContain('failed')
    expect(states.filter((s) => s.to === 'reconnecting')).toHaveLength(1)
    expect(server.auths).toHaveLength(2)
  })
})
