/**
 * The outbound path: queue units per socket, cut them into frames, apply frame-level faults
 * (drop, silence, duplicate, malformed, drop-after-n-frames) and write. Results that cannot be
 * written go to their session's buffer, never nowhere.
 */
import type { Clock } from '../support/clock.js'
import type { Faults } from './faults.js'
import { encodeUnit, toFrames } from './framing.js'
import type { OutUnit, ResultUnit, Session, SocketLink } from './model.js'
import type { Framing } from './options.js'
import type { Random } from './random.js'
import type { SessionStore } from './sessions.js'
import type { SimulatorStats } from './stats.js'

/** What the outbound path asks of the socket owner when a fault strikes. */
export interface Lifecycle {
  /** Terminate this socket (network cut). */
  cut(socket: SocketLink): void
  /** Make this socket half-open. */
  silence(socket: SocketLink): void
  /** The dropAfterFrames countdown ran out: terminate every socket. */
  countdownReached(): void
}

export interface OutboundDeps {
  framing: Framing
  /** Draws each task's framing under `mixed`. */
  framingRandom: Random
  maxItemsPerFrame: number
  clock: Clock
  stats: SimulatorStats
  faults: Faults
  sessions: SessionStore
  requestTick: () => void
  lifecycle: Lifecycle
}

const MIXED = ['item', 'task', 'batch'] as const

export class Outbound {
  private readonly dirty = new Set<SocketLink>()

  constructor(private readonly deps: OutboundDeps) {}

  /** Queues a unit; it is written at the next flush of that socket. */
  enqueue(socket: SocketLink, unit: OutUnit): void {
    socket.outbox.push(unit)
    this.dirty.add(socket)
  }

  /** Hands results to the session's live socket, or keeps them in its buffer for a resume. */
  deliver(session: Session, unit: ResultUnit): void {
    if (session.expired) return
    if (this.deps.framing === 'mixed') unit.framing ??= this.deps.framingRandom.pick(MIXED)
    const socket = session.socket
    if (socket?.state === 'open') {
      this.enqueue(socket, unit)
      this.deps.requestTick()
    } else {
      session.buffer.push(unit)
    }
  }

  flushAll(): void {
    for (const socket of [...this.dirty]) this.flush(socket)
  }

  flush(socket: SocketLink): void {
    this.dirty.delete(socket)
    if (socket.outbox.length === 0) return
    const units = socket.outbox
    socket.outbox = []
    const frames = toFrames(units, this.deps.framing, this.deps.maxItemsPerFrame)
    socket.batch(() => {
      for (let i = 0; i < frames.length; i++) {
        const frame = frames[i]
        if (frame === undefined) continue
        if (!socket.isUsable() || !this.send(socket, frame)) {
          this.salvage(socket, frames, i)
          return
        }
      }
    })
  }

  /** Moves what a socket can no longer send to its session buffer (results only: replies are lost, as on a real cut). */
  salvage(socket: SocketLink, units: readonly OutUnit[], from = 0): void {
    if (socket.session !== undefined) this.deps.sessions.detach(socket.session)
    for (let i = from; i < units.length; i++) {
      const unit = units[i]
      if (unit?.kind === 'result') this.deliver(unit.session, unit)
    }
  }

  /** Writes one frame; false when a fault took the socket away instead (the frame was not sent). */
  private send(socket: SocketLink, frame: OutUnit): boolean {
    if (frame.kind !== 'result') {
      this.write(socket, encodeUnit(frame))
      return true
    }
    const { faults, stats, lifecycle } = this.deps
    const fault = faults.frameFault()
    if (fault === 'drop') {
      stats.faults.drops++
      lifecycle.cut(socket)
      return false
    }
    if (fault === 'silence') {
      lifecycle.silence(socket)
      return false
    }
    const malformed = faults.takeMalformed()
    if (malformed !== undefined) this.write(socket, malformed)
    // The malformed frame may have been the last one a dropAfterFrames countdown allowed.
    if (!socket.isUsable()) return false
    const text = encodeUnit(frame)
    this.write(socket, text)
    stats.resultsSent += frame.data.length
    if (socket.isUsable() && faults.takeDuplicate()) {
      this.write(socket, text)
      stats.resultsSent += frame.data.length
    }
    return true
  }

  private write(socket: SocketLink, text: string): void {
    socket.write(text)
    socket.lastActivity = this.deps.clock.now()
    this.deps.stats.framesSent++
    if (this.deps.faults.frameWritten()) this.deps.lifecycle.countdownReached()
  }
}
