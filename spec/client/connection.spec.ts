import { createServer, type Server, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { WebSocket, type ClientOptions } from 'ws'
import { RunwareError } from '../../lib/support/errors.js'
import type { StateEvent } from '../../lib/api/events.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { API_KEY, WHATWG, record, useHarness } from '../helpers/harness.js'
import { failure, until, waitFor, waitForState } from '../helpers/wait.js'
import { IMAGE } from '../fixtures/tasks.js'
import type { WireTask } from '../helpers/scripted-server.js'

const image = IMAGE

function transitions(events: StateEvent[]): string[] {
  return events.map((event) => `${event.from}→${event.to}`)
}

/** A TCP server that accepts and never answers the WebSocket handshake. */
async function blackHole(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => sockets.add(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    url: `ws://127.0.0.1:${address.port}/v1`,
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

describe('connection lifecycle', () => {
  const h = useHarness()

  it('walks idle → connecting → authenticating → ready, reporting each transition once, and keeps the session UUID', async () => {
    const server = await h.scripted({
      onAuth: (_task, reply) => reply({ data: [{ taskType: 'authentication', connectionSessionUUID: '8b7a4f1e-2b63-4c4f-9a55-0a4c5e2d7f10' }] }),
    })
    const client = h.client(server.url)
    const states = record(client, 'state')
    expect(client.state).toBe('idle')
    await client.connect()
    expect(client.state).toBe('ready')
    expect(transitions(states)).toEqual(['idle→connecting', 'connecting→authenticating', 'authenticating→ready'])
    expect(states.map((event) => event.reason)).toEqual(['connect', 'open', 'authenticated'])
    expect(states[2]?.resumed).toBe(false)
    expect(client.sessionUUID).toBe('8b7a4f1e-2b63-4c4f-9a55-0a4c5e2d7f10')
    // The first frame is the authentication task with the key and nothing else.
    expect(server.auths).toEqual([{ taskType: 'authentication', apiKey: API_KEY }])
    await client.close()
    expect(transitions(states).at(-1)).toBe('ready→closed')
  })

  it('connects lazily on the first run', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    expect(client.state).toBe('idle')
    expect(sim.stats.connections).toBe(0)
    const items = await client.run(image)
    expect(items).toHaveLength(1)
    expect(client.state).toBe('ready')
    expect(sim.stats.connections).toBe(1)
    expect(sim.stats.authentications).toBe(1)
  })

  it('a second connect() while connecting or ready opens no second socket', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    await Promise.all([client.connect(), client.connect(), client.run(image)])
    await client.connect()
    expect(sim.stats.connections).toBe(1)
  })

  it('gives up on a socket that does not open within connectTimeoutMs, and reconnects with backoff', async () => {
    const hole = await blackHole()
    try {
      const clock = new ManualClock()
      const client = h.client(hole.url, { clock, connectTimeoutMs: 5_000, reconnect: { initialDelayMs: 1_000 }, random: () => 0.5 })
      const states = record(client, 'state')
      void client.connect().catch(() => undefined)
      clock.advance(4_999)
      expect(client.state).toBe('connecting')
      clock.advance(1)
      expect(client.state).toBe('reconnecting')
      const last = states.at(-1)
      expect(last).toMatchObject({ from: 'connecting', to: 'reconnecting', reason: 'connectTimeout', code: 'connectTimeout', attempt: 1 })
      expect(last?.retryInMs).toBe(500)
      clock.advance(500)
      expect(client.state).toBe('connecting')
    } finally {
      await hole.close()
    }
  })

  it('gives up on an authentication reply that does not come within authTimeoutMs', async () => {
    const server = await h.scripted({ onAuth: () => undefined })
    const clock = new ManualClock()
    // A fixed jitter: with a random one the reconnect delay may be under 1 ms and fire in the same advance.
    const client = h.client(server.url, { clock, authTimeoutMs: 15_000, random: () => 0.5 })
    const states = record(client, 'state')
    void client.connect().catch(() => undefined)
    await waitForState(client, 'authenticating')
    clock.advance(14_999)
    expect(client.state).toBe('authenticating')
    clock.advance(1)
    expect(states.at(-1)).toMatchObject({ from: 'authenticating', to: 'reconnecting', reason: 'authTimeout', code: 'authTimeout' })
  })

  it('giving up after losses that carry no detail names the last reason alone', async () => {
    const server = await h.scripted({ onAuth: () => undefined })
    const clock = new ManualClock()
    const client = h.client(server.url, { clock, authTimeoutMs: 1_000, reconnect: { initialDelayMs: 10, maxDelayMs: 10, maxAttempts: 1 }, random: () => 0.5 })
    const connecting = failure(client.connect())
    await waitForState(client, 'authenticating')
    clock.advance(1_000)
    expect(client.state).toBe('reconnecting')
    clock.advance(10)
    await waitForState(client, 'authenticating')
    clock.advance(1_000)
    const error = await connecting
    expect(error).toMatchObject({ code: 'reconnectFailed', message: 'gave up after 1 reconnect attempts (last: authTimeout)' })
  })

  it('stops on invalidApiKey: every queued and pending task rejects with it and no reconnect is attempted', async () => {
    const sim = await h.simulator({ apiKeys: ['the-right-key'] })
    const clock = new ManualClock()
    const client = h.client(sim.url, { clock })
    const states = record(client, 'state')
    const results = await Promise.allSettled([client.run(image), client.run(image), client.run({ ...image, numberResults: 3 })])
    for (const result of results) {
      expect(result.status).toBe('rejected')
      const error = (result as PromiseRejectedResult).reason as RunwareError
      expect(error).toBeInstanceOf(RunwareError)
      expect(error.code).toBe('invalidApiKey')
      expect(error.category).toBe('auth')
      expect(error.retryable).toBe(false)
      expect(error.parameter).toBe('apiKey')
      expect(error.taskUUID).toMatch(/^[0-9a-f-]{36}$/)
    }
    expect(client.state).toBe('failed')
    expect(states.at(-1)).toMatchObject({ from: 'authenticating', to: 'failed', reason: 'authFailed', code: 'invalidApiKey' })
    // No timer is left to try again, however long we wait.
    clock.advance(3_600_000)
    expect(client.state).toBe('failed')
    expect(sim.stats.connections).toBe(1)
    // A task submitted while failed is refused at once with the same code.
    await expect(client.run(image)).rejects.toMatchObject({ code: 'invalidApiKey' })
    expect(sim.stats.connections).toBe(1)
    // An explicit connect() tries again (and fails again: the key is still wrong).
    await expect(client.connect()).rejects.toMatchObject({ code: 'invalidApiKey' })
    expect(sim.stats.connections).toBe(2)
  })

  it('recognises the legacy {error: true, errorId: 19} auth failure', async () => {
    const sim = await h.simulator({ apiKeys: ['the-right-key'], legacyAuthErrors: true })
    const client = h.client(sim.url)
    await expect(client.run(image)).rejects.toMatchObject({ code: 'invalidApiKey', category: 'auth' })
    expect(client.state).toBe('failed')
  })

  it('recovers by connect() after an auth failure once the server accepts again', async () => {
    const sim = await h.simulator()
    sim.failAuth('accountSuspended', 1)
    const client = h.client(sim.url)
    await expect(client.connect()).rejects.toMatchObject({ code: 'accountSuspended', category: 'auth' })
    await client.connect()
    expect(client.state).toBe('ready')
    await expect(client.run(image)).resolves.toHaveLength(1)
  })

  it('treats a retryable auth error as a reason to reconnect, not to stop', async () => {
    const sim = await h.simulator()
    sim.failAuth('serviceUnavailable', 1)
    const client = h.client(sim.url, { reconnect: { initialDelayMs: 0 } })
    const states = record(client, 'state')
    await client.connect()
    expect(transitions(states)).toEqual([
      'idle→connecting',
      'connecting→authenticating',
      'authenticating→reconnecting',
      'reconnecting→connecting',
      'connecting→authenticating',
      'authenticating→ready',
    ])
    expect(states[2]).toMatchObject({ reason: 'authError', code: 'serviceUnavailable', attempt: 1 })
  })

  it('close() rejects queued and pending tasks with connectionClosed and refuses new work', async () => {
    const sim = await h.simulator()
    sim.holdResults()
    const client = h.client(sim.url, { maxInFlight: 2 })
    const settled = Promise.allSettled([client.run(image), client.run(image), client.run(image), client.run(image)])
    await until(() => sim.stats.tasksReceived === 2, 'two tasks on the wire')
    expect(client.pending).toBe(4)
    expect(client.inFlight).toBe(2)
    await client.close()
    const results = await settled
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected'])
    for (const result of results) expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'connectionClosed' })
    expect(client.pending).toBe(0)
    expect(client.state).toBe('closed')
    await expect(client.run(image)).rejects.toMatchObject({ code: 'connectionClosed' })
    await expect(client.connect()).rejects.toMatchObject({ code: 'connectionClosed' })
    // Closing twice is harmless.
    await client.close()
  })
})

