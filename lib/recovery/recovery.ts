/**
 * What now: every recovery decision, as pure functions of what is known. policy.ts says what a
 * code is (its category and actions); this file says what the client does about it, given the
 * task's phase or the connection's state. The engine and the connection only carry decisions out.
 *
 *   an error names a task      → decideTaskError: reject, retry under a fresh id, resend, or poll
 *   an error names no task     → decideUnaddressed: fail, reconnect, pause sends, or nothing
 *   the socket dies            → decideLost: reconcile the task, keep it, or reject it
 *   getResponse does not know  → decideEmptyAnswer: resend, poll again, or reject
 */
import type { TaskPhase } from '../machines/phases.js'
import type { Classification } from './policy.js'

export type TaskDecision =
  /** Settle the task with the error. */
  | { readonly do: 'reject'; readonly pauseSends: boolean }
  /** The fate is known: submit again under a fresh id after `delayMs`, asking only for what is missing. */
  | { readonly do: 'retry'; readonly delayMs: number; readonly pauseSends: boolean }
  /** The server does not have it: send it again under the same id (it cannot run twice). */
  | { readonly do: 'resend' }
  /** The server already has it: collect it with getResponse. */
  | { readonly do: 'poll' }

export interface TaskErrorContext {
  readonly phase: TaskPhase
  /** Submissions under a fresh id so far, the first included. */
  readonly submissions: number
  readonly maxAttempts: number
  /** The backoff delay a retry would wait now. */
  readonly retryDelayMs: number
  readonly now: number
  /** The task's deadline, when it has one. */
  readonly deadline: number | undefined
}

/** An error that names a task only ever touches that task. */
export function decideTaskError(classification: Classification, context: TaskErrorContext): TaskDecision {
  const pauseSends = classification.connection === 'pause'
  switch (classification.action) {
    case 'reject':
      // The answer to a probe after a reconnect: the server never got it. Same id, nothing runs twice.
      if (classification.category === 'notFound' && context.phase === 'unknown') return { do: 'resend' }
      // Even an auth-category code only rejects the task it names (a per-model permission, say).
      return { do: 'reject', pauseSends }
    case 'retry': {
      const outOfAttempts = context.submissions >= context.maxAttempts
      const outOfTime = context.deadline !== undefined && context.now + context.retryDelayMs >= context.deadline
      if (outOfAttempts || outOfTime) return { do: 'reject', pauseSends }
      return { do: 'retry', delayMs: context.retryDelayMs, pauseSends }
    }
    case 'reconcile':
      return { do: 'poll' }
  }
}

export type ConnectionDecision =
  | { readonly do: 'none' }
  /** Stop: reject everything pending, no reconnect until `connect()`. */
  | { readonly do: 'fail' }
  /** Drop this socket and reconnect with backoff. */
  | { readonly do: 'reconnect' }
  /** Hold every send for a backoff delay. */
  | { readonly do: 'pause' }

/**
 * An error that names no task is never broadcast to the tasks in flight. Before the auth reply
 * only an auth-category code fails the connection; a retryable one drops the socket and tries
 * again; anything else is reported and the handshake goes on (its timeout still bounds it).
 */
export function decideUnaddressed(classification: Classification, handshake: boolean): ConnectionDecision {
  if (handshake) {
    if (classification.connection === 'fail') return { do: 'fail' }
    return classification.retryable ? { do: 'reconnect' } : { do: 'none' }
  }
  return { do: classification.connection }
}

export type LossDecision =
  /** Its fate is unknown: keep its promise and reconcile it on the next socket. */
  | 'reconcile'
  /** Nothing to do now (queued, waiting, being polled or already being reconciled). */
  | 'keep'
  /** `recover: false`: reject it with a retryable `connectionLost`. */
  | 'reject'

/** The socket died with the task in this phase. */
export function decideLost(phase: TaskPhase, recover: boolean): LossDecision {
  const onWire = phase === 'sent' || phase === 'unknown' || phase === 'polling'
  if (!onWire) return 'keep'
  if (!recover) return 'reject'
  return phase === 'sent' ? 'reconcile' : 'keep'
}

export type EmptyAnswerDecision = { readonly do: 'resend' } | { readonly do: 'pollAgain' } | { readonly do: 'reject' }

/**
 * getResponse answered `{"data": []}`: the server does not know the id. A task whose fate was
 * unknown never reached it (resend under the same id); a polled one may be briefly unknown, but
 * after `maxEmptyAnswers` in a row it is given up (the receiver rejects it with the server's
 * conflict when a `conflictTaskUUID` sent it to polling, a caller-supplied id someone else used, else
 * with `taskUnknown`).
 */
export function decideEmptyAnswer(phase: TaskPhase, emptyAnswers: number, maxEmptyAnswers: number): EmptyAnswerDecision {
  if (phase === 'unknown') return { do: 'resend' }
  if (emptyAnswers < maxEmptyAnswers) return { do: 'pollAgain' }
  return { do: 'reject' }
}
