/**
 * One socket at a time: its lifecycle as a state table, the authentication handshake (with
 * session resume), the heartbeat, and reconnect backoff.
 *
 * Every state change goes through `#transition`, which checks the table, clears the one timer the
 * previous state owned, and reports a `state` event. Each socket gets a generation number; events
 * from an older socket are ignored, so a late `close` cannot tear down its successor.
 */
import type { RawData } from 'ws'
import type WebSocket from 'ws'
import { BackoffCounter } from './backoff.js'
import type { TimerHandle } from './clock.js'
import { libraryError, RunwareError } from './errors.js'
import type { ConnectionState, StateEvent } from './events.js'
import type { ResolvedOptions } from './options.js'
import type { ErrorPolicy } from './policy.js'
import { authFrame, isAuthReply, parseFrame, PING_FRAME, type Envelope, type ErrorItem, type FrameError } from './protocol.js'

/** Allowed transitions (design.md's state table, plus the direct failures it implies). */
const TRANSITIONS: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = {
  idle: ['connecting', 'closed'],
  connecting: ['authenticating', 'reconnecting', 'failed', 'closed'],
  authenticating: ['ready', 'reconnecting', 'failed', 'closed'],
  ready: ['reconnecting', 'failed', 'closed'],
  reconnecting: ['connecting', 'failed', 'closed'],
  failed: ['connecting', 'closed'],
  closed: [],
}

export interface ConnectionHooks {
  state(event: StateEvent): void
  /** Authenticated; `resumed` when the server re-attached the previous session. */
  ready(resumed: boolean): void
  /** A parsed frame received while authenticating (minus the auth reply) or ready. */
  envelope(envelope: Envelope): void
  /** A frame that could not be parsed: reported and skipped. */
  frameError(error: FrameError): void
  /** The socket is gone; what was on the wire has an unknown fate. */
  lost(): void
  /** No further connection will be attempted until `connect()`. */
  failed(error: RunwareError): void
}

type SocketOptions = Pick<
  ResolvedOptions,
  'url' | 'WebSocket' | 'connectTimeoutMs' | 'authTimeoutMs' | 'heartbeat' | 'reconnect' | 'resumeWindowMs' | 'clock' | 'random' | 'logger'
>

const USER_AGENT = 'runware-socket'

export class Connection {
  #state: ConnectionState = 'idle'
  #socket: WebSocket | undefined
  #generation = 0
  /** The one timer of the current state: connect/auth timeout, heartbeat, or backoff wait. */
  #timer: TimerHandle | undefined
  #sessionUUID: string | undefined
  /** The session the current handshake asked to resume. */
  #requestedSession: string | undefined
  /** When the last authenticated socket was lost (the resume window starts there). */
  #lostAt: number | undefined
  #lastInbound = 0
  #failure: RunwareError | undefined
  readonly #apiKey: string
  readonly #backoff: BackoffCounter

  constructor(
    apiKey: string,
    private readonly options: SocketOptions,
    private readonly policy: ErrorPolicy,
    private readonly hooks: ConnectionHooks,
  ) {
    this.#apiKey = apiKey
    this.#backoff = new BackoffCounter(options.reconnect, options.random)
  }

  get state(): ConnectionState {
    return this.#state
  }

  get sessionUUID(): string | undefined {
    return this.#sessionUUID
  }

  /** Why the connection is `failed`, while it is. */
  get failure(): RunwareError | undefined {
    return this.#failure
  }

  /** Opens a socket unless one is open or opening; from `failed`, starts afresh. */
  connect(): void {
    switch (this.#state) {
      case 'idle':
        this.#open('connect')
        return
      case 'failed':
        this.#failure = undefined
        this.#backoff.reset()
        this.#open('connect')
        return
      case 'reconnecting':
        // The caller asked explicitly: skip the rest of the backoff wait.
        this.#open('connect')
        return
      case 'closed':
        throw libraryError('connectionClosed', 'the client is closed')
      default:
        return
    }
  }