describe('old sockets', () => {
  const h = useHarness()

  it('ignores everything a replaced socket still emits', async () => {
    const server = await h.scripted()
    const sockets: WebSocket[] = []
    class Recording extends WebSocket {
      constructor(address: string, options?: ClientOptions) {
        super(address, options)
        sockets.push(this)
      }
    }
    const client = h.client(server.url, { WebSocket: Recording, reconnect: { initialDelayMs: 0 } })
    const orphans = record(client, 'orphan')
    const states = record(client, 'state')
    await client.connect()
    server.send({ errors: [{ code: 'serviceUnavailable', message: 'restarting' }] })
    await waitFor(client, 'state', (event) => event.to === 'ready' && sockets.length === 2)
    const [old] = sockets
    const before = states.length
    // A late frame and a late close from the first socket change nothing.
    old?.emit(
      'message',
      Buffer.from(JSON.stringify({ data: [{ taskType: 'imageInference', taskUUID: '00000000-0000-4000-8000-000000000001', imageUUID: 'late' }] })),
      false,
    )
    old?.emit('close', 1006, Buffer.from(''))
    await new Promise((resolve) => setImmediate(resolve))
    expect(orphans).toHaveLength(0)
    expect(states).toHaveLength(before)
    expect(client.state).toBe('ready')
  })
})

