/**
 * Sessions (runware-protocol.md §2.5): what an authentication creates, what a resume re-attaches.
 * Results go to the session's current socket; while it has none they wait in the session buffer,
 * for `resumeWindowMs` after the socket died.
 */
import { randomUUID } from 'node:crypto'
import type { Clock } from '../clock.js'
import type { Connection } from './connection.js'
import type { ResultUnit } from './framing.js'
import type { Scheduler } from './scheduler.js'

export interface Session {
  readonly uuid: string
  readonly apiKey: string
  /** The live socket results go to; undefined once it died or went silent. */
  connection: Connection | undefined
  /** Results that could not be delivered, replayed on resume. */
  buffer: ResultUnit[]
  /** Clock time the session last lost its socket. */
  diedAt: number
  /** Bumped on every detach, so an expiry check armed by an older detach does nothing. */
  epoch: number
  /** Past its resume window: the buffer is gone and results for it are dropped. */
  expired: boolean
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>()

  constructor(
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly windowMs: number,
    private readonly onExpired: (session: Session) => void,
  ) {}

  get size(): number {
    return this.sessions.size
  }

  create(apiKey: string): Session {
    const session: Session = { uuid: randomUUID(), apiKey, connection: undefined, buffer: [], diedAt: 0, epoch: 0, expired: false }
    this.sessions.set(session.uuid, session)
    return session
  }

  /** The session a re-authentication names, if this key may still resume it. */
  resumable(uuid: string, apiKey: string): Session | undefined {
    const session = this.sessions.get(uuid)
    if (session?.apiKey !== apiKey) return undefined
    // Checked here too, not only by the expiry job, so a hand-driven clock cannot race it.
    if (session.connection === undefined && this.clock.now() - session.diedAt > this.windowMs) {
      this.expire(session)
      return undefined
    }
    return session
  }

  /** Binds a session and a socket to each other, releasing whatever either was bound to. */
  attach(session: Session, connection: Connection): void {
    if (connection.session !== undefined && connection.session !== session) this.detach(connection.session)
    if (session.connection !== undefined && session.connection !== connection) this.detach(session)
    session.connection = connection
    connection.session = session
  }

  /** The session lost its socket: start its resume window. */
  detach(session: Session): void {
    const connection = session.connection
    if (connection === undefined) return
    connection.session = undefined
    session.connection = undefined
    session.diedAt = this.clock.now()
    const epoch = ++session.epoch
    this.scheduler.after(this.windowMs, () => {
      if (session.epoch === epoch && session.connection === undefined && !session.expired) this.expire(session)
    })
  }

  takeBuffer(session: Session): ResultUnit[] {
    const buffered = session.buffer
    session.buffer = []
    return buffered
  }

  clear(): void {
    this.sessions.clear()
  }

  private expire(session: Session): void {
    session.expired = true
    session.buffer = []
    this.sessions.delete(session.uuid)
    this.onExpired(session)
  }
}
