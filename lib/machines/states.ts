/**
 * The connection's states as data: what each does with sends, whether a socket belongs to it,
 * and where it may go. Code reads this table instead of comparing state names; connection.ts owns
 * the one transition function that walks it.
 */
export type ConnectionState = 'idle' | 'connecting' | 'authenticating' | 'ready' | 'reconnecting' | 'failed' | 'closed'

export interface StateInfo {
  /** What `run` does with a task now: queue it, write it (batched per tick), or reject it. */
  readonly sends: 'queue' | 'write' | 'reject'
  /** A socket is open or opening (its timers and listeners belong to this state). */
  readonly live: boolean
  /** Where it may go. */
  readonly next: readonly ConnectionState[]
}

export const STATES: Readonly<Record<ConnectionState, StateInfo>> = {
  idle: { sends: 'queue', live: false, next: ['connecting', 'closed'] },
  connecting: { sends: 'queue', live: true, next: ['authenticating', 'reconnecting', 'failed', 'closed'] },
  authenticating: { sends: 'queue', live: true, next: ['ready', 'reconnecting', 'failed', 'closed'] },
  ready: { sends: 'write', live: true, next: ['reconnecting', 'failed', 'closed'] },
  reconnecting: { sends: 'queue', live: false, next: ['connecting', 'failed', 'closed'] },
  failed: { sends: 'reject', live: false, next: ['connecting', 'closed'] },
  closed: { sends: 'reject', live: false, next: [] },
}

/** Why the connection entered a state, grouped by the state it explains. */
export interface StateReasons {
  connecting: 'connect' | 'backoffElapsed'
  authenticating: 'open'
  ready: 'authenticated'
  reconnecting:
    'socketClosed' | 'socketError' | 'connectTimeout' | 'authTimeout' | 'authError' | 'authReplyInvalid' | 'heartbeatTimeout' | 'serverError' | 'frameTooLarge'
  failed: 'authFailed' | 'reconnectFailed'
  closed: 'close'
}

export type StateReason = StateReasons[keyof StateReasons]

/** Why the socket was lost: a reason for entering `reconnecting` (or `failed` once attempts ran out). */
export type LossReason = StateReasons['reconnecting']