describe('heartbeat', () => {
  const h = useHarness()

  it('pings only after a whole quiet interval: any inbound frame counts as life', async () => {
    const server = await h.scripted()
    const clock = new ManualClock()
    const client = h.client(server.url, { clock, heartbeat: { intervalMs: 30_000, timeoutMs: 10_000 } })
    await client.connect()
    clock.advance(20_000)
    // An unsolicited frame (an orphan) at t=20s moves the next ping to t=50s.
    server.send({ data: [{ taskType: 'imageInference', taskUUID: '00000000-0000-4000-8000-000000000000', imageUUID: 'x' }] })
    await new Promise<void>((resolve) => client.once('orphan', () => resolve()))
    clock.advance(10_000)
    await new Promise((resolve) => setImmediate(resolve))
    expect(server.pings).toBe(0)
    clock.advance(20_000)
    await until(() => server.pings === 1, 'one ping')
    // The pong arrives: the timeout passes without a reconnect, and the next ping is an interval later.
    await new Promise((resolve) => setImmediate(resolve))
    clock.advance(10_000)
    expect(client.state).toBe('ready')
    clock.advance(20_000)
    await until(() => server.pings === 2, 'a second ping')
  })

  it('terminates a socket whose pong does not come and reconnects', async () => {
    const server = await h.scripted({ pong: false })
    const clock = new ManualClock()
    const client = h.client(server.url, { clock, heartbeat: { intervalMs: 30_000, timeoutMs: 10_000 }, reconnect: { initialDelayMs: 1_000 }, random: () => 0 })
    const states = record(client, 'state')
    await client.connect()
    const firstSocket = server.socket()
    const serverSaw = new Promise<number>((resolve) => firstSocket.once('close', (code: number) => resolve(code)))
    clock.advance(30_000)
    await until(() => server.pings === 1, 'a ping')
    clock.advance(9_999)
    expect(client.state).toBe('ready')
    clock.advance(1)
    // random() = 0 makes the first delay 0, so the same advance already started the next socket.
    expect(transitions(states).slice(-2)).toEqual(['ready→reconnecting', 'reconnecting→connecting'])
    expect(states.at(-2)).toMatchObject({ reason: 'heartbeatTimeout', code: 'heartbeatTimeout', attempt: 1, retryInMs: 0 })
    // ws terminates (the server sees an abnormal closure, 1006, not a close handshake); a standard
    // WebSocket has no terminate, so it closes (1005) and stops listening at once.
    expect(await serverSaw).toBe(WHATWG ? 1005 : 1006)
    await waitForState(client, 'ready')
    expect(server.connections).toBe(2)
  })

  it('can be turned off', async () => {
    const server = await h.scripted()
    const clock = new ManualClock()
    const client = h.client(server.url, { clock, heartbeat: false })
    await client.connect()
    clock.advance(10 * 60_000)
    await new Promise((resolve) => setImmediate(resolve))
    expect(server.pings).toBe(0)
    expect(client.state).toBe('ready')
  })
})

