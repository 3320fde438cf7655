/**
 * The connection's states as data: what each does with sends, whether a socket belongs to it,
 * and where it may go. Code reads this table instead of comparing state names; connection.ts owns
 * the one transition function that walks it.
 */
export type ConnectionState = 'idle' | 'connecting' | 'authenticating' | 'ready' | 'reconnecting' | 'failed' | 'closed'

export interface StateInfo {
  /**
   * What `run` does with a task now: queue it, write it (batched per tick), or reject it: with the
   * error the connection failed with (`failure`), or `connectionClosed` (`closed`).
   */
  readonly sends: 'queue' | 'write' | 'failure' | 'closed'
  /** A socket is open or opening (its timers and listeners belong to this state). */
  readonly live: boolean
  /** Before the auth reply: frames are read for it, and an error naming no task is judged by the handshake's rules. */
  readonly handshake: boolean
  /** What `connect()` does when called in this state: resolve, reject (closed), or open a socket and wait. */
  readonly connect: 'resolve' | 'reject' | 'open'
  /** What entering this state does to the `connect()` calls waiting: resolve them, reject them, or nothing. */
  readonly waiters: 'resolve' | 'reject' | 'keep'
  /** Where it may go. */
  readonly next: readonly ConnectionState[]
}

/** The states without a socket: nothing is open or opening, so there is no handshake either. */
const NO_SOCKET = { live: false, handshake: false } as const

export const STATES: Readonly<Record<ConnectionState, StateInfo>> = {
  idle: { sends: 'queue', ...NO_SOCKET, connect: 'open', waiters: 'keep', next: ['connecting', 'closed'] },
  connecting: { sends: 'queue', live: true, handshake: false, connect: 'open', waiters: 'keep', next: ['authenticating', 'reconnecting', 'failed', 'closed'] },
  authenticating: { sends: 'queue', live: true, handshake: true, connect: 'open', waiters: 'keep', next: ['ready', 'reconnecting', 'failed', 'closed'] },
  ready: { sends: 'write', live: true, handshake: false, connect: 'resolve', waiters: 'resolve', next: ['reconnecting', 'failed', 'closed'] },
  reconnecting: { sends: 'queue', ...NO_SOCKET, connect: 'open', waiters: 'keep', next: ['connecting', 'failed', 'closed'] },
  failed: { sends: 'failure', ...NO_SOCKET, connect: 'open', waiters: 'reject', next: ['connecting', 'closed'] },
  closed: { sends: 'closed', ...NO_SOCKET, connect: 'reject', waiters: 'reject', next: [] },
}

/** Why the connection entered a state, grouped by the state it explains. */
export interface StateReasons {
  /** fallback: `transport: 'auto'` moves to HTTP (the WebSocket was never reached in this process). */
  connecting: 'connect' | 'backoffElapsed' | 'fallback'
  authenticating: 'open'
  ready: 'authenticated'
  reconnecting:
    | 'socketClosed'
    | 'socketError'
    | 'connectTimeout'
    | 'authTimeout'
    | 'authError'
    | 'authReplyInvalid'
    | 'heartbeatTimeout'
    | 'serverError'
    | 'frameTooLarge'
    /** `transport: 'auto'` on HTTP: a probe reached the WebSocket, which the next socket uses. */
    | 'transportSwitch'
  failed: 'authFailed' | 'reconnectFailed'
  closed: 'close'
}

export type StateReason = StateReasons[keyof StateReasons]

/** Why the socket was lost: a reason for entering `reconnecting` (or `failed` once attempts ran out). */
export type LossReason = StateReasons['reconnecting']
