/**
 * One socket at a time: its lifecycle along the state table (states.ts), the authentication
 * handshake (with session resume), the heartbeat, and reconnect backoff. It never sees tasks.
 *
 * Every state change goes through `#enter`, which checks the table, clears the one timer the
 * previous state owned, and only then reports the change: by the time anyone hears of a state,
 * its socket is made and its timer armed. Each socket gets a generation number; events from an
 * older socket are ignored, so a late `close` cannot tear down its successor.
 */
import { BackoffCounter } from '../support/backoff.js'
import type { TimerHandle } from '../support/clock.js'
import { describeThrown, libraryError, type RunwareError } from '../support/errors.js'
import type { ConnectionState, StateEvent } from '../api/events.js'
import type { ConnectionDeps, Wire } from './port.js'
import { parseFrame } from '../protocol/parse.js'
import { authFrame, isAuthReply, PING_FRAME, type Envelope } from '../protocol/protocol.js'
import { SessionMemory } from './session.js'
import { openTransport, probeWebSocket, socketOptions, type OpenSocket } from './socket.js'
import { TransportChoice } from './transport-choice.js'
import { STATES, type LossReason, type StateReasons } from '../machines/states.js'

type Extra = Omit<Partial<StateEvent>, 'from' | 'to' | 'reason'>

export class Connection implements Wire {
  #state: ConnectionState = 'idle'
  #socket: OpenSocket | undefined
  #generation = 0
  /** The one timer of the current state: connect/auth timeout, heartbeat, or backoff wait. */
  #timer: TimerHandle | undefined
  readonly #session: SessionMemory
  #lastInbound = 0
  /** When the last application ping went out (a pong's round trip is measured from it). */
  #pingSentAt: number | undefined
  #failure: RunwareError | undefined
  readonly #backoff: BackoffCounter
  readonly #choice: TransportChoice

  constructor(private readonly deps: ConnectionDeps) {
    this.#backoff = new BackoffCounter(deps.settings.reconnect, deps.settings.random)
    this.#choice = new TransportChoice(deps.settings.transport, deps.clock, deps.settings.reconnect.maxDelayMs)
    this.#session = new SessionMemory(deps.settings.resumeWindowMs)
  }