describe('session resume', () => {
  const h = useHarness()
  const SESSION = '8b7a4f1e-2b63-4c4f-9a55-0a4c5e2d7f10'

  /** Drops the socket, lets `waitMs` pass on the client's clock (the reconnect delay is 990 ms), and waits for ready. */
  async function dropAndWait(
    server: { socket(): { terminate(): void } },
    client: ReturnType<typeof h.client>,
    clock: ManualClock,
    waitMs: number,
  ): Promise<StateEvent> {
    const lost = waitForState(client, 'reconnecting')
    server.socket().terminate()
    await lost
    const ready = waitForState(client, 'ready')
    clock.advance(waitMs)
    return ready
  }

  it("asks for its session again only within resumeWindowMs of losing it (the window's last millisecond included)", async () => {
    const server = await h.scripted()
    const clock = new ManualClock()
    const client = h.client(server.url, {
      clock,
      heartbeat: false,
      resumeWindowMs: 1_000,
      reconnect: { initialDelayMs: 1_000, maxDelayMs: 1_000 },
      random: () => 0.99,
    })
    await client.connect()
    const first = client.sessionUUID
    expect(first).toMatch(/^[0-9a-f-]{36}$/)
    // The socket opens at lost + 1,000 ms: still inside the window.
    expect(await dropAndWait(server, client, clock, 1_000)).toMatchObject({ to: 'ready', resumed: true })
    expect(server.auths[1]).toEqual({ taskType: 'authentication', apiKey: API_KEY, connectionSessionUUID: first })
    // lost + 1,001 ms: the window has closed; a fresh session is asked for.
    expect(await dropAndWait(server, client, clock, 1_001)).toMatchObject({ to: 'ready', resumed: false })
    expect(server.auths[2]).toEqual({ taskType: 'authentication', apiKey: API_KEY })
  })

  it('says resumed only when the server re-attached the session it was asked for', async () => {
    let fresh = 0
    const server = await h.scripted({
      // The first socket gets SESSION; every later one a new session, whatever was asked.
      onAuth: (_task, reply) => reply({ data: [{ taskType: 'authentication', connectionSessionUUID: fresh++ === 0 ? SESSION : crypto.randomUUID() }] }),
    })
    const clock = new ManualClock()
    const client = h.client(server.url, { clock, heartbeat: false, reconnect: { initialDelayMs: 1_000, maxDelayMs: 1_000 }, random: () => 0.99 })
    await client.connect()
    const ready = await dropAndWait(server, client, clock, 1_000)
    expect(server.auths[1]?.connectionSessionUUID).toBe(SESSION)
    expect(ready.resumed).toBe(false)
    expect(client.sessionUUID).not.toBe(SESSION)
  })
})

