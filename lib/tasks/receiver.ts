/**
 * What inbound items do to tasks: the sink of inbound.ts's routing. Every item reaches a task
 * only through a ledger lookup, which never finds a settled one, so a late answer, a replay or a
 * duplicate cannot touch a task that is done. Every "what now" comes from recovery.ts; the engine
 * carries it out.
 */
import { backoffDelay } from '../support/backoff.js'
import type { Clock } from '../support/clock.js'
import { libraryError, serverError, taskError, type RunwareError, type Scrubber } from '../support/errors.js'
import type { InboundSink } from './inbound.js'
import type { Ledger, TaskRecord } from './ledger.js'
import type { ResolvedOptions } from '../api/options.js'
import type { Outbox } from './outbox.js'
import type { Poller } from './poller.js'
import type { ErrorPolicy } from '../recovery/policy.js'
import type { Prober } from './probes.js'
import type { Reconciler } from './reconcile.js'
import type { Reporter } from '../support/report.js'
import type { Wire } from '../connection/port.js'
import type { DataItem, ErrorItem, FrameError, FrameIssue, ResultItem } from '../protocol/protocol.js'
import { decideEmptyAnswer, decideTaskError, decideUnaddressed } from '../recovery/recovery.js'
import { addOutput, idlessOutputs, isReplay, reportedError } from './outputs.js'
import { identityOf } from './task-kinds.js'

/** What the receiver needs of the engine: its parts, and the decisions it carries out. */
export interface TaskOps {
  readonly ledger: Ledger
  readonly outbox: Outbox
  readonly poller: Poller
  readonly prober: Prober
  readonly reconciler: Reconciler
  settle(record: TaskRecord, error?: RunwareError): boolean
  retry(record: TaskRecord, error: RunwareError, delayMs: number): void
  resend(record: TaskRecord): void
  poll(record: TaskRecord, firstDelayMs?: number): void
  retryDelay(record: TaskRecord): number
}

export interface ReceiverDeps {
  readonly options: ResolvedOptions
  readonly policy: ErrorPolicy
  readonly reporter: Reporter
  readonly scrubber: Scrubber
  readonly clock: Clock
  readonly wire: Wire
}

export class Receiver implements InboundSink {
  /** Consecutive rate-limit pauses named by no task: the pause grows until a task succeeds. */
  #rateLimitPauses = 0
  /** Sockets made ready so far, and the frame being routed: for recognising a replayed frame. */
  #socket = 0
  #frame: string | undefined

  constructor(
    private readonly engine: TaskOps,
    private readonly deps: ReceiverDeps,
  ) {}

  // ---- frames ----

  /** A frame begins: its text, for telling a replay of a whole frame from new outputs. */
  frame(text: string): void {
    this.#frame = text
  }

  frameError(error: FrameError): void {
    this.#protocolError(`unreadable frame skipped (${error.reason}): ${error.message}`)
  }

  issues(issues: readonly FrameIssue[]): void {
    this.#protocolError(`malformed parts of a frame skipped: ${issues.map((issue) => issue.message).join('; ')}`)
  }

  refused(taskUUID: string, issue: FrameIssue): void {
    const record = this.engine.ledger.get(taskUUID)
    if (record === undefined) return
    this.engine.settle(
      record,
      taskError('protocolError', `an item for this task was refused (${issue.message}): the task fails now instead of waiting for its deadline`, {
        taskUUID: record.id,
        taskType: record.taskType,
      }),
    )
  }

  pong(): void {
    this.engine.reconciler.pong()
  }

  stray(item: DataItem): void {
    this.#orphan(undefined, item)
  }

  empty(): void {
    this.engine.prober.empty()
  }

  // ---- results ----

  pushed(taskUUID: string, item: ResultItem): void {
    const record = this.engine.ledger.get(taskUUID)
    if (record === undefined) {
      this.#orphan(taskUUID, item)
      return
    }
    if (record.async) {
      // An async task's push is its acknowledgement: its results come from getResponse.
      if (record.phase === 'sent' && taskUUID === record.wireUUID) this.engine.poll(record)
      return
    }
    if (isReplay(record, item, this.#frame, this.#socket) || !this.#deliver(record, item)) return
    const failure = record.kind.failure
    if (failure !== undefined && item.status === failure.status) {
      this.#taskError(record, reportedError(record, item, failure.code))
      return
    }
    if (record.complete) this.engine.settle(record)
  }

  /** One getResponse answer: the full current state of the task's outputs. */
  answered(taskUUID: string, items: readonly ResultItem[]): void {
    this.engine.prober.named(taskUUID)
    const record = this.engine.ledger.get(taskUUID)
    if (record === undefined) {
      for (const item of items) this.#orphan(taskUUID, item)
      return
    }
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
        if (current) this.#taskError(record, reportedError(record, item, 'taskFailed'))
        return
      } else if (typeof item.progress === 'number') {
        progress = Math.max(progress ?? 0, item.progress)
      }
    }
    if (record.complete) {
      this.engine.settle(record)
      return
    }
    if (!current) return
    if (progress !== undefined) this.#progress(record, progress)
    // Known to the server: a reconciled task, or an async task whose acknowledgement was lost.
    if (record.phase === 'sent' || record.phase === 'unknown') this.engine.poll(record)
    if (record.phase === 'polling') this.engine.poller.answered(record)
  }

