/**
 * What a frame does to tasks, decided. `read` routes the frame's items by shape (no taskUUID: a
 * pong, the auth reply or a stray; a getResponse answer, with a poll `status`, one task's items
 * grouped; a pushed result; an error) and yields one step per thing the engine must do, in frame
 * order: a decision about a task (found by a ledger lookup, which never finds a settled one), one
 * about the connection, or a note for the getResponse correlation. The engine carries each step
 * out before the next item is read, so a later item sees what an earlier one did. The receiver
 * takes in what items bring (outputs into their record, progress and results reported) and
 * never calls into the engine or its parts.
 */
import type { TextDelta } from '../api/result-types.js'
import { isTextDelta } from '../api/task-types.js'
import type { TaskDeps } from './deps.js'
import {
  isAuthReply,
  isPollItem,
  isPong,
  type DataItem,
  type Envelope,
  type ErrorItem,
  type FrameError,
  type FrameIssue,
  type ResultItem,
} from '../protocol/protocol.js'
import { decideEmptyAnswer, decideTaskError, decideUnaddressed } from '../recovery/recovery.js'
import { backoffDelay } from '../support/backoff.js'
import { libraryError, serverError, taskError } from '../support/errors.js'
import type { ItemDecision, LinkDecision, Step, TaskStep } from './steps.js'
import { addOutput, identityOf, idlessOutputs, isReplay, reportedError } from './outputs.js'
import type { TaskRecord } from './task-record.js'

const NOTHING: ItemDecision = { do: 'nothing' }
const RESOLVE: ItemDecision = { do: 'resolve' }
const POLL: ItemDecision = { do: 'poll' }
const RESEND: ItemDecision = { do: 'resend' }
const POLL_LATER: ItemDecision = { do: 'pollLater' }

export class Receiver {
  constructor(
    private readonly deps: TaskDeps,
    /** The live task any of whose ids is `taskUUID` (never a settled one). */
    private readonly find: (taskUUID: string) => TaskRecord | undefined,
  ) {}

  /** The steps one frame asks for; `frame` and `socket` tell a replayed frame from new outputs. */
  *read(envelope: Envelope, frame: string, socket: number, handshake: () => boolean): Generator<Step, void, undefined> {
    if (envelope.issues.length > 0) {
      this.issues(envelope.issues)
      for (const issue of envelope.issues)
        if (issue.taskUUID !== undefined) {
          const step = this.refused(issue.taskUUID, issue)
          if (step !== undefined) yield step
        }
    }
    let answers: Map<string, ResultItem[]> | undefined
    for (const item of envelope.data) {
      const taskUUID = item.taskUUID
      if (taskUUID === undefined) {
        if (isPong(item)) yield { on: 'pong' }
        else if (!isAuthReply(item)) this.orphan(undefined, item)
      } else if (isPollItem(item)) {
        answers ??= new Map()
        const items = answers.get(taskUUID)
        if (items === undefined) answers.set(taskUUID, [item as ResultItem])
        else items.push(item as ResultItem)
      } else {
        const step = this.pushed(taskUUID, item as ResultItem, frame, socket)
        if (step !== undefined) yield step
      }
    }
    // One answer is the full current state of one task: its items go together, after the pushes.
    if (answers !== undefined) {
      for (const [taskUUID, items] of answers) {
        yield { on: 'named', taskUUID }
        const step = this.answered(taskUUID, items)
        if (step !== undefined) yield step
      }
    }
    if (envelope.data.length === 0 && envelope.errors.length === 0) yield { on: 'empty' }
    for (const error of envelope.errors) {
      if (error.taskUUID === undefined) {
        yield { on: 'link', decision: this.unaddressed(error, handshake()) }
      } else {
        yield { on: 'named', taskUUID: error.taskUUID }
        const step = this.taskError(error.taskUUID, error)
        if (step !== undefined) yield step
      }
    }
  }

  // ---- results ----

