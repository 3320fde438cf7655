/**
 * The simulator: a real `ws` server on 127.0.0.1 speaking the Runware protocol, with controls for
 * scripted faults. This file owns the sockets (accept, idle timeout, close, cut, silence) and wires
 * the parts together; protocol handling lives in router.ts, execution in engine.ts, the outbound
 * path in outbound.ts.
 */
import { EventEmitter } from 'eventemitter3'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { Connection } from './connection.js'
import { Engine } from './engine.js'
import { count, Faults, type FailOptions, type FailTasksRule } from './faults.js'
import { resolveChaos, resolveOptions, type ChaosOptions, type ResolvedOptions, type SimulatorOptions } from './options.js'
import { Outbound } from './outbound.js'
import { createRandom } from './random.js'
import { Registry } from './registry.js'
import { Router } from './router.js'
import { Scheduler, Ticker } from './scheduler.js'
import { SessionStore } from './sessions.js'
import { createStats, type SimulatorStats } from './stats.js'

/** Events for tests to wait on instead of sleeping. */
export interface SimulatorEvents {
  /** A socket was accepted; `path` is the request path with its query string. */
  connection: (info: { id: number; path: string }) => void
  /** A socket closed (for any reason). */
  close: (info: { id: number; code: number }) => void
  /** A frame was received and fully processed; `discarded` when its socket was silent. */
  frame: (info: { id: number; discarded: boolean }) => void
  /** The server closed a socket for inactivity. */
  idleTimeout: (info: { id: number }) => void
  /** A session's resume window ran out; its buffered results are gone. */
  sessionExpired: (info: { sessionUUID: string }) => void
  /** A bug in the simulator, caught so it never reaches the event loop. */
  internalError: (error: unknown) => void
}

export interface Simulator {
  /** `ws://127.0.0.1:<port>/v1` (any path is accepted). */
  readonly url: string
  readonly port: number
  /** Live counters. */
  readonly stats: SimulatorStats
  readonly events: EventEmitter<SimulatorEvents>
  /** Releases every socket, timer and the server. Idempotent. */
  close(): Promise<void>
  /** Terminates every open socket now, like a network cut. */
  dropAll(): void
  /** Terminates every socket once the server has written n more frames (of any kind) in total; 0 = now. */
  dropAfterFrames(n: number): void
  /** Every open socket goes half-open: stays open, sends nothing, discards what it receives. New sockets are normal. */
  silence(): void
  /** The next n tasks (not getResponse, ping or auth) fail at completion with `code`. */
  failNext(n: number, code: string, options?: FailOptions): void
  /** Fails a seeded-random fraction of tasks, or those matching a predicate, at most `count` of them. */
  failTasks(rule: FailTasksRule, code: string): void
  /** The next n authentications are refused with `code`. */
  failAuth(code: string, n?: number): void
  /** The next n tasks are refused with `code` and not executed. */
  rateLimit(n: number, code?: string): void
  /** The next n result frames are each sent twice. */
  duplicateNext(n: number): void
  /** A malformed frame goes out before each of the next n result frames. */
  malformedNext(n: number): void
  /** Adds `ms` of latency to the next n tasks, or to every task until `delay(0)` when n is omitted. */
  delay(ms: number, n?: number): void
  /** Holds every result back (tasks stay pending) until releaseResults(). */
  holdResults(): void
  /** Completes every held task now. */
  releaseResults(): void
  /** Cancels every pending scripted fault (held results stay held). */
  clearFaults(): void
  /** Replaces the seeded chaos settings (undefined turns chaos off). */
  setChaos(chaos?: ChaosOptions): void
}

class RunwareSimulator implements Simulator {
  readonly stats = createStats()
  readonly events = new EventEmitter<SimulatorEvents>()
  url = ''
  port = 0
  private readonly connections = new Set<Connection>()
  private readonly scheduler: Scheduler
  private readonly ticker: Ticker
  private readonly faults: Faults
  private readonly sessions: SessionStore
  private readonly engine: Engine
  private readonly outbound: Outbound
  private readonly router: Router
  private readonly wss: WebSocketServer
  private nextId = 1
  private closing: Promise<void> | undefined

