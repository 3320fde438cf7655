/**
 * The simulator's data model, types only: a socket as sessions and the outbound path see it, a
 * session, and the units queued for a socket. One file, so the modules that each own a corner of
 * it (socket.ts, sessions.ts, framing.ts) import from here and never from each other.
 */
import type { DataItem, ErrorItem } from '../protocol/protocol.js'

/**
 * open: normal. silent: half-open, sends nothing and discards what it receives, until it closes.
 * cut: terminated by a fault (waiting for frames already written to leave). closed: gone.
 */
export type SocketState = 'open' | 'silent' | 'cut' | 'closed'

/** A client socket, as sessions and the outbound path use it (socket.ts's SimSocket). */
export interface SocketLink {
  readonly id: number
  readonly state: SocketState
  /** Every task on it is validated and answered, never run (a socket opened with `?dryRun=1`). */
  readonly dryRun: boolean
  session: Session | undefined
  /** Units waiting for the next flush. */
  outbox: OutUnit[]
  /** Clock time of the last frame in either direction (for the idle timeout). */
  lastActivity: number
  /** A method, not a getter: a write can change the answer, so it must not be narrowed. */
  isUsable(): boolean
  write(frame: string): void
  /** Writes every frame `work` writes in as few system calls as the socket allows. */
  batch(work: () => void): void
  /** A network cut (frames already written still leave first); false when it was cut or closed already. */
  cut(): boolean
  /** Goes half-open; false unless it was open. */
  silence(): boolean
  /** What waits to be sent, taken out. */
  takeOutbox(): OutUnit[]
}

export interface Session {
  readonly uuid: string
  readonly apiKey: string
  /** The live socket results go to; undefined once it died or went silent. */
  socket: SocketLink | undefined
  /** Results that could not be delivered, replayed on resume. */
  buffer: ResultUnit[]
  /** Clock time the session last lost its socket. */
  diedAt: number
  /** Bumped on every detach, so an expiry check armed by an older detach does nothing. */
  epoch: number
  /** Past its resume window: the buffer is gone and results for it are dropped. */
  expired: boolean
}

/** A preformatted frame (auth reply, pong, getResponse answer, frame-level error): never split or merged. */
export interface ControlUnit {
  kind: 'control'
  raw: string
}

/** An immediate answer to a request task (async acknowledgement, validation error): lost if its socket dies. */
export interface ReplyUnit {
  kind: 'reply'
  data: DataItem[]
  errors: ErrorItem[]
}

/** Pushed task results or runtime errors: kept in the session buffer if they cannot be sent. */
export interface ResultUnit {
  kind: 'result'
  data: DataItem[]
  errors: ErrorItem[]
  session: Session
  /** Under `mixed` framing: how this task's results are framed, drawn when it completed. */
  framing?: 'item' | 'task' | 'batch'
}

export type OutUnit = ControlUnit | ReplyUnit | ResultUnit
