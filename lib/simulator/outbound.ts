/**
 * The outbound path: queue units per socket, cut them into frames, apply frame-level faults
 * (drop, silence, duplicate, malformed, drop-after-n-frames) and write. Results that cannot be
 * written go to their session's buffer, never nowhere.
 */
import type { Clock } from '../clock.js'
import type { Connection } from './connection.js'
import type { Faults } from './faults.js'
import { encodeUnit, toFrames, type OutUnit, type ResultUnit } from './framing.js'
import type { Framing } from './options.js'
import type { Session, SessionStore } from './sessions.js'
import type { SimulatorStats } from './stats.js'

/** What the outbound path asks of the socket owner when a fault strikes. */
export interface Lifecycle {
  /** Terminate this socket (network cut). */
  cut(connection: Connection): void
  /** Make this socket half-open. */
  silence(connection: Connection): void
  /** The dropAfterFrames countdown ran out: terminate every socket. */
  countdownReached(): void
}

export interface OutboundDeps {
  framing: Framing
  maxItemsPerFrame: number
  clock: Clock
  stats: SimulatorStats
  faults: Faults
  sessions: SessionStore
  requestTick: () => void
  lifecycle: Lifecycle
}

export class Outbound {
  private readonly dirty = new Set<Connection>()

  constructor(private readonly deps: OutboundDeps) {}

  /** Queues a unit; it is written at the next flush of that socket. */
  enqueue(connection: Connection, unit: OutUnit): void {
    connection.outbox.push(unit)
    this.dirty.add(connection)
  }

  /** Hands results to the session's live socket, or keeps them in its buffer for a resume. */
  deliver(session: Session, unit: ResultUnit): void {
    if (session.expired) return
    const connection = session.connection
    if (connection?.state === 'open') {
      this.enqueue(connection, unit)
      this.deps.requestTick()
    } else {
      session.buffer.push(unit)
    }
  }

  flushAll(): void {
    for (const connection of [...this.dirty]) this.flush(connection)
  }

  flush(connection: Connection): void {
    this.dirty.delete(connection)
    if (connection.outbox.length === 0) return
    const units = connection.outbox
    connection.outbox = []
    const frames = toFrames(units, this.deps.framing, this.deps.maxItemsPerFrame)
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]
      if (frame === undefined) continue
      if (!connection.isUsable() || !this.send(connection, frame)) {
        this.salvage(connection, frames, i)
        return
      }
    }
  }

  /** Moves what a socket can no longer send to its session buffer (results only: replies are lost, as on a real cut). */
  salvage(connection: Connection, units: readonly OutUnit[], from = 0): void {
    if (connection.session !== undefined) this.deps.sessions.detach(connection.session)
    for (let i = from; i < units.length; i++) {
      const unit = units[i]
      if (unit?.kind === 'result') this.deliver(unit.session, unit)
    }
  }

  /** Writes one frame; false when a fault took the socket away instead (the frame was not sent). */
  private send(connection: Connection, frame: OutUnit): boolean {
    if (frame.kind !== 'result') {
      this.write(connection, encodeUnit(frame))
      return true
    }
    const { faults, stats, lifecycle } = this.deps
    const fault = faults.frameFault()
    if (fault === 'drop') {
      stats.faults.drops++
      lifecycle.cut(connection)
      return false
    }
    if (fault === 'silence') {
      lifecycle.silence(connection)
      return false
    }
    const malformed = faults.takeMalformed()
    if (malformed !== undefined) this.write(connection, malformed)
    // The malformed frame may have been the last one a dropAfterFrames countdown allowed.
    if (!connection.isUsable()) return false
    const text = encodeUnit(frame)
    this.write(connection, text)
    stats.resultsSent += frame.data.length
    if (connection.isUsable() && faults.takeDuplicate()) {
      this.write(connection, text)
      stats.resultsSent += frame.data.length
    }
    return true
  }

  private write(connection: Connection, text: string): void {
    connection.write(text)
    connection.lastActivity = this.deps.clock.now()
    this.deps.stats.framesSent++
    if (this.deps.faults.frameWritten()) this.deps.lifecycle.countdownReached()
  }
}
