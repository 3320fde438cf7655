/** The events a RunwareSocket emits, and their payloads. */
import type { DataItem, ErrorItem } from '../protocol/protocol.js'
import type { RunwareError } from '../support/errors.js'
import type { ConnectionState, StateReason } from '../machines/states.js'

export type { ConnectionState, StateReason } from '../machines/states.js'

export interface StateEvent {
  from: ConnectionState
  to: ConnectionState
  /** Why (states.ts lists them per state): `connect`, `open`, `authenticated`, `socketClosed`, `heartbeatTimeout`, `authFailed`, … */
  reason: StateReason
  /** The error code behind the transition, when there is one. */
  code?: string
  /** What the socket reported, when it reported something: an error message, a close code. */
  detail?: string
  /** Entering `reconnecting` after the server closed the socket: its close code. */
  closeCode?: number
  /** …and the reason it gave, when it gave one (the API key scrubbed). */
  closeReason?: string
  /** Entering `reconnecting`: which attempt comes next (1-based). */
  attempt?: number
  /** Entering `reconnecting`: the delay before that attempt. */
  retryInMs?: number
  /** Entering `ready`: whether the server re-attached the previous session (buffered results follow). */
  resumed?: boolean
  /** Entering `connecting`: the transport this socket uses (`transport: 'auto'` switches, docs/transports.md). */
  transport?: 'websocket' | 'http'
}

interface TaskEventBase {
  /** The caller's taskUUID: the one `run` was given or generated. */
  taskUUID: string
  taskType: string
}

export type TaskEvent =
  | (TaskEventBase & { type: 'queued' })
  /** Written to the socket; `wireUUID` differs from `taskUUID` after a retry. */
  | (TaskEventBase & { type: 'sent'; wireUUID: string; attempt: number })
  /** The server failed this attempt with a retryable code; the next one goes out after `delayMs` under a fresh id. */
  | (TaskEventBase & { type: 'retry'; code: string; delayMs: number; attempt: number; wireUUID: string })
  /** After a reconnect the server did not know the task: sent again under the same id. */
  | (TaskEventBase & { type: 'resubmit'; wireUUID: string })
  /** The server has the task; its results are being collected with getResponse. */
  | (TaskEventBase & { type: 'polling'; wireUUID: string })
  | (TaskEventBase & { type: 'settled'; outcome: 'resolved'; items: number })
  | (TaskEventBase & { type: 'settled'; outcome: 'rejected'; code: string; items: number })

export type TaskEventType = TaskEvent['type']

export interface ProgressEvent {
  taskUUID: string
  taskType: string
  /** 0–100, as reported by getResponse while the task is processing. */
  progress: number
}

export interface OrphanEvent {
  /** The id the frame named, when it named one. */
  taskUUID: string | undefined
  item?: DataItem
  error?: ErrorItem
}

/** Adaptive concurrency moved a model's limit (docs/capacity.md). */
export interface LimitEvent {
  /** The lane: the task's `model`, else its `taskType`. */
  model: string
  /** Tasks of this model on the wire at once from now on. */
  limit: number
  /**
   * `latency`: it rose past the baseline, or stayed low while the limit was used; `capacity`: a
   * capacity code on one of this client's tasks; `fleet`: a capacity code another client saw
   * (`reportCapacity`, which a fleet's workers call for each other); `probe`: lowered for two
   * rounds to measure the baseline, and back.
   */
  reason: 'latency' | 'capacity' | 'fleet' | 'probe'
}

export interface RunwareSocketEvents {
  state: [event: StateEvent]
  task: [event: TaskEvent]
  progress: [event: ProgressEvent]
  /** Connection-level and protocol errors: never a task's own error (that rejects the task). */
  error: [error: RunwareError]
  /** A result or error for a taskUUID nobody waits for (a late result after a timeout, say). */
  orphan: [event: OrphanEvent]
  /** Adaptive concurrency moved a model's limit. */
  limit: [event: LimitEvent]
}

export type RunwareSocketEventName = keyof RunwareSocketEvents
