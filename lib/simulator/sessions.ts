/**
 * Sessions (docs/protocol.md §2.5): what an authentication creates, what a resume re-attaches.
 * Results go to the session's current socket; while it has none they wait in the session buffer,
 * for `resumeWindowMs` after the socket died.
 */
import { randomUUID } from 'node:crypto'
import type { Clock } from '../support/clock.js'
import type { ResultUnit, Session, SocketLink } from './model.js'
import type { Alarms } from './alarms.js'

export class SessionStore {
  private readonly sessions = new Map<string, Session>()

  constructor(
    private readonly clock: Clock,
    private readonly alarms: Alarms,
    private readonly windowMs: number,
    private readonly onExpired: (session: Session) => void,
  ) {}

  get size(): number {
    return this.sessions.size
  }

  create(apiKey: string): Session {
    const session: Session = { uuid: randomUUID(), apiKey, socket: undefined, buffer: [], diedAt: 0, epoch: 0, expired: false }
    this.sessions.set(session.uuid, session)
    return session
  }

  /** The session a re-authentication names, if this key may still resume it. */
  resumable(uuid: string, apiKey: string): Session | undefined {
    const session = this.sessions.get(uuid)
    if (session?.apiKey !== apiKey) return undefined
    // Checked here too, not only by the expiry job, so a hand-driven clock cannot race it.
    if (session.socket === undefined && this.clock.now() - session.diedAt > this.windowMs) {
      this.expire(session)
      return undefined
    }
    return session
  }

  /** Binds a session and a socket to each other, releasing whatever either was bound to. */
  attach(session: Session, socket: SocketLink): void {
    if (socket.session !== undefined && socket.session !== session) this.detach(socket.session)
    if (session.socket !== undefined && session.socket !== socket) this.detach(session)
    session.socket = socket
    socket.session = session
  }

  /** The session lost its socket: start its resume window. */
  detach(session: Session): void {
    const socket = session.socket
    if (socket === undefined) return
    socket.session = undefined
    session.socket = undefined
    session.diedAt = this.clock.now()
    const epoch = ++session.epoch
    this.alarms.after(this.windowMs, () => {
      if (session.epoch === epoch && session.socket === undefined && !session.expired) this.expire(session)
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