  /** A pushed item; `frame` and `socket` tell a replayed frame from new outputs. */
  pushed(taskUUID: string, item: ResultItem, frame: string, socket: number): TaskStep | undefined {
    const record = this.find(taskUUID)
    if (record === undefined) {
      this.orphan(taskUUID, item)
      return undefined
    }
    return { on: 'task', record, decision: this.#pushed(record, taskUUID, item, frame, socket) }
  }

  #pushed(record: TaskRecord, taskUUID: string, item: ResultItem, frame: string, socket: number): ItemDecision {
    if (record.stream && isTextDelta(item)) return this.#delta(record, item)
    if (record.async) {
      // An async task's push is its acknowledgement: its results come from getResponse.
      return record.phase === 'sent' && taskUUID === record.wireUUID ? POLL : NOTHING
    }
    if (isReplay(record, item, frame, socket) || !this.#deliver(record, item)) return NOTHING
    const failure = record.kind.failure
    if (failure !== undefined && item.status === failure.status) return this.#taskError(record, reportedError(record, item, failure.code))
    return record.complete ? RESOLVE : NOTHING
  }

  /** One getResponse answer: the full current state of the task's outputs. */
  answered(taskUUID: string, items: readonly ResultItem[]): TaskStep | undefined {
    const record = this.find(taskUUID)
    if (record === undefined) {
      for (const item of items) this.orphan(taskUUID, item)
      return undefined
    }
    return { on: 'task', record, decision: this.#answered(record, taskUUID, items) }
  }

  #answered(record: TaskRecord, taskUUID: string, items: readonly ResultItem[]): ItemDecision {
    // An answer about an earlier attempt (a retry has superseded it): its outputs count, nothing else.
    const current = taskUUID === record.wireUUID
    if (current) record.emptyAnswers = 0
    let progress: number | undefined
    // Outputs without an id are told apart by position: the answer lists every one so far.
    const known = idlessOutputs(record)
    let idless = 0
    for (const item of items) {
      if (item.status === 'success') {
        // Delivered as the server sent it, `status: "success"` included (docs/api.md: results).
        if (identityOf(item, record.kind) !== undefined) this.#deliver(record, item)
        else if (idless++ >= known) this.#deliver(record, item)
      } else if (item.status === 'error') {
        return current ? this.#taskError(record, reportedError(record, item, 'taskFailed')) : NOTHING
      } else if (typeof item.progress === 'number') {
        progress = Math.max(progress ?? 0, item.progress)
      }
    }
    if (record.complete) return RESOLVE
    if (!current) return NOTHING
    if (progress !== undefined) this.#progress(record, progress)
    // Known to the server: a reconciled task, or an async task whose acknowledgement was lost.
    if (record.phase === 'sent' || record.phase === 'unknown') return POLL
    return record.phase === 'polling' ? POLL_LATER : NOTHING
  }

  /** A round of questions ended and the server did not know this task's id. */
  unknown(record: TaskRecord): ItemDecision {
    const polled = record.phase === 'polling' && record.pollAsked
    if (record.phase !== 'unknown' && !polled) return NOTHING
    if (polled) record.emptyAnswers += 1
    const decision = decideEmptyAnswer(record.phase, record.emptyAnswers, this.deps.options.poll.maxEmptyAnswers)
    switch (decision.do) {
      case 'resend':
        return RESEND
      case 'pollAgain':
        return POLL_LATER
      case 'reject': {
        const message = `getResponse did not know the task ${record.emptyAnswers} times in a row`
        return { do: 'reject', error: record.conflict ?? taskError('taskUnknown', message, { taskUUID: record.id, taskType: record.taskType }) }
      }
    }
  }

  // ---- errors ----

  /** An error naming a task; one about an earlier attempt (a retry superseded it) decides nothing. */
  taskError(taskUUID: string, item: ErrorItem): TaskStep | undefined {
    const record = this.find(taskUUID)
    if (record?.wireUUID !== taskUUID) {
      this.orphan(taskUUID, undefined, item)
      return undefined
    }
    return { on: 'task', record, decision: this.#taskError(record, item) }
  }

  #taskError(record: TaskRecord, item: ErrorItem): ItemDecision {
    const { policy, scrubber, clock, options } = this.deps
    const classification = policy.classify(item)
    const error = serverError(item, classification, scrubber, { taskUUID: record.id, taskType: record.taskType })
    // Its text has begun to reach the caller: a retry or a resend would repeat it.
    if (record.deltas > 0) return { do: 'reject', error }
    const now = clock.now()
    const retryDelayMs = backoffDelay(Math.max(0, record.submissions - 1), options.retry, options.random)
    const decision = decideTaskError(classification, {
      phase: record.phase,
      submissions: record.submissions,
      maxAttempts: options.retry.maxAttempts,
      retryDelayMs,
      now,
      deadline: record.deadline,
    })
    switch (decision.do) {
      case 'reject':
        return { do: 'reject', error, pauseMs: decision.pauseSends ? retryDelayMs : undefined }
      case 'retry':
        return { do: 'retry', error, delayMs: decision.delayMs, pauseMs: decision.pauseSends ? retryDelayMs : undefined }
      case 'resend':
        return RESEND
      case 'poll':
        // The server already has this id (a conflict: the one category that reconciles, policy.ts):
        // it was accepted, so collect it; kept to fail with if the answers never know it.
        record.conflict = error
        return { do: 'poll', firstDelayMs: 0 }
    }
  }

  /** Never broadcast: reported, and the connection acts on it as recovery.ts decides (`handshake`: before the auth reply). */
  unaddressed(item: ErrorItem, handshake: boolean): LinkDecision {
    const { policy, scrubber, reporter } = this.deps
    const classification = policy.classify(item)
    const error = serverError(item, classification, scrubber)
    reporter.error(error)
    const decision = decideUnaddressed(classification, handshake)
    switch (decision.do) {
      case 'fail':
        return { do: 'fail', error }
      case 'reconnect':
        return { do: 'reconnect', code: item.code }
      case 'pause':
        return { do: 'pause' }
      case 'none':
        return { do: 'none' }
    }
  }

  /** A skipped item named a task: it can never be fed by it, so it fails now. */
  refused(taskUUID: string, issue: FrameIssue): TaskStep | undefined {
    const record = this.find(taskUUID)
    if (record === undefined) return undefined
    const message = `an item for this task was refused (${issue.message}): the task fails now instead of waiting for its deadline`
    return { on: 'task', record, decision: { do: 'reject', error: taskError('protocolError', message, { taskUUID: record.id, taskType: record.taskType }) } }
  }

  // ---- reports ----

  frameError(error: FrameError): void {
    this.#protocolError(`unreadable frame skipped (${error.reason}): ${error.message}`)
  }

  issues(issues: readonly FrameIssue[]): void {
    this.#protocolError(`malformed parts of a frame skipped: ${issues.map((issue) => issue.message).join('; ')}`)
  }

  /** A result or error for an id nobody waits for. */
  orphan(taskUUID: string | undefined, item?: DataItem, error?: ErrorItem): void {
    const { reporter, scrubber } = this.deps
    reporter.emit('orphan', {
      taskUUID,
      ...(item === undefined ? {} : { item: scrubber.value(item) as DataItem }),
      ...(error === undefined ? {} : { error: scrubber.value(error) as ErrorItem }),
    })
  }

  /** A new output reaches the task (and its onResult); false for a copy. */
  #deliver(record: TaskRecord, item: ResultItem): boolean {
    if (!addOutput(record, item)) return false
    const onResult = record.onResult
    if (onResult !== undefined) this.deps.reporter.callback('onResult', () => onResult(item))
    return true
  }

  /** A piece of a streamed text: to the caller (stream(), onDelta), never counted as a result. */
  #delta(record: TaskRecord, item: TextDelta): ItemDecision {
    const onDelta = record.delta()
    if (onDelta !== undefined) this.deps.reporter.callback('onDelta', () => onDelta(item))
    return NOTHING
  }

  #progress(record: TaskRecord, progress: number): void {
    const { reporter } = this.deps
    const onProgress = record.onProgress
    if (onProgress !== undefined) reporter.callback('onProgress', () => onProgress(progress))
    reporter.emit('progress', { taskUUID: record.id, taskType: record.taskType, progress })
  }

  #protocolError(message: string): void {
    this.deps.reporter.error(libraryError('protocolError', this.deps.scrubber.text(message)))
  }
}
