/**
 * runware-socket: the client, and nothing else (the simulator is `runware-socket/simulator`).
 * Importing this entry loads no simulator or CLI module; a spec counts them.
 */
export { RunwareSocket } from './client.js'
export { RunwareError, type LibraryErrorCode, type RunwareErrorInit } from './errors.js'
export { LIBRARY_CODES, type ErrorCategory } from './codes.js'
export { ErrorPolicy, categoryOf, type Classification, type ConnectionAction, type ErrorPolicyOptions, type PolicyOverride, type TaskAction } from './policy.js'
export type { BackoffOptions, RandomSource } from './backoff.js'
export type { Clock, TimerHandle } from './clock.js'
export type { ConnectionState, OrphanEvent, ProgressEvent, RunwareSocketEvents, StateEvent, StateReason, TaskEvent, TaskEventType } from './events.js'
export {
  DEFAULTS,
  type AbortSignalLike,
  type HeartbeatOptions,
  type Logger,
  type PollOptions,
  type ReconnectOptions,
  type RetryOptions,
  type RunOptions,
  type RunwareSocketOptions,
} from './options.js'
export type { WebSocketConstructor, WhatwgConstructor, WhatwgLike, WsConstructor, WsLike } from './socket.js'
export { MAX_FRAME_DEPTH } from './parse.js'
export { DEFAULT_URL, type DataItem, type ErrorItem, type ResultItem, type Task } from './protocol.js'
export type * from './task-types.js'
export { untyped } from './task-types.js'
