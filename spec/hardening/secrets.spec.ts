/** The API key never leaves the client (#9 item 6): not in an error, an event, a log line or the CLI's output. */
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { main } from '../../lib/cli/main.js'
import { REDACTED, type RunwareError } from '../../lib/support/errors.js'
import { fakeIo } from '../cli/fake-io.js'
import { record, useHarness } from '../helpers/harness.js'
import { failure, until } from '../helpers/wait.js'
import { IMAGE } from '../fixtures/tasks.js'

const KEY = 'sk-live-0123456789abcdefSECRET'
const image = IMAGE

/** Everything a user could print of an error. */
function surfaces(error: RunwareError): string {
  return [error.message, String(error.stack), JSON.stringify(error), JSON.stringify(error.raw), inspect(error, { depth: 10 }), String(error.parameter)].join(
    '\n',
  )
}

const echoingAuth = {
  errors: (reply: (frame: unknown) => void) =>
    reply({
      errors: [
        { code: 'invalidApiKey', message: `key ${KEY} is not valid`, parameter: 'apiKey', taskType: 'authentication', echo: { apiKey: KEY, list: [KEY] } },
      ],
    }),
  legacy: (reply: (frame: unknown) => void) => reply({ error: true, errorId: 19, errorMessage: `Invalid api key ${KEY}`, apiKey: KEY }),
} as const