  get state(): ConnectionState {
    return this.#state
  }
  get sessionUUID(): string | undefined {
    return this.#session.uuid
  }
  get handshake(): boolean {
    return STATES[this.#state].handshake
  }

  /** Why the connection is `failed`, while it is. */
  get failure(): RunwareError | undefined {
    return this.#failure
  }
  /** Frames may be written now. */
  writable(): boolean {
    return STATES[this.#state].sends === 'write' && this.#socket !== undefined
  }

  /**
   * Opens a socket where the table allows it (idle, reconnecting: the caller asked, so the rest of
   * the backoff wait is skipped, failed: afresh). Open, opening or closed: nothing.
   */
  connect(): void {
    if (!STATES[this.#state].next.includes('connecting')) return
    if (this.#state === 'failed') {
      this.#failure = undefined
      this.#backoff.reset()
    }
    this.#open('connect')
  }
  /** Writes one frame; false (nothing written) unless ready. */
  write(frame: string): boolean {
    if (!this.writable()) return false
    this.#socket?.send(frame)
    return true
  }
  /** Sends an application ping now; false unless ready. */
  ping(): boolean {
    const sent = this.write(PING_FRAME)
    if (sent) this.#pingSentAt = this.deps.clock.now()
    return sent
  }
  get pingSentAt(): number | undefined {
    return this.#pingSentAt
  }
  /** Stops reading what answers this task (the HTTP stream of a task that left); a WebSocket has nothing to stop. */
  cancel(taskUUID: string): void {
    this.#socket?.cancel?.(taskUUID)
  }

  /** Drops the socket and reconnects with backoff (a retryable error that names no task). */
  reconnect(code: string): void {
    this.#lose(STATES[this.#state].handshake ? 'authError' : 'serverError', { code })
  }

  /** Stops: no reconnect until `connect()` (an auth-category error that names no task). */
  fail(error: RunwareError): void {
    if (!STATES[this.#state].live) return
    void this.#dropSocket()
    this.#choice.stopProbing()
    this.#failure = error
    this.#enter('failed', 'authFailed', { code: error.code })
    this.deps.hooks.failed(error)
  }

  /** Terminates the socket; resolves once it is gone. Idempotent. */
  close(): Promise<void> {
    this.#choice.stopProbing()
    if (this.#state === 'closed') return Promise.resolve()
    const gone = this.#dropSocket()
    this.#enter('closed', 'close')
    return gone
  }

  /** The one transition: `arm` sets the new state's timer before anyone hears of the state. */
  #enter<S extends keyof StateReasons>(to: S, reason: StateReasons[S], extra: Extra = {}, arm?: () => void): void {
    const from = this.#state
    if (!STATES[from].next.includes(to)) {
      // A bug in this library, never a server's doing: say so loudly.
      throw new Error(`runware-socket: illegal state transition ${from} → ${to} (${reason})`)
    }
    this.#clearTimer()
    this.#state = to
    arm?.()
    const event = { from, to, reason, ...extra } as StateEvent
    this.deps.log('debug', `state ${from} → ${to}`, { reason, ...extra })
    this.deps.hooks.state(event)
  }

  #open(reason: StateReasons['connecting']): void {
    const generation = ++this.#generation
    const { run, settings } = this.deps
    // Socket callbacks run as library work, and only for the current socket.
    const guarded =
      <A extends unknown[]>(handle: (...args: A) => void) =>
      (...args: A): void => {
        run(() => {
          if (generation === this.#generation) handle(...args)
        })
      }
    let socket: OpenSocket
    try {
      socket = openTransport(this.#choice.current, settings, socketOptions(settings, this.deps.clock), {
        open: guarded(() => this.#authenticate()),
        message: guarded((text: string) => this.#receive(text)),
        close: guarded((code: number, why: string) => this.#closedByPeer(code, why)),
        error: guarded((message: string, tooLarge: boolean) => this.#socketError(message, tooLarge)),
      })
    } catch (error) {
      this.#enter('connecting', reason)
      this.#lose('socketError', { detail: describeThrown(error) })
      return
    }
    this.#socket = socket
    this.#enter('connecting', reason, { transport: this.#choice.current }, () =>
      this.#setTimer(settings.connectTimeoutMs, () => this.#lose('connectTimeout', { code: 'connectTimeout' })),
    )
  }

  #authenticate(): void {
    const now = this.deps.clock.now()
    this.#lastInbound = now
    this.#socket?.send(authFrame(this.deps.settings.apiKey, this.#session.request(now)))
    this.#enter('authenticating', 'open', {}, () => this.#setTimer(this.deps.settings.authTimeoutMs, () => this.#lose('authTimeout', { code: 'authTimeout' })))
  }

  #receive(text: string): void {
    this.#lastInbound = this.deps.clock.now()
    const parsed = parseFrame(text)
    if (!parsed.ok) {
      this.deps.hooks.frameError(parsed.error)
      return
    }
    if (STATES[this.#state].handshake) this.#handshake(parsed.envelope, text)
    else if (STATES[this.#state].sends === 'write') this.deps.hooks.envelope(parsed.envelope, text)
  }

  /** While authenticating: the auth reply is ours; everything else (errors too) goes on to the engine. */
  #handshake(envelope: Envelope, text: string): void {
    const reply = envelope.data.find(isAuthReply)
    if (reply !== undefined) {
      const session = reply.connectionSessionUUID
      if (typeof session !== 'string' || session === '') {
        // Every official client treats a reply without a session as a failed handshake.
        this.#lose('authReplyInvalid', { code: 'protocolError' })
        return
      }
      const resumed = this.#session.accepted(session)
      this.#backoff.markStable(this.deps.clock.now())
      this.#enter('ready', 'authenticated', { resumed }, () => this.#armHeartbeat())
      this.#choice.ready()
      const { settings, clock, run } = this.deps
      this.#choice.startProbing(probeWebSocket(settings, socketOptions(settings, clock), run), () => this.#lose('transportSwitch'))
      this.deps.hooks.ready(resumed)
    }
    const rest: Envelope = reply === undefined ? envelope : { ...envelope, data: envelope.data.filter((item) => item !== reply) }
    if (rest.data.length > 0 || rest.errors.length > 0 || rest.issues.length > 0) this.deps.hooks.envelope(rest, text)
  }

  /** The server's close frame: its code and (scrubbed) reason ride on the state event. */
  #closedByPeer(code: number, reason: string): void {
    const closeReason = this.deps.scrubber.text(reason)
    this.#lose('socketClosed', { detail: `close code ${code}`, closeCode: code, ...(closeReason === '' ? {} : { closeReason }) })
  }

  #socketError(message: string, tooLarge: boolean): void {
    if (tooLarge) {
      const limit = this.deps.settings.maxFrameBytes
      this.deps.hooks.problem(libraryError('frameTooLarge', `a frame over maxFrameBytes (${limit} bytes) was refused; the socket is dropped`))
      this.#lose('frameTooLarge', { code: 'frameTooLarge' })
      return
    }
    this.#lose('socketError', { detail: message })
  }

  #armHeartbeat(): void {
    const heartbeat = this.deps.settings.heartbeat
    if (heartbeat === false) return
    const quietFor = this.deps.clock.now() - this.#lastInbound
    this.#setTimer(Math.max(0, heartbeat.intervalMs - quietFor), this.#heartbeatDue)
  }

  /** Pings only when the socket has been quiet for a whole interval (any frame counts as life); armed only when ready. */
  readonly #heartbeatDue = (): void => {
    const heartbeat = this.deps.settings.heartbeat
    if (heartbeat === false) return
    const now = this.deps.clock.now()
    if (now - this.#lastInbound < heartbeat.intervalMs) {
      this.#armHeartbeat()
      return
    }
    const pingAt = now
    this.#socket?.send(PING_FRAME)
    this.#pingSentAt = pingAt
    this.#setTimer(heartbeat.timeoutMs, () => {
      if (this.#lastInbound >= pingAt) this.#armHeartbeat()
      else this.#lose('heartbeatTimeout', { code: 'heartbeatTimeout' })
    })
  }

  /** The socket is gone (or must go): reconnect with backoff, or fail when attempts ran out. */
  #lose(reason: LossReason, extra: Extra = {}): void {
    const from = this.#state
    if (!STATES[from].live) return
    // What the socket said (an errno, a close code); scrubbed in case a URL carried the key.
    const said: Extra = { ...extra, ...(extra.detail === undefined ? {} : { detail: this.deps.scrubber.text(extra.detail) }) }
    this.deps.log('info', 'socket lost', { reason, ...said })
    void this.#dropSocket()
    this.#choice.stopProbing()
    const now = this.deps.clock.now()
    if (this.#choice.fallsBack(reason, from === 'ready')) {
      this.#enter('reconnecting', reason, { ...said, attempt: this.#backoff.attempt, retryInMs: 0 }, () => this.#setTimer(0, () => this.#open('fallback')))
      this.deps.hooks.lost()
      return
    }
    if (from === 'ready') {
      this.#session.lost(now)
      this.#backoff.markLost(now)
    }
    if (this.#backoff.attempt >= this.deps.settings.reconnect.maxAttempts) {
      const last = said.detail === undefined ? reason : `${reason}: ${said.detail}`
      const error = libraryError('reconnectFailed', `gave up after ${this.#backoff.attempt} reconnect attempts (last: ${last})`)
      this.#failure = error
      this.#enter('failed', 'reconnectFailed', { ...said, code: error.code })
      this.deps.hooks.lost()
      this.deps.hooks.failed(error)
      return
    }
    const delay = this.#backoff.next()
    this.#enter('reconnecting', reason, { ...said, attempt: this.#backoff.attempt, retryInMs: delay }, () =>
      this.#setTimer(delay, () => this.#open('backoffElapsed')),
    )
    this.deps.hooks.lost()
  }

  /** Detaches and ends the socket. */
  #dropSocket(): Promise<void> {
    const socket = this.#socket
    this.#socket = undefined
    this.#generation += 1
    return socket === undefined ? Promise.resolve() : socket.end()
  }

  #setTimer(ms: number, fn: () => void): void {
    this.#clearTimer()
    this.#timer = this.deps.clock.setTimeout(() => {
      this.#timer = undefined
      fn()
    }, ms)
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.deps.clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
