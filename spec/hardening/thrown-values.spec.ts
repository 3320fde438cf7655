/**
 * The guarded door survives any thrown value, not only Errors: an object whose toString throws,
 * a Symbol.toPrimitive that throws, a revoked proxy, an Error whose `message` and `stack` getters
 * throw, an object with no prototype. Each goes through every kind of caller code (listeners of
 * each event, the logger, `errorPolicy.classify`, `onResult`, `onProgress`, a stream consumer):
 * the task settles as it would have, nothing reaches the process, and `close()` resolves.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { RunwareSocket } from '../../lib/client.js'
import type { RunwareSocketOptions } from '../../lib/api/options.js'
import { record, useHarness } from '../helpers/harness.js'
import { until } from '../helpers/wait.js'
import { IMAGE } from '../fixtures/tasks.js'

const HOSTILE: Record<string, () => unknown> = {
  'an object whose toString throws': () => ({
    toString(): string {
      throw new Error('no text for you')
    },
  }),
  'a Symbol.toPrimitive that throws': () => ({
    [Symbol.toPrimitive](): never {
      throw new Error('no primitive either')
    },
  }),
  'a revoked proxy': () => {
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    return proxy
  },
  'an Error whose message and stack getters throw': () => {
    const error = new Error('hidden')
    // The stack first: V8 formats it (reading `message`) when it is redefined.
    Object.defineProperty(error, 'stack', {
      get(): never {
        throw new Error('stack getter')
      },
    })
    Object.defineProperty(error, 'message', {
      get(): never {
        throw new Error('message getter')
      },
    })
    return error
  },
  'an object with no prototype': () => Object.create(null) as unknown,
}

const VIDEO = { taskType: 'videoInference', model: 'klingai:5@3', positivePrompt: 'waves', duration: 5, deliveryMethod: 'async' } as const

/** How each kind of caller code gets to throw; `task` is what to run, `expect` what it settles with. */
interface Door {
  options?(thrown: () => unknown): RunwareSocketOptions
  attach?(client: RunwareSocket, thrown: () => unknown): void
  run(client: RunwareSocket, thrown: () => unknown): Promise<unknown>
  /** Reported as a callbackError event (a throwing logger or 'error' listener cannot be). */
  reported: boolean
}

const throwing = (thrown: () => unknown) => (): never => {
  throw thrown()
}

const DOORS: Record<string, Door> = {
  "a 'state' listener": { attach: (c, t) => c.on('state', throwing(t)), run: (c) => c.run(IMAGE), reported: true },
  "a 'task' listener": { attach: (c, t) => c.on('task', throwing(t)), run: (c) => c.run(IMAGE), reported: true },
  "a 'progress' listener": { attach: (c, t) => c.on('progress', throwing(t)), run: (c) => c.run(VIDEO), reported: true },
  "an 'error' listener": {
    attach: (c, t) => c.on('error', throwing(t)),
    // A throwing onResult makes a callbackError for the error listener to throw on.
    run: (c, t) => c.run(IMAGE, { onResult: throwing(t) }),
    reported: false,
  },
  'the logger': {
    options: (t) => ({ logger: { debug: throwing(t), info: throwing(t), warn: throwing(t), error: throwing(t) } }),
    run: (c) => c.run(IMAGE),
    reported: false,
  },
  'errorPolicy.classify': {
    options: (t) => ({ errorPolicy: { classify: throwing(t) } }),
    run: (c) => c.run({ ...IMAGE, width: 5 }).catch((error: unknown) => error),
    reported: true,
  },
  onResult: { run: (c, t) => c.run(IMAGE, { onResult: throwing(t) }), reported: true },
  onProgress: { run: (c, t) => c.run(VIDEO, { onProgress: throwing(t) }), reported: true },
  'a stream consumer': {
    run: async (c, t) => {
      try {
        for await (const item of c.stream({ ...IMAGE, numberResults: 2 })) {
          if (item.taskUUID !== '') throw t()
        }
      } catch {
        // The consumer's own throw comes back to the consumer; the library only sees the loop end.
      }
      await until(() => c.pending === 0, 'the stream task released')
    },
    reported: false,
  },
}

describe('any thrown value, through every kind of caller code', () => {
  const h = useHarness()
  const escaped: unknown[] = []
  const onEscape = (error: unknown): void => void escaped.push(error)
  beforeEach(() => {
    escaped.length = 0
    process.on('uncaughtException', onEscape)
    process.on('unhandledRejection', onEscape)
  })
  afterEach(() => {
    process.off('uncaughtException', onEscape)
    process.off('unhandledRejection', onEscape)
  })

  for (const [value, make] of Object.entries(HOSTILE)) {
    for (const [door, how] of Object.entries(DOORS)) {
      it(`${value}, thrown by ${door}: the task settles, nothing escapes, close() resolves`, async () => {
        const sim = await h.simulator({ asyncDurationMs: 60, framing: 'item' })
        const client = h.client(sim.url, { poll: { initialDelayMs: 10, maxDelayMs: 20 }, ...how.options?.(make) })
        const errors: { code: string; message: string }[] = []
        if (how.reported) client.on('error', (error) => void errors.push(error))
        how.attach?.(client, make)
        const outcome = await how.run(client, make)
        if (door === 'errorPolicy.classify') expect(outcome).toMatchObject({ code: 'invalidWidth' })
        await new Promise((resolve) => setImmediate(resolve))
        if (how.reported) expect(errors.some((error) => error.code === 'callbackError')).toBe(true)
        await client.close()
        expect(client.pending).toBe(0)
        expect(escaped).toEqual([])
      })
    }
  }

  it('the text a thrown value is reported with never throws, whatever the value', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    const errors = record(client, 'error')
    for (const make of Object.values(HOSTILE)) await client.run(IMAGE, { onResult: throwing(make) })
    await until(() => errors.length >= Object.keys(HOSTILE).length, 'one report per value')
    expect(errors.map((error) => error.message)).toEqual([
      'onResult threw: a thrown object that cannot be turned into text',
      'onResult threw: a thrown object that cannot be turned into text',
      'onResult threw: a thrown object that cannot be turned into text',
      'onResult threw: a thrown object that cannot be turned into text',
      'onResult threw: a thrown object that cannot be turned into text',
    ])
  })
})
