/**
 * Caller code is untrusted (#9 items 2–5): a listener, the logger or `classify` may throw or re-enter
 * the client from any point. Nothing they do may crash, wedge or leak.
 */
import { describe, expect, it } from 'vitest'
import type { ConnectionState } from '../../lib/api/events.js'
import type { Logger } from '../../lib/api/options.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { record, useHarness } from '../helpers/harness.js'
import { failure, until } from '../helpers/wait.js'
import { IMAGE } from '../fixtures/tasks.js'

const image = IMAGE

/** Drives a client with a manual clock until it has been in `state`, closing it from a `state` listener there. */
describe('close() from a state listener', () => {
  const h = useHarness()

  for (const at of ['connecting', 'authenticating', 'ready', 'reconnecting'] as const satisfies readonly ConnectionState[]) {
    it(`on ${at}: no illegal transition, no socket after close, no timer left`, async () => {
      const sim = await h.simulator()
      const clock = new ManualClock()
      const client = h.client(sim.url, { clock, reconnect: { initialDelayMs: 100 }, random: () => 0.5 })
      const states = record(client, 'state')
      const uncaught: unknown[] = []
      const onUncaught = (error: unknown): void => void uncaught.push(error)
      process.on('uncaughtException', onUncaught)
      try {
        let closing: Promise<void> | undefined
        client.on('state', (event) => {
          if (event.to === at) closing = client.close()
        })
        const connected = client.connect().catch((error: unknown) => error)
        if (at === 'reconnecting') {
          await until(() => client.state === 'ready', 'ready')
          sim.dropAll()
        }
        await until(() => closing !== undefined, `the ${at} event`)
        await closing
        // Whatever the state armed is gone: advancing time opens nothing and throws nothing.
        clock.advance(60_000)
        await until(() => sim.stats.openSockets === 0, 'the server to see the socket go')
        expect(client.state).toBe('closed')
        expect(states.at(-1)).toMatchObject({ from: at, to: 'closed' })
        expect(clock.keepingAlive).toBe(0)
        // Closed while connecting: the socket that was opening never authenticates.
        if (at === 'connecting') expect(sim.stats.authentications).toBe(0)
        // connect() settles either way (resolved on ready, rejected by the close otherwise).
        await connected
        expect(uncaught).toEqual([])
      } finally {
        process.off('uncaughtException', onUncaught)
      }
    })
  }

  it('run() and connect() from listeners are safe too', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    const extra: Promise<unknown>[] = []
    client.on('state', (event) => {
      if (event.to === 'connecting') extra.push(client.connect())
      if (event.to === 'ready') extra.push(client.run(image))
    })
    client.on('task', (event) => {
      if (event.type === 'settled' && extra.length < 4) extra.push(client.run(image))
    })
    await client.run(image)
    await until(() => extra.length === 4, 'the listeners ran')
    await Promise.all(extra)
    expect(sim.stats.connections).toBe(1)
  })
})

describe('connect() after close()', () => {
  const h = useHarness()

  it('from the same listener, with the socket still ready: connect() rejects with connectionClosed', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    await client.connect()
    let after: Promise<unknown> | undefined
    client.on('task', (event) => {
      if (event.type !== 'settled' || after !== undefined) return
      void client.close()
      after = client.connect().then(
        () => 'resolved',
        (error: unknown) => error,
      )
    })
    await client.run(image)
    await until(() => after !== undefined, 'the listener ran')
    expect(await after).toMatchObject({ code: 'connectionClosed' })
    expect(client.state).toBe('closed')
  })

  it('called later: rejects with connectionClosed too', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    await client.connect()
    const closing = client.close()
    await expect(client.connect()).rejects.toMatchObject({ code: 'connectionClosed' })
    await closing
    await expect(client.connect()).rejects.toMatchObject({ code: 'connectionClosed' })
  })
})

describe('a throwing state listener', () => {
  const h = useHarness()

  it('cannot stop connect() from settling, or the library from reaching ready', async () => {
    const sim = await h.simulator()
    const lines: string[] = []
    const client = h.client(sim.url, { logger: { error: (message) => lines.push(message) } })
    client.on('state', () => {
      throw new Error('listener bug')
    })
    const errors = record(client, 'error')
    await client.connect()
    expect(client.state).toBe('ready')
    expect(lines.some((line) => line.includes("a 'state' listener threw"))).toBe(true)
    expect(errors.some((error) => error.code === 'callbackError')).toBe(true)
    await expect(client.run(image)).resolves.toHaveLength(1)
  })

  it('cannot stop connect() from rejecting on failed', async () => {
    const sim = await h.simulator({ apiKeys: ['another-key'] })
    const client = h.client(sim.url)
    client.on('state', () => {
      throw new Error('listener bug')
    })
    const error = await failure(client.connect())
    expect(error.code).toBe('invalidApiKey')
    expect(client.state).toBe('failed')
  })
})

describe('a throwing logger', () => {
  const h = useHarness()
  const throwing = (): never => {
    throw new Error('logger bug')
  }
  const logger: Logger = { debug: throwing, info: throwing, warn: throwing, error: throwing }

  it('never makes run() throw, and the task still settles (no unhandled rejection)', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url, { logger })
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const run = client.run(image)
      await expect(run).resolves.toHaveLength(1)
      sim.malformedNext(1)
      // warn() on a malformed frame throws inside the message handler: the next frame still counts.
      await expect(client.run(image)).resolves.toHaveLength(1)
      await expect(client.run({ ...image, width: 5 })).rejects.toMatchObject({ code: 'invalidWidth' })
      await new Promise((resolve) => setImmediate(resolve))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})

describe('a throwing errorPolicy.classify', () => {
  const h = useHarness()

  it('falls back to the built-in table for that error, reports the throw, and the named task settles at once', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url, {
      errorPolicy: {
        classify: () => {
          throw new Error('classify bug')
        },
      },
    })
    const errors = record(client, 'error')
    sim.failNext(1, 'contentPolicyViolation')
    const error = await failure(client.run(image))
    expect(error).toMatchObject({ code: 'contentPolicyViolation', category: 'safety' })
    expect(errors.some((entry) => entry.code === 'callbackError' && entry.message.includes('classify'))).toBe(true)
    await expect(client.run(image)).resolves.toHaveLength(1)
  })
})

describe('stream consumers and per-task callbacks', () => {
  const h = useHarness()

  it('a throwing onResult or onProgress changes nothing', async () => {
    const sim = await h.simulator({ asyncDurationMs: 50 })
    const client = h.client(sim.url, { poll: { initialDelayMs: 10, maxDelayMs: 20 } })
    const errors = record(client, 'error')
    const items = await client.run(
      { taskType: 'videoInference', model: 'm', positivePrompt: 'waves', duration: 5, deliveryMethod: 'async' },
      {
        onResult: () => {
          throw new Error('onResult bug')
        },
        onProgress: () => {
          throw new Error('onProgress bug')
        },
      },
    )
    expect(items).toHaveLength(1)
    expect(errors.filter((error) => error.code === 'callbackError').length).toBeGreaterThanOrEqual(1)
  })

  it('a stream consumer that throws inside its loop leaves nothing pending', async () => {
    const sim = await h.simulator({ framing: 'item' })
    const client = h.client(sim.url)
    const consume = async (): Promise<void> => {
      for await (const item of client.stream({ ...image, numberResults: 3 })) {
        throw new Error(`consumer bug at ${item.imageUUID}`)
      }
    }
    await expect(consume()).rejects.toThrow('consumer bug')
    await until(() => client.pending === 0, 'the stream task released')
  })
})
