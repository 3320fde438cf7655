/** runware-socket: public exports only. */
export { RunwareSocket } from './client.js'
export { RunwareError, type LibraryErrorCode, type RunwareErrorInit } from './errors.js'
export { ErrorPolicy, categoryOf, type Classification, type ConnectionAction, type ErrorCategory, type ErrorPolicyOptions, type PolicyOverride, type TaskAction } from './policy.js'
export { backoffDelay, backoffCeiling, type BackoffOptions, type RandomSource } from './backoff.js'
export type { Clock, TimerHandle } from './clock.js'
export type { ConnectionState, OrphanEvent, ProgressEvent, RunwareSocketEvents, StateEvent, TaskEvent, TaskEventType } from './events.js'
export { DEFAULTS, type HeartbeatOptions, type Logger, type PollOptions, type ReconnectOptions, type RetryOptions, type RunOptions, type RunwareSocketOptions } from './options.js'
export type { WebSocketConstructor, WhatwgConstructor, WsConstructor } from './socket.js'
export { MAX_FRAME_DEPTH, parseFrame } from './parse.js'
export { DEFAULT_URL, encodeTasks, type DataItem, type Envelope, type ErrorItem, type FrameError, type ParsedFrame, type ResultItem, type Task } from './protocol.js'
export type * from './task-types.js'
export { untyped } from './task-types.js'
export {
  startSimulator,
  DEFAULT_PERMANENT_CODES,
  DEFAULT_RETRYABLE_CODES,
  type ChaosOptions,
  type FailOptions,
  type FailTasksRule,
  type FaultStats,
  type Framing,
  type Simulator,
  type SimulatorEvents,
  type SimulatorOptions,
  type SimulatorStats,
} from './simulator/index.js'
