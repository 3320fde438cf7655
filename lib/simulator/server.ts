/**
 * The simulator: a real `ws` server on 127.0.0.1 speaking the Runware protocol, with controls for
 * scripted faults (api.ts). This file wires the parts together and listens; the sockets live in
 * sockets.ts, protocol handling in router.ts, execution in engine.ts, the outbound path in
 * outbound.ts.
 */
import { Capacity, type CapacitySpec } from './capacity.js'
import { EventEmitter } from 'eventemitter3'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { Alarms, Ticker } from './alarms.js'
import type { HttpControls, Simulator, SimulatorEvents } from './api.js'
import { Engine } from './engine.js'
import { HttpFront } from './http.js'
import { count, Faults, type FailOptions, type FailTasksRule } from './faults.js'
import { resolveChaos, resolveOptions, type ChaosOptions, type ResolvedOptions, type SimulatorOptions } from './options.js'
import { Outbound } from './outbound.js'
import { createRandom } from './random.js'
import { Registry } from './registry.js'
import { Router } from './router.js'
import { SessionStore } from './sessions.js'
import { SocketPool } from './sockets.js'
import { createStats } from './stats.js'

class RunwareSimulator implements Simulator {
  readonly stats = createStats()
  readonly events = new EventEmitter<SimulatorEvents>()
  url = ''
  httpUrl = ''
  port = 0
  readonly http: HttpControls
  private readonly sockets: SocketPool
  private readonly alarms: Alarms
  private readonly ticker: Ticker
  private readonly faults: Faults
  private readonly sessions: SessionStore
  private readonly engine: Engine
  private readonly capacity: Capacity
  private readonly outbound: Outbound
  private readonly router: Router
  private readonly wss: WebSocketServer
  private readonly server: Server
  private readonly front: HttpFront
  private closing: Promise<void> | undefined

  constructor(private readonly options: ResolvedOptions) {
    const { clock } = options
    const random = createRandom(options.seed)
    const reportError = (error: unknown): void => {
      this.events.emit('internalError', error)
    }
    this.alarms = new Alarms(clock, reportError)
    this.ticker = new Ticker(() => {
      this.engine.completeReady()
      this.outbound.flushAll()
    }, reportError)
    this.faults = new Faults(options.chaos, random, this.stats)
    this.sessions = new SessionStore(clock, this.alarms, options.resumeWindowMs, (session) => {
      this.events.emit('sessionExpired', { sessionUUID: session.uuid })
    })
    this.outbound = new Outbound({
      framing: options.framing,
      framingRandom: random.fork('framing'),
      maxItemsPerFrame: options.maxItemsPerFrame,
      clock,
      stats: this.stats,
      faults: this.faults,
      sessions: this.sessions,
      requestTick: () => {
        this.ticker.request()
      },
      lifecycle: {
        cut: (socket) => {
          this.sockets.cut(socket)
        },
        silence: (socket) => {
          this.sockets.silence(socket)
        },
        countdownReached: () => {
          this.dropAll()
        },
      },
    })
    const registry = new Registry(options.retentionMs, (size) => (this.stats.tasksKnown = size))
    const capacity = (this.capacity = new Capacity(
      options.capacity,
      random.fork('capacity'),
      () => clock.now(),
      (at, job) => {
        this.alarms.at(at, job)
      },
    ))
    this.engine = new Engine({
      capacity,
      clock,
      alarms: this.alarms,
      ticker: this.ticker,
      registry,
      faults: this.faults,
      outbound: this.outbound,
      stats: this.stats,
      resultRandom: random.fork('results'),
      latencyRandom: random.fork('latency'),
      latency: options.latency,
      load: options.load,
      asyncDurationMs: options.asyncDurationMs,
    })
    this.router = new Router({
      capacity,
      clock,
      stats: this.stats,
      faults: this.faults,
      sessions: this.sessions,
      registry,
      engine: this.engine,
      outbound: this.outbound,
      apiKeys: options.apiKeys,
      authErrorShape: options.authErrorShape,
      unknownTaskAnswer: options.unknownTaskAnswer,
      onError: reportError,
    })
    this.http = this.front = new HttpFront({
      ...options,
      stats: this.stats,
      faults: this.faults,
      sessions: this.sessions,
      registry,
      router: this.router,
      outbound: this.outbound,
      alarms: this.alarms,
      onError: reportError,
    })
    this.server = createServer((request, response) => {
      this.front.handle(request, response)
    })
    // No `path` option: every path and query string is accepted, as official SDKs add their own.
    // autoPong off: a silent socket must not answer protocol-level pings either.
    this.wss = new WebSocketServer({
      server: this.server,
      perMessageDeflate: false,
      autoPong: false,
      verifyClient: (_info, done) => {
        this.front.verifyUpgrade(done)
      },
    })
    this.sockets = new SocketPool({
      clock,
      alarms: this.alarms,
      stats: this.stats,
      outbound: this.outbound,
      router: this.router,
      idleTimeoutMs: options.idleTimeoutMs,
      report: {
        connection: (info) => this.events.emit('connection', info),
        close: (info) => this.events.emit('close', info),
        frame: (info) => this.events.emit('frame', info),
        idleTimeout: (info) => this.events.emit('idleTimeout', info),
        internalError: reportError,
      },
    })
    this.wss.on('connection', (ws, request) => {
      if (this.closing !== undefined) ws.terminate()
      else this.sockets.accept(ws, request.url ?? '/')
    })
  }

  async listen(): Promise<void> {
    // The WebSocket server re-emits the HTTP server's errors: one listener sees them all.
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(error)
      }
      this.wss.once('error', onError)
      this.server.listen(this.options.port, this.options.host, () => {
        this.wss.off('error', onError)
        resolve()
      })
    })
    // Later server errors (there should be none) are reported, never thrown.
    this.wss.on('error', (error) => this.events.emit('internalError', error))
    const address = this.server.address() as AddressInfo
    this.port = address.port
    const host = this.options.host === '0.0.0.0' || this.options.host === '::' ? '127.0.0.1' : this.options.host
    const authority = `${host.includes(':') ? `[${host}]` : host}:${this.port}`
    this.url = `ws://${authority}/v1`
    this.httpUrl = `http://${authority}/v1`
  }

  // ---- controls ----

  dropAll(): void {
    this.sockets.dropAll()
    this.front.cutAll()
  }

  dropAfterFrames(n: number): void {
    if (count('n', n) === 0) this.dropAll()
    else this.faults.dropAfterFrames(n)
  }

  silence(): void {
    this.sockets.silenceAll()
    this.front.silenceAll()
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

  revokeKey(apiKey: string, code = 'invalidApiKey'): void {
    this.faults.revokeKey(apiKey, code)
    this.sockets.dropKey(apiKey)
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

  loseAcks(n: number): void {
    this.faults.loseAcks(n)
  }

  loseAnswers(n: number): void {
    this.faults.loseAnswers(n)
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

  setCapacity(model: string, spec: CapacitySpec): void {
    this.capacity.change(model, spec)
  }

  setChaos(chaos?: ChaosOptions): void {
    this.faults.chaos = resolveChaos(chaos)
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    this.alarms.dispose()
    this.ticker.dispose()
    this.sockets.terminateAll()
    this.sessions.clear()
    this.front.cutAll(false)
    await new Promise<void>((resolve) => {
      this.wss.close(() => {
        resolve()
      })
    })
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve()
      })
    })
  }
}

/** Starts a simulator listening on 127.0.0.1 (an ephemeral port unless `port` is given). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = new RunwareSimulator(resolveOptions(options))
  await simulator.listen()
  return simulator
}