describe('an auth failure that echoes the key', () => {
  const h = useHarness()

  for (const shape of ['errors', 'legacy'] as const) {
    it(`(${shape} shape) leaves no trace of it in connect()'s rejection or any pending task's`, async () => {
      const server = await h.scripted({ onAuth: (_task, reply) => echoingAuth[shape](reply) })
      const lines: string[] = []
      const log = (message: string, fields?: Record<string, unknown>): void => void lines.push(`${message} ${JSON.stringify(fields ?? {})}`)
      const client = h.client(server.url, { apiKey: KEY, logger: { debug: log, info: log, warn: log, error: log } })
      const seen = [...record(client, 'state'), ...record(client, 'error')]
      const pending = [failure(client.run(image)), failure(client.run(image))]
      const connectError = await failure(client.connect())
      const taskErrors = await Promise.all(pending)
      expect(connectError.code).toBe('invalidApiKey')
      const all = [connectError, ...taskErrors].map(surfaces).join('\n') + JSON.stringify(seen) + lines.join('\n')
      expect(all).toContain('[redacted]')
      expect(all).not.toContain(KEY)
    })
  }

  it('the CLI prints the refusal without the key', async () => {
    const server = await h.scripted({ onAuth: (_task, reply) => echoingAuth.errors(reply) })
    const dir = (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/rs-`)
    const input = `${dir}/tasks.jsonl`
    ;(await import('node:fs')).writeFileSync(input, `${JSON.stringify(image)}\n`)
    const io = fakeIo({ RUNWARE_API_KEY: KEY })
    const code = await main(['run', input, '--url', server.url, '-o', `${dir}/out.jsonl`, '--connect-timeout-ms', '5000'], io)
    expect(code).toBe(3)
    expect(io.err()).toContain('invalidApiKey')
    expect(io.err() + io.out()).not.toContain(KEY)
  })
})

describe('malformed frames that carry the key', () => {
  const h = useHarness()

  it('are reported with the key scrubbed from the error event and the warn line', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        reply(`{"data":[{"taskType": "${KEY}"`) // not JSON: the excerpt holds the key
        reply({ data: KEY }) // data is a string
        reply({ data: [{ taskType: 'imageInference', taskUUID: tasks[0]?.taskUUID, imageUUID: 'i' }] })
      },
    })
    const warns: string[] = []
    const client = h.client(server.url, { apiKey: KEY, logger: { warn: (message, fields) => warns.push(`${message} ${JSON.stringify(fields)}`) } })
    const errors = record(client, 'error')
    await client.run(image)
    await until(() => errors.length === 2, 'two protocol errors')
    const text = errors.map(surfaces).join('\n') + warns.join('\n')
    expect(text).toContain('[redacted]')
    expect(text).not.toContain(KEY)
  })
})

describe('the scrub', () => {
  const h = useHarness()

  it('a key shorter than 16 characters is refused before anything is sent, and never echoed', async () => {
    const sim = await h.simulator()
    for (const key of ['k', 'act', 'fifteen-chars-k']) {
      expect(() => h.client(sim.url, { apiKey: key })).toThrow(new RegExp(`apiKey is ${key.length} characters long: a Runware API key has 32`))
      try {
        h.client(sim.url, { apiKey: key })
      } catch (error) {
        expect(String(error)).not.toContain(`${key} `)
      }
    }
    expect(sim.stats.connections).toBe(0)
    expect(() => h.client(sim.url, { apiKey: 'sixteen-chars-ok' })).not.toThrow()
  })

  it('with the shortest key taken, field names and values that merely resemble it are untouched, and [redacted] never holds it', async () => {
    const key = 'imageInference42'
    const server = await h.scripted({
      onTasks: (tasks, reply) =>
        reply({
          errors: [
            {
              code: 'invalidWidth',
              message: `imageInference: width must be a multiple of 64 (${key})`,
              parameter: 'width',
              taskType: 'imageInference',
              taskUUID: tasks[0]?.taskUUID,
            },
          ],
        }),
    })
    const client = h.client(server.url, { apiKey: key })
    const error = await failure(client.run(image))
    expect(error).toMatchObject({
      code: 'invalidWidth',
      taskType: 'imageInference',
      parameter: 'width',
      message: 'imageInference: width must be a multiple of 64 ([redacted])',
    })
    expect(Object.keys(error.raw ?? {})).toEqual(['code', 'message', 'parameter', 'taskType', 'taskUUID'])
    expect(REDACTED).not.toContain(key)
  })

  it('the key twice in one server message: both are taken out', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) =>
        reply({ errors: [{ code: 'invalidThing', message: `${KEY} and again ${KEY}`, parameter: `${KEY}${KEY}`, taskUUID: tasks[0]?.taskUUID }] }),
    })
    const client = h.client(server.url, { apiKey: KEY })
    const error = await failure(client.run(image))
    expect(error.message).toBe('[redacted] and again [redacted]')
    expect(error.parameter).toBe('[redacted][redacted]')
    expect(JSON.stringify(error.raw)).not.toContain(KEY)
  })

  it('an orphan event never carries the key (a result or an error for a task nobody waits for)', async () => {
    const stranger = '0b5a7c1e-9d2f-4e3a-8b6c-1d2e3f4a5b6c'
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        reply({
          data: [{ taskType: 'imageInference', taskUUID: stranger, imageURL: `https://x.invalid/${KEY}.png`, [KEY]: KEY }],
          errors: [{ code: 'invalidThing', message: `about ${KEY}`, taskUUID: stranger }],
        })
        reply({ data: [{ taskType: 'imageInference', taskUUID: tasks[0]?.taskUUID, imageUUID: 'i' }] })
      },
    })
    const client = h.client(server.url, { apiKey: KEY })
    const orphans = record(client, 'orphan')
    await client.run(image)
    await until(() => orphans.length === 2, 'both orphans')
    expect(JSON.stringify(orphans)).not.toContain(KEY)
    expect(JSON.stringify(orphans)).toContain('https://x.invalid/[redacted].png')
  })

  it('reaches nested values, arrays, keys and the close reason', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        reply({ errors: [{ code: 'invalidThing', message: 'm', taskUUID: tasks[0]?.taskUUID, deep: { list: [{ v: `x${KEY}y` }], [KEY]: 1 } }] })
        setImmediate(() => server.socket().close(4000, `bye ${KEY}`))
      },
    })
    const client = h.client(server.url, { apiKey: KEY })
    const states = record(client, 'state')
    const error = await failure(client.run(image))
    expect(JSON.stringify(error.raw)).toContain('x[redacted]y')
    expect(JSON.stringify(error.raw)).not.toContain(KEY)
    await until(() => states.some((event) => event.to === 'reconnecting'), 'the close')
    const closed = states.find((event) => event.to === 'reconnecting')
    expect(closed).toMatchObject({ closeCode: 4000, closeReason: 'bye [redacted]' })
  })
})
