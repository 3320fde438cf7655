/**
 * The connection's ports: what the task engine may ask of it (`Wire`), and what it needs and
 * calls back (`ConnectionDeps`, `ConnectionHooks`). connection.ts implements the one and calls
 * the other; the engine sees nothing else of it.
 */
import type { Clock } from '../support/clock.js'
import type { RunwareError, Scrubber } from '../support/errors.js'
import type { StateEvent } from '../api/events.js'
import type { ResolvedOptions } from '../api/options.js'
import type { Envelope, FrameError } from '../protocol/protocol.js'
import type { ConnectionState } from '../machines/states.js'

export interface Wire {
  readonly state: ConnectionState
  /** Before the auth reply (an error naming no task is judged by the handshake's rules). */
  readonly handshake: boolean
  /** Frames may be written now. */
  writable(): boolean
  write(frame: string): boolean
  ping(): boolean
  /** Stops reading what answers this task (it left the wire: settled, lost, retried). */
  cancel(taskUUID: string): void
  /** When the last ping went out (monotonic ms): a pong's round trip is measured from it. */
  readonly pingSentAt: number | undefined
  /** Drop the socket and reconnect (a retryable error that names no task). */
  reconnect(code: string): void
  /** Stop: no reconnect until `connect()` (an auth error that names no task). */
  fail(error: RunwareError): void
}

export interface ConnectionHooks {
  /** A state was fully entered. */
  state(event: StateEvent): void
  /** Authenticated; `resumed` when the server re-attached the previous session. */
  ready(resumed: boolean): void
  /** A parsed frame, minus the auth reply: results, errors, pongs (also while authenticating); `text` as received. */
  envelope(envelope: Envelope, text: string): void
  /** A frame that could not be parsed: reported and skipped. */
  frameError(error: FrameError): void
  /** Something the socket did that the user should hear of (a frame over maxFrameBytes). */
  problem(error: RunwareError): void
  /** The socket is gone; what was on the wire has an unknown fate. */
  lost(): void
  /** No further connection will be attempted until `connect()`. */
  failed(error: RunwareError): void
}

export interface ConnectionDeps {
  /** Read: the key, url, WebSocket, timeouts, heartbeat, reconnect, resumeWindowMs, random, maxFrameBytes. */
  readonly settings: ResolvedOptions
  readonly clock: Clock
  readonly scrubber: Scrubber
  /** Runs socket callbacks as library work (the monitor). */
  readonly run: (work: () => void) => void
  readonly log: (level: 'debug' | 'info', message: string, fields?: Record<string, unknown>) => void
  readonly hooks: ConnectionHooks
}

export interface SocketHandlers {
  open(): void
  /** A text frame (binary frames are decoded as UTF-8). */
  message(text: string): void
  close(code: number, reason: string): void
  /** `tooLarge`: a frame over the limit (`ws` refuses it unread; a standard socket read it first). */
  error(message: string, tooLarge: boolean): void
}

export interface OpenSocket {
  send(text: string): void
  /** Stops reading what answers one task (HTTP: its stream); a WebSocket has no such thing. */
  cancel?(taskUUID: string): void
  /** Ends it now and ignores everything it does from here on; resolves once it is gone. */
  end(): Promise<void>
}
