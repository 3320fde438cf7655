/**
 * runware-socket: the client, and nothing else (the simulator is `runware-socket/simulator`).
 * Importing this entry loads no simulator or CLI module; a spec counts them.
 */
export { RunwareSocket } from './client.js'
export { RunwareError, type LibraryErrorCode, type RunwareErrorInit } from './support/errors.js'
export { LIBRARY_CODES, type ErrorCategory } from './recovery/codes.js'
export {
  ErrorPolicy,
  categoryOf,
  type Classification,
  type ConnectionAction,
  type ErrorPolicyOptions,
  type PolicyOverride,
  type TaskAction,
} from './recovery/policy.js'
export type { BackoffOptions, RandomSource } from './support/backoff.js'
export type { Clock, TimerHandle } from './support/clock.js'
export type { ConnectionState, OrphanEvent, ProgressEvent, RunwareSocketEvents, StateEvent, StateReason, TaskEvent, TaskEventType } from './api/events.js'
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
} from './api/options.js'
export type { WebSocketConstructor, WhatwgConstructor, WhatwgLike, WsConstructor, WsLike } from './api/websocket.js'
export { MAX_FRAME_DEPTH } from './protocol/parse.js'
export { DEFAULT_URL, type DataItem, type ErrorItem, type ResultItem, type Task } from './protocol/protocol.js'
export type * from './api/task-types.js'
export { isTextDelta, untyped } from './api/task-types.js'
export type { DrainOptions, DrainResult, Journal, JournalContents, JournalEntry, JsonValue, RecoveredTask } from './api/journal.js'
export { fileJournal, type FileJournal, type FileJournalOptions, type FileJournalStats } from './durable/file-journal.js'
export { attemptTaskUUID, keyedTaskUUID } from './protocol/ids.js'
