/**
 * The vocabulary between the receiver, which decides what a frame does, and the engine, which
 * does it: one step per thing to do, in frame order. Data only.
 */
import type { RunwareError } from '../support/errors.js'
import type { TaskRecord } from './task-record.js'

/** What an item does to its task; the engine carries it out. */
export type ItemDecision =
  /** Nothing now (a copy, an output of a task still incomplete, an answer about an earlier attempt). */
  | { readonly do: 'nothing' }
  /** Every output is in: resolve. */
  | { readonly do: 'resolve' }
  | { readonly do: 'reject'; readonly error: RunwareError; readonly pauseMs?: number | undefined }
  /** The fate is known: submit again under a fresh id after `delayMs`. */
  | { readonly do: 'retry'; readonly error: RunwareError; readonly delayMs: number; readonly pauseMs?: number | undefined }
  /** The server does not have it: send it again under the same id. */
  | { readonly do: 'resend' }
  /** The server has it: collect it with getResponse, the first poll after `firstDelayMs` (the default delay when absent). */
  | { readonly do: 'poll'; readonly firstDelayMs?: number | undefined }
  /** An answer came and it is still running: the next poll after the next delay. */
  | { readonly do: 'pollLater' }

/** What an error that names no task does to the connection. */
export type LinkDecision =
  | { readonly do: 'none' }
  | { readonly do: 'fail'; readonly error: RunwareError }
  | { readonly do: 'reconnect'; readonly code: string }
  /** Hold every send for the next rate-limit pause. */
  | { readonly do: 'pause' }

/** A decision about a task the receiver found. */
export interface TaskStep {
  readonly on: 'task'
  readonly record: TaskRecord
  readonly decision: ItemDecision
}

/** What the engine does next, in frame order. */
export type Step =
  | TaskStep
  | { readonly on: 'link'; readonly decision: LinkDecision }
  /** A getResponse answer (items or an error) named this id: its question is answered. */
  | { readonly on: 'named'; readonly taskUUID: string }
  /** `{"data": []}`: an answer for an id the server does not know (matched by counting). */
  | { readonly on: 'empty' }
  | { readonly on: 'pong' }
