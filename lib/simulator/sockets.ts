/**
 * The simulator's client sockets: accept, receive, close, and the socket faults (cut, silence),
 * plus the idle timeout. Whatever a socket can no longer send goes to its session's buffer, never
 * nowhere.
 */
import type { WebSocket } from 'ws'
import type { Clock } from '../support/clock.js'
import type { Alarms } from './alarms.js'
import type { Outbound } from './outbound.js'
import type { Router } from './router.js'
import type { SocketLink } from './model.js'
import { SimSocket } from './socket.js'
import type { SimulatorStats } from './stats.js'

export interface SocketPoolDeps {
  clock: Clock
  alarms: Alarms
  stats: SimulatorStats
  outbound: Outbound
  router: Router
  idleTimeoutMs: number
  /** What happens to sockets, for the simulator's events. */
  report: {
    connection(info: { id: number; path: string }): void
    close(info: { id: number; code: number }): void
    frame(info: { id: number; discarded: boolean }): void
    idleTimeout(info: { id: number }): void
    internalError(error: unknown): void
  }
}

export class SocketPool {
  private readonly sockets = new Set<SimSocket>()
  private nextId = 1

  constructor(private readonly deps: SocketPoolDeps) {}

  accept(ws: WebSocket, path: string): void {
    const { clock, stats } = this.deps
    // `?dryRun=1` (sdk-js appends it when asked to): every task on this socket is validated, not run.
    const socket = new SimSocket(this.nextId++, ws, clock.now(), /[?&]dryRun=(1|true)(&|$)/.test(path))
    this.sockets.add(socket)
    stats.connections++
    stats.openSockets++
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      this.receive(socket, rawText(data))
    })
    ws.on('ping', (data: Buffer) => {
      if (socket.state === 'open') ws.pong(data)
    })
    ws.on('close', (code: number) => {
      this.closed(socket, code)
    })
    // Socket errors end in 'close'; without a listener they would be thrown.
    ws.on('error', () => undefined)
    this.armIdle(socket)
    this.deps.report.connection({ id: socket.id, path })
  }

  /** Terminates every open socket now, like a network cut. */
  dropAll(): void {
    for (const socket of [...this.sockets]) {
      if (socket.state !== 'open' && socket.state !== 'silent') continue
      this.deps.stats.faults.drops++
      this.cut(socket)
    }
  }

  /** Cuts every socket whose session was opened with `apiKey`; returns how many. */
  dropKey(apiKey: string): number {
    let dropped = 0
    for (const socket of [...this.sockets]) {
      if (socket.session?.apiKey !== apiKey || (socket.state !== 'open' && socket.state !== 'silent')) continue
      this.deps.stats.faults.drops++
      this.cut(socket)
      dropped++
    }
    return dropped
  }

  /** Every open socket goes half-open. */
  silenceAll(): void {
    for (const socket of [...this.sockets]) this.silence(socket)
  }

  /** Network cut: the session loses its socket now; queued results go to its buffer. */
  cut(socket: SocketLink): void {
    if (socket.cut()) this.deps.outbound.salvage(socket, socket.takeOutbox())
  }

  silence(socket: SocketLink): void {
    if (!socket.silence()) return
    this.deps.stats.faults.silences++
    this.deps.outbound.salvage(socket, socket.takeOutbox())
  }

  /** Simulator shutdown: every socket goes at once. */
  terminateAll(): void {
    for (const socket of this.sockets) socket.terminate()
    this.sockets.clear()
    this.deps.stats.openSockets = 0
  }

  private receive(socket: SimSocket, text: string): void {
    const { stats, clock, router, outbound, report } = this.deps
    stats.framesReceived++
    const discarded = socket.state !== 'open'
    if (!discarded) {
      socket.lastActivity = clock.now()
      try {
        router.handle(socket, text)
        outbound.flush(socket)
      } catch (error) {
        report.internalError(error)
      }
    }
    report.frame({ id: socket.id, discarded })
  }

  private closed(socket: SimSocket, code: number): void {
    if (!socket.markClosed()) return
    this.sockets.delete(socket)
    this.deps.stats.openSockets--
    this.deps.outbound.salvage(socket, socket.takeOutbox())
    this.deps.report.close({ id: socket.id, code })
  }

  /** One pending check per socket; activity just moves the deadline, it does not re-arm a timer. */
  private armIdle(socket: SimSocket): void {
    const idle = this.deps.idleTimeoutMs
    if (idle <= 0) return
    this.deps.alarms.at(socket.lastActivity + idle, () => {
      // A half-open socket never times out: nothing reaches the server to time it by.
      if (socket.state !== 'open') return
      if (this.deps.clock.now() - socket.lastActivity >= idle) {
        this.deps.report.idleTimeout({ id: socket.id })
        socket.ws.close(1000, 'idle timeout')
      } else {
        this.armIdle(socket)
      }
    })
  }
}

function rawText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}
