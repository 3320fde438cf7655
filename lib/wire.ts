/** What the task engine needs of the connection (connection.ts implements it). */
import type { RunwareError } from './errors.js'
import type { ConnectionState } from './states.js'

export interface Wire {
  readonly state: ConnectionState
  /** Frames may be written now. */
  writable(): boolean
  write(frame: string): boolean
  ping(): boolean
  /** Drop the socket and reconnect (a retryable error that names no task). */
  reconnect(code: string): void
  /** Stop: no reconnect until `connect()` (an auth error that names no task). */
  fail(error: RunwareError): void
}