describe('what the handshake and the socket report', () => {
  const h = useHarness()
  const SESSION = '8b7a4f1e-2b63-4c4f-9a55-0a4c5e2d7f10'

  it('an auth reply without a session is a failed handshake: reconnecting, authReplyInvalid, protocolError', async () => {
    let replies = 0
    const server = await h.scripted({
      onAuth: (_task, reply) => reply({ data: [{ taskType: 'authentication', ...(replies++ === 0 ? {} : { connectionSessionUUID: SESSION }) }] }),
    })
    const client = h.client(server.url, { reconnect: { initialDelayMs: 0 } })
    const states = record(client, 'state')
    await client.connect()
    expect(states.find((event) => event.to === 'reconnecting')).toMatchObject({ from: 'authenticating', reason: 'authReplyInvalid', code: 'protocolError' })
    expect(client.sessionUUID).toBe(SESSION)
  })

  it('an empty session is no session: a failed handshake too', async () => {
    let replies = 0
    const server = await h.scripted({
      onAuth: (_task, reply) => reply({ data: [{ taskType: 'authentication', connectionSessionUUID: replies++ === 0 ? '' : SESSION }] }),
    })
    const client = h.client(server.url, { reconnect: { initialDelayMs: 0 } })
    const states = record(client, 'state')
    await client.connect()
    expect(states.find((event) => event.to === 'reconnecting')).toMatchObject({ from: 'authenticating', reason: 'authReplyInvalid' })
    expect(client.sessionUUID).toBe(SESSION)
  })

  it('a malformed part of the auth reply’s frame is reported; the handshake completes', async () => {
    const server = await h.scripted({
      onAuth: (_task, reply) => reply({ data: [{ taskType: 'authentication', connectionSessionUUID: SESSION }, 5] }),
    })
    const client = h.client(server.url)
    const errors = record(client, 'error')
    await client.connect()
    await until(() => errors.length === 1, 'the malformed part reported')
    expect(errors[0]).toMatchObject({ code: 'protocolError' })
    expect(errors[0]?.message).toContain('data item is number 5, not an object')
    expect(client.state).toBe('ready')
  })

  it('results that ride in the same frame as the auth reply reach their tasks; nothing is asked about', async () => {
    let held: WireTask[] = []
    const server = await h.scripted({
      onTasks: (tasks) => (held = tasks),
      onAuth: (task, reply) => {
        const session = { taskType: 'authentication', connectionSessionUUID: task.connectionSessionUUID ?? SESSION }
        reply({ data: [session, ...held.map((t) => ({ taskType: t.taskType, taskUUID: t.taskUUID, imageUUID: crypto.randomUUID() }))] })
      },
    })
    const client = h.client(server.url, { reconnect: { initialDelayMs: 0 }, heartbeat: false })
    const orphans = record(client, 'orphan')
    await client.connect()
    const runs = Array.from({ length: 3 }, () => client.run(image))
    await until(() => held.length === 3, 'the tasks on the server')
    server.socket().terminate()
    expect((await Promise.all(runs)).map((items) => items.length)).toEqual([1, 1, 1])
    expect(server.frames).toHaveLength(1)
    expect(orphans).toEqual([])
  })

  it('a close from the server: its code in the detail, its reason only when it gave one', async () => {
    const server = await h.scripted()
    const client = h.client(server.url, { reconnect: { initialDelayMs: 0 } })
    const states = record(client, 'state')
    await client.connect()
    server.socket().close(4001)
    await until(() => states.some((event) => event.to === 'reconnecting'), 'the loss reported')
    const lost = states.find((event) => event.to === 'reconnecting')
    expect(lost).toMatchObject({ reason: 'socketClosed', detail: 'close code 4001', closeCode: 4001 })
    expect(lost).not.toHaveProperty('closeReason')
  })

  it('logs each transition and each loss, and sends a User-Agent', async () => {
    const lines: [string, string, Record<string, unknown>][] = []
    const log = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push([level, message, fields ?? {}])
    const server = await h.scripted()
    const client = h.client(server.url, { reconnect: { initialDelayMs: 0 }, logger: { debug: log('debug'), info: log('info') } })
    await client.connect()
    expect(lines).toContainEqual(['debug', 'state authenticating → ready', expect.objectContaining({ reason: 'authenticated' })])
    if (!WHATWG) expect(server.headers['user-agent']).toBe('runware-socket')
    server.socket().terminate()
    await until(() => lines.some(([, message]) => message === 'socket lost'), 'the loss logged')
    expect(lines.find(([, message]) => message === 'socket lost')).toEqual([
      'info',
      'socket lost',
      expect.objectContaining({ reason: 'socketClosed', detail: 'close code 1006' }),
    ])
  })
})