  constructor(private readonly options: ResolvedOptions) {
    const { clock } = options
    const random = createRandom(options.seed)
    const reportError = (error: unknown): void => {
      this.events.emit('internalError', error)
    }
    this.scheduler = new Scheduler(clock, reportError)
    this.ticker = new Ticker(() => {
      this.engine.completeReady()
      this.outbound.flushAll()
    }, reportError)
    this.faults = new Faults(options.chaos, random, this.stats)
    this.sessions = new SessionStore(clock, this.scheduler, options.resumeWindowMs, (session) => {
      this.events.emit('sessionExpired', { sessionUUID: session.uuid })
    })
    this.outbound = new Outbound({
      framing: options.framing,
      maxItemsPerFrame: options.maxItemsPerFrame,
      clock,
      stats: this.stats,
      faults: this.faults,
      sessions: this.sessions,
      requestTick: () => { this.ticker.request() },
      lifecycle: {
        cut: (connection) => { this.cut(connection) },
        silence: (connection) => { this.silenceOne(connection) },
        countdownReached: () => { this.dropAll() },
      },
    })
    const registry = new Registry()
    this.engine = new Engine({
      clock,
      scheduler: this.scheduler,
      ticker: this.ticker,
      registry,
      faults: this.faults,
      outbound: this.outbound,
      stats: this.stats,
      resultRandom: random.fork('results'),
      latencyRandom: random.fork('latency'),
      latency: options.latency,
      asyncDurationMs: options.asyncDurationMs,
    })
    this.router = new Router({
      clock,
      stats: this.stats,
      faults: this.faults,
      sessions: this.sessions,
      registry,
      engine: this.engine,
      outbound: this.outbound,
      apiKeys: options.apiKeys,
      legacyAuthErrors: options.legacyAuthErrors,
      onError: reportError,
    })
    // No `path` option: every path and query string is accepted, as official SDKs add their own.
    // autoPong off: a silent socket must not answer protocol-level pings either.
    this.wss = new WebSocketServer({ host: options.host, port: options.port, perMessageDeflate: false, autoPong: false })
    this.wss.on('connection', (ws, request) => {
      this.accept(ws, request.url ?? '/')
    })
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(error)
      }
      this.wss.once('error', onError)
      this.wss.once('listening', () => {
        this.wss.off('error', onError)
        resolve()
      })
    })
    // Later server errors (there should be none) are reported, never thrown.
    this.wss.on('error', (error) => this.events.emit('internalError', error))
    const address = this.wss.address() as AddressInfo
    this.port = address.port
    const host = this.options.host === '0.0.0.0' || this.options.host === '::' ? '127.0.0.1' : this.options.host
    this.url = `ws://${host.includes(':') ? `[${host}]` : host}:${this.port}/v1`
  }

  // ---- controls ----

  dropAll(): void {
    for (const connection of [...this.connections]) {
      if (connection.state !== 'open' && connection.state !== 'silent') continue
      this.stats.faults.drops++
      this.cut(connection)
    }
  }

  dropAfterFrames(n: number): void {
    if (count('n', n) === 0) this.dropAll()
    else this.faults.dropAfterFrames(n)
  }

  silence(): void {
    for (const connection of [...this.connections]) this.silenceOne(connection)
  }

  failNext(n: number, code: string, options?: FailOptions): void {
    this.faults.failNext(n, code, options)
  }

  failTasks(rule: FailTasksRule, code: string): void {
    this.faults.failTasks(rule, code)
  }

  failAuth(code: string, n = 1): void {
    this.faults.failAuth(code, n)
  }

  rateLimit(n: number, code = 'rateLimitExceeded'): void {
    this.faults.rateLimit(n, code)
  }

  duplicateNext(n: number): void {
    this.faults.duplicateNext(n)
  }

  malformedNext(n: number): void {
    this.faults.malformedNext(n)
  }

  delay(ms: number, n?: number): void {
    this.faults.delay(ms, n)
  }

  holdResults(): void {
    this.engine.hold()
  }

  releaseResults(): void {
    this.engine.release()
  }

  clearFaults(): void {
    this.faults.clear()
  }

  setChaos(chaos?: ChaosOptions): void {
    this.faults.chaos = resolveChaos(chaos)
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  // ---- sockets ----

  private accept(ws: WebSocket, path: string): void {
    if (this.closing !== undefined) {
      ws.terminate()
      return
    }
    const connection = new Connection(this.nextId++, ws, this.options.clock.now())
    this.connections.add(connection)
    this.stats.connections++
    this.stats.openSockets++
    ws.on('message', (data: RawData) => {
      this.receive(connection, data)
    })
    ws.on('ping', (data: Buffer) => {
      if (connection.state === 'open') ws.pong(data)
    })
    ws.on('close', (code: number) => {
      this.closed(connection, code)
    })
    // Socket errors end in 'close'; without a listener they would be thrown.
    ws.on('error', () => undefined)
    this.armIdle(connection)
    this.events.emit('connection', { id: connection.id, path })
  }

  private receive(connection: Connection, data: RawData): void {
    this.stats.framesReceived++
    const discarded = connection.state !== 'open'
    if (!discarded) {
      connection.lastActivity = this.options.clock.now()
      try {
        this.router.handle(connection, rawText(data))
        this.outbound.flush(connection)
      } catch (error) {
        this.events.emit('internalError', error)
      }
    }
    this.events.emit('frame', { id: connection.id, discarded })
  }

  private closed(connection: Connection, code: number): void {
    if (connection.state === 'closed') return
    connection.state = 'closed'
    this.connections.delete(connection)
    this.stats.openSockets--
    const pending = connection.outbox
    connection.outbox = []
    this.outbound.salvage(connection, pending)
    this.events.emit('close', { id: connection.id, code })
  }

  /** Network cut: the session loses its socket now; queued results go to its buffer. */
  private cut(connection: Connection): void {
    if (connection.state === 'closed' || connection.state === 'cut') return
    connection.cut()
    const pending = connection.outbox
    connection.outbox = []
    this.outbound.salvage(connection, pending)
  }

  private silenceOne(connection: Connection): void {
    if (connection.state !== 'open') return
    connection.state = 'silent'
    this.stats.faults.silences++
    const pending = connection.outbox
    connection.outbox = []
    this.outbound.salvage(connection, pending)
  }

  /** One pending check per socket; activity just moves the deadline, it does not re-arm a timer. */
  private armIdle(connection: Connection): void {
    const idle = this.options.idleTimeoutMs
    if (idle <= 0) return
    this.scheduler.at(connection.lastActivity + idle, () => {
      // A half-open socket never times out: nothing reaches the server to time it by.
      if (connection.state !== 'open') return
      if (this.options.clock.now() - connection.lastActivity >= idle) {
        this.events.emit('idleTimeout', { id: connection.id })
        connection.ws.close(1000, 'idle timeout')
      } else {
        this.armIdle(connection)
      }
    })
  }

  private async shutdown(): Promise<void> {
    this.scheduler.dispose()
    this.ticker.dispose()
    for (const connection of this.connections) {
      connection.state = 'closed'
      connection.ws.terminate()
    }
    this.connections.clear()
    this.stats.openSockets = 0
    this.sessions.clear()
    await new Promise<void>((resolve) => {
      this.wss.close(() => {
        resolve()
      })
    })
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

/** Starts a simulator listening on 127.0.0.1 (an ephemeral port unless `port` is given). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = new RunwareSimulator(resolveOptions(options))
  await simulator.listen()
  return simulator
}