  /** The Prober's round ended and the server did not know this task's id. */
  unknown(record: TaskRecord): void {
    const polled = record.phase === 'polling' && this.engine.poller.asked(record)
    if (record.phase !== 'unknown' && !polled) return
    if (polled) record.emptyAnswers += 1
    const decision = decideEmptyAnswer(record.phase, record.emptyAnswers, this.deps.options.poll.maxEmptyAnswers, record.conflict !== undefined)
    switch (decision.do) {
      case 'resend':
        this.engine.resend(record)
        return
      case 'pollAgain':
        this.engine.poller.answered(record)
        return
      case 'reject':
        this.engine.settle(
          record,
          record.conflict ??
            taskError('taskUnknown', `getResponse did not know the task ${record.emptyAnswers} times in a row`, {
              taskUUID: record.id,
              taskType: record.taskType,
            }),
        )
        return
    }
  }

  // ---- errors ----

  taskError(taskUUID: string, error: ErrorItem): void {
    this.engine.prober.named(taskUUID)
    const record = this.engine.ledger.get(taskUUID)
    // An error about an earlier attempt (a duplicate of the one that caused a retry, say) decides nothing.
    if (record?.wireUUID !== taskUUID) this.#orphan(taskUUID, undefined, error)
    else this.#taskError(record, error)
  }

  /** Never broadcast: reported, and the connection acts on it as recovery.ts decides. */
  unaddressedError(item: ErrorItem): void {
    const { policy, scrubber, reporter, wire, clock, options } = this.deps
    const classification = policy.classify(item)
    const error = serverError(item, classification, scrubber)
    reporter.error(error)
    const decision = decideUnaddressed(classification, wire.state)
    switch (decision.do) {
      case 'fail':
        wire.fail(error)
        return
      case 'reconnect':
        wire.reconnect(item.code)
        return
      case 'pause':
        this.engine.outbox.pause(clock.now() + backoffDelay(this.#rateLimitPauses++, options.retry, options.random))
        return
      case 'none':
        return
    }
  }

  #taskError(record: TaskRecord, item: ErrorItem): void {
    const { policy, scrubber, clock, options } = this.deps
    const classification = policy.classify(item)
    const error = serverError(item, classification, scrubber, { taskUUID: record.id, taskType: record.taskType })
    const now = clock.now()
    const retryDelayMs = this.engine.retryDelay(record)
    const decision = decideTaskError(classification, {
      phase: record.phase,
      submissions: record.submissions,
      maxAttempts: options.retry.maxAttempts,
      retryDelayMs,
      now,
      deadline: record.deadline,
    })
    if ((decision.do === 'reject' || decision.do === 'retry') && decision.pauseSends) this.engine.outbox.pause(now + retryDelayMs)
    switch (decision.do) {
      case 'reject':
        this.engine.settle(record, error)
        return
      case 'retry':
        this.engine.retry(record, error, decision.delayMs)
        return
      case 'resend':
        this.engine.resend(record)
        return
      case 'poll':
        // The server already has this id: it was accepted, so collect it instead of resending.
        if (classification.category === 'conflict') record.conflict = error
        this.engine.poll(record, 0)
        return
    }
  }

  // ---- bookkeeping ----

  /** A task resolved, or a socket became ready: rate-limit pauses start small again. */
  settledOk(): void {
    this.#rateLimitPauses = 0
  }

  connectionReady(): void {
    this.#rateLimitPauses = 0
    this.#socket += 1
  }

  /** A new output reaches the task (and its onResult); false for a copy. */
  #deliver(record: TaskRecord, item: ResultItem): boolean {
    if (!addOutput(record, item)) return false
    const onResult = record.onResult
    if (onResult !== undefined) this.deps.reporter.callback('onResult', () => onResult(item))
    return true
  }

  #progress(record: TaskRecord, progress: number): void {
    const { reporter } = this.deps
    const onProgress = record.onProgress
    if (onProgress !== undefined) reporter.callback('onProgress', () => onProgress(progress))
    if (reporter.listenerCount('progress') > 0) reporter.emit('progress', { taskUUID: record.id, taskType: record.taskType, progress })
  }

  #orphan(taskUUID: string | undefined, item?: DataItem, error?: ErrorItem): void {
    const { reporter, scrubber } = this.deps
    if (reporter.listenerCount('orphan') === 0) return
    reporter.emit('orphan', {
      taskUUID,
      ...(item === undefined ? {} : { item: scrubber.value(item) as DataItem }),
      ...(error === undefined ? {} : { error: scrubber.value(error) as ErrorItem }),
    })
  }

  #protocolError(message: string): void {
    this.deps.reporter.error(libraryError('protocolError', this.deps.scrubber.text(message)))
  }
}