  /** Writes one frame; false (nothing written) unless ready. */
  send(frame: string): boolean {
    if (this.#state !== 'ready' || this.#socket === undefined) return false
    this.#socket.send(frame)
    return true
  }

  /** Sends an application ping now; false unless ready. */
  ping(): boolean {
    return this.send(PING_FRAME)
  }

  /** Drops the socket and reconnects with backoff (a server error that names no task). */
  reconnect(reason: string, code?: string): void {
    this.#lose(reason, code)
  }

  /** Stops: no reconnect until `connect()` (an auth-category error). */
  fail(error: RunwareError, reason = 'authFailed'): void {
    if (this.#state === 'closed' || this.#state === 'failed' || this.#state === 'idle') return
    void this.#dropSocket()
    this.#failure = error
    this.#transition('failed', reason, { code: error.code })
    this.hooks.failed(error)
  }

  /** Terminates the socket; resolves once it is closed. Idempotent. */
  close(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve()
    const closed = this.#dropSocket()
    this.#transition('closed', 'close')
    return closed
  }

  #transition(to: ConnectionState, reason: string, extra: Partial<StateEvent> = {}): void {
    const from = this.#state
    if (!TRANSITIONS[from].includes(to)) {
      // A bug in this library, never a server's doing: say so loudly.
      throw new Error(`runware-socket: illegal state transition ${from} → ${to} (${reason})`)
    }
    this.#clearTimer()
    this.#state = to
    const event: StateEvent = { from, to, reason, ...extra }
    this.options.logger.debug?.(`state ${from} → ${to}`, { reason, ...extra })
    this.hooks.state(event)
  }

  #open(reason: string): void {
    this.#transition('connecting', reason)
    const generation = ++this.#generation
    let socket: WebSocket
    try {
      socket = new this.options.WebSocket(this.options.url, {
        perMessageDeflate: false,
        headers: { 'User-Agent': USER_AGENT },
      })
    } catch (error) {
      this.#lose('socketError', 'connectionLost', String(error))
      return
    }
    this.#socket = socket
    this.#setTimer(this.options.connectTimeoutMs, () => this.#lose('connectTimeout', 'connectTimeout'))
    socket.on('open', () => {
      if (generation === this.#generation) this.#authenticate()
    })
    socket.on('message', (data: RawData) => {
      if (generation === this.#generation) this.#receive(data)
    })
    socket.on('close', (code: number) => {
      if (generation === this.#generation) this.#lose('socketClosed', undefined, `close code ${code}`)
    })
    socket.on('error', (error: Error) => {
      if (generation === this.#generation) this.#lose('socketError', undefined, error.message)
    })
  }

  #authenticate(): void {
    const now = this.options.clock.now()
    const resume = this.#sessionUUID !== undefined && this.#lostAt !== undefined && now - this.#lostAt <= this.options.resumeWindowMs
    this.#requestedSession = resume ? this.#sessionUUID : undefined
    this.#transition('authenticating', 'open')
    this.#lastInbound = now
    this.#setTimer(this.options.authTimeoutMs, () => this.#lose('authTimeout', 'authTimeout'))
    this.#socket?.send(authFrame(this.#apiKey, this.#requestedSession))
  }

  #receive(data: RawData): void {
    this.#lastInbound = this.options.clock.now()
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8')
    const parsed = parseFrame(text)
    if (!parsed.ok) {
      this.hooks.frameError(parsed.error)
      return
    }
    if (this.#state === 'authenticating') this.#handshake(parsed.envelope)
    else if (this.#state === 'ready') this.hooks.envelope(parsed.envelope)
  }

  /** Handles a frame while authenticating; anything that is not about auth is passed on. */
  #handshake(envelope: Envelope): void {
    const authErrors: ErrorItem[] = []
    const otherErrors: ErrorItem[] = []
    for (const error of envelope.errors) {
      if (error.taskUUID === undefined) authErrors.push(error)
      else otherErrors.push(error)
    }
    const reply = envelope.data.find(isAuthReply)
    const rest: Envelope = { ...envelope, data: envelope.data.filter((item) => item !== reply), errors: otherErrors }

    const authError = authErrors[0]
    if (authError !== undefined) {
      const classification = this.policy.classify(authError)
      if (classification.retryable) {
        this.#lose('authError', authError.code)
      } else {
        this.fail(RunwareError.fromServer(authError, classification), 'authFailed')
      }
      return
    }
    if (reply !== undefined) {
      const session = reply.connectionSessionUUID
      if (typeof session !== 'string' || session === '') {
        // Every official client treats a reply without a session as a failed handshake.
        this.#lose('authReplyInvalid', 'protocolError')
        return
      }
      const resumed = this.#requestedSession !== undefined && session === this.#requestedSession
      this.#sessionUUID = session
      this.#lostAt = undefined
      this.#backoff.markStable(this.options.clock.now())
      this.#transition('ready', 'authenticated', { resumed })
      this.#armHeartbeat()
      this.hooks.ready(resumed)
    }
    if (rest.data.length > 0 || rest.errors.length > 0) this.hooks.envelope(rest)
  }

  #armHeartbeat(): void {
    const heartbeat = this.options.heartbeat
    if (heartbeat === false) return
    const quietFor = this.options.clock.now() - this.#lastInbound
    this.#setTimer(Math.max(0, heartbeat.intervalMs - quietFor), this.#heartbeatDue)
  }

  /** Pings only when the socket has been quiet for a whole interval: any frame counts as life. */
  #heartbeatDue = (): void => {
    const heartbeat = this.options.heartbeat
    if (heartbeat === false || this.#state !== 'ready') return
    const now = this.options.clock.now()
    if (now - this.#lastInbound < heartbeat.intervalMs) {
      this.#armHeartbeat()
      return
    }
    const pingAt = now
    this.#socket?.send(PING_FRAME)
    this.#setTimer(heartbeat.timeoutMs, () => {
      if (this.#lastInbound >= pingAt) this.#armHeartbeat()
      else this.#lose('heartbeatTimeout', 'heartbeatTimeout')
    })
  }

  /** The socket is gone (or must go): reconnect with backoff, or fail when attempts ran out. */
  #lose(reason: string, code?: string, detail?: string): void {
    const from = this.#state
    if (from !== 'connecting' && from !== 'authenticating' && from !== 'ready') return
    // What the socket said (an errno, a close code); scrubbed in case a URL carried the key.
    const said = detail === undefined ? {} : { detail: detail.split(this.#apiKey).join('[redacted]') }
    this.options.logger.info?.('socket lost', { reason, ...(code === undefined ? {} : { code }), ...said })
    void this.#dropSocket()
    const now = this.options.clock.now()
    if (from === 'ready') {
      this.#lostAt = now
      this.#backoff.markLost(now)
    }
    if (this.#backoff.attempt >= this.options.reconnect.maxAttempts) {
      const last = said.detail === undefined ? reason : `${reason}: ${said.detail}`
      const error = libraryError('reconnectFailed', `gave up after ${this.#backoff.attempt} reconnect attempts (last: ${last})`)
      this.#failure = error
      this.#transition('failed', 'reconnectFailed', { code: error.code, ...said })
      this.hooks.lost()
      this.hooks.failed(error)
      return
    }
    const delay = this.#backoff.next()
    this.#transition('reconnecting', reason, {
      ...(code === undefined ? {} : { code }),
      ...said,
      attempt: this.#backoff.attempt,
      retryInMs: delay,
    })
    this.#setTimer(delay, () => this.#open('backoffElapsed'))
    this.hooks.lost()
  }

  /** Detaches and terminates the socket (terminate, not close: a half-open peer never answers a close). */
  #dropSocket(): Promise<void> {
    const socket = this.#socket
    this.#socket = undefined
    this.#generation += 1
    if (socket === undefined) return Promise.resolve()
    socket.removeAllListeners()
    // A late 'error' from a dropped socket must not become an uncaught exception.
    socket.on('error', () => undefined)
    if (socket.readyState === socket.CLOSED) return Promise.resolve()
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.terminate()
    return closed
  }

  #setTimer(ms: number, fn: () => void): void {
    this.#clearTimer()
    this.#timer = this.options.clock.setTimeout(() => {
      this.#timer = undefined
      fn()
    }, ms)
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.options.clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
