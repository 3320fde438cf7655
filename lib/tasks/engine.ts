/**
 * The task engine beneath the public face: it admits tasks into the ledger, sends them through
 * the outbox, settles each exactly once, and carries out the recovery decisions (recovery.ts) that
 * the receiver and the connection's hooks make. It never touches a socket itself: frames leave
 * through the `Wire` the client gives it.
 */
import type { PreparedTask } from './admit.js'
import { backoffDelay } from '../support/backoff.js'
import type { Clock } from '../support/clock.js'
import { taskError, type RunwareError, type Scrubber } from '../support/errors.js'
import type { TaskEvent, TaskEventType } from '../api/events.js'
import { route } from './inbound.js'
import { Ledger, TaskRecord, type MoveDetail, type RecordOwner } from './ledger.js'
import type { ResolvedOptions, RunOptions } from '../api/options.js'
import { Outbox } from './outbox.js'
import { Poller } from './poller.js'
import type { ErrorPolicy } from '../recovery/policy.js'
import { Prober } from './probes.js'
import { rewire, type Envelope, type FrameError, type ResultItem } from '../protocol/protocol.js'
import { Receiver, type TaskOps } from './receiver.js'
import { Reconciler } from './reconcile.js'
import { decideLost } from '../recovery/recovery.js'
import type { Reporter } from '../support/report.js'
import type { Schedule } from '../support/schedule.js'
import { Signals } from './signals.js'
import type { Wire } from '../connection/port.js'
import { randomTaskUUID } from '../protocol/uuid.js'

export interface EngineDeps {
  readonly options: ResolvedOptions
  readonly policy: ErrorPolicy
  readonly reporter: Reporter
  readonly scrubber: Scrubber
  readonly schedule: Schedule
  readonly clock: Clock
  readonly wire: Wire
  /** Runs a piece of library work (the monitor): timers and signals enter through it. */
  readonly run: (work: () => void) => void
}

export class TaskEngine implements RecordOwner, TaskOps {
  readonly ledger: Ledger
  readonly outbox: Outbox
  readonly poller: Poller
  readonly reconciler: Reconciler
  readonly prober: Prober
  readonly #signals: Signals
  readonly #receiver: Receiver
  readonly #deps: EngineDeps

  constructor(deps: EngineDeps) {
    this.#deps = deps
    const { options, schedule, clock, wire } = deps
    this.ledger = new Ledger({ moved: (record, event, detail) => this.#moved(record, event, detail) })
    this.outbox = new Outbox(this.ledger, options, { ready: () => wire.writable(), write: (frame) => wire.write(frame), run: deps.run }, schedule, clock)
    const roundSize = Math.max(options.maxBatchSize, 500)
    this.prober = new Prober(
      schedule,
      clock,
      { roundSize, timeoutMs: options.poll.timeoutMs },
      {
        send: (wireUUID) => this.outbox.poll(wireUUID),
        unknown: (record) => this.#receiver.unknown(record),
        run: deps.run,
      },
    )
    this.poller = new Poller(this.prober, schedule, clock, options.poll)
    this.reconciler = new Reconciler(this.prober, schedule, clock, options.resumeGraceMs, () => wire.ping())
    this.#signals = new Signals((records, signal) =>
      deps.run(() => {
        for (const record of records)
          this.settle(record, taskError('aborted', 'the task was aborted', { taskUUID: record.id, taskType: record.taskType, cause: signal.reason }))
      }),
    )
    this.#receiver = new Receiver(this, deps)
  }

  // ---- admission ----

  /** A new task: into the ledger, the deadline heap and the outbox. The caller's promise settles through `resolve`/`reject`. */
  admit(prepared: PreparedTask, run: RunOptions, resolve: (items: ResultItem[]) => void, reject: (error: RunwareError) => void): void {
    const { options, schedule, clock } = this.#deps
    const timeoutMs = run.timeoutMs ?? options.taskTimeoutMs
    const record = new TaskRecord({
      id: prepared.taskUUID,
      taskType: prepared.taskType,
      kind: prepared.kind,
      wire: prepared.wire,
      expected: prepared.completion.kind === 'count' ? prepared.completion.count : 0,
      async: prepared.async,
      timeoutMs,
      onResult: run.onResult,
      onProgress: run.onProgress,
      resolve,
      reject,
      owner: this,
    })
    this.ledger.admit(record)
    if (Number.isFinite(timeoutMs)) schedule.add(record, clock.now() + timeoutMs)
    if (run.signal !== undefined) this.#signals.watch(record, run.signal)
    this.outbox.wake()
  }

  // ---- carrying out decisions ----

  /** Settles once: false when it already had. Resolves with its items unless `error` is given. */
  settle(record: TaskRecord, error?: RunwareError): boolean {
    if (!this.ledger.move(record, 'settled', { error })) return false
    const schedule = this.#deps.schedule
    schedule.remove(record)
    const wake = record.wakeIfAny
    if (wake !== undefined) schedule.remove(wake)
    this.poller.stop(record)
    this.reconciler.forget(record)
    this.#signals.unwatch(record)
    if (error === undefined) {
      this.#receiver.settledOk()
      record.fulfil()
    } else {
      record.fail(error)
    }
    // Room on the wire for whatever waits behind maxInFlight.
    if (this.ledger.waitingToSend > 0) this.outbox.wake()
    return true
  }

  /** The fate is known (the server failed it): try again under a fresh id for what is missing. */
  retry(record: TaskRecord, error: RunwareError, delayMs: number): void {
    this.poller.stop(record)
    this.reconciler.forget(record)
    const fresh = randomTaskUUID()
    const field = record.kind.countField
    const wire = rewire(record.wire, fresh, record.expected > 0 && field !== undefined ? { field, value: record.missing } : undefined)
    // The move is checked before anything changes: a refused one leaves the record as it was.
    if (!this.ledger.canMove(record, 'waiting')) return
    record.wire = wire
    this.ledger.rekey(record, fresh)
    this.ledger.move(record, 'waiting', { error, delayMs })
    this.#deps.schedule.add(record.wake, this.#deps.clock.now() + delayMs)
  }

  /** Same id, sent again: the server did not have it. */
  resend(record: TaskRecord): void {
    this.poller.stop(record)
    this.reconciler.forget(record)
    this.ledger.move(record, 'queued')
    this.outbox.wake()
  }

  /** The server has it: collect it with getResponse, the first poll after `firstDelayMs`. */
  poll(record: TaskRecord, firstDelayMs?: number): void {
    this.reconciler.forget(record)
    this.ledger.move(record, 'polling')
    this.poller.start(record, firstDelayMs)
  }

  // ---- timers (RecordOwner) ----

  deadlineReached(record: TaskRecord): void {
    this.settle(record, taskError('taskTimeout', `task timed out after ${record.timeoutMs} ms`, { taskUUID: record.id, taskType: record.taskType }))
  }

  woken(record: TaskRecord): void {
    if (record.phase === 'waiting') {
      this.ledger.move(record, 'queued')
      this.outbox.wake()
    } else if (record.phase === 'polling') {
      this.poller.due(record)
    } else if (record.phase === 'sent' && record.async) {
      // No acknowledgement within poll.ackTimeoutMs: the reply may be lost. Ask: known, it is
      // polled; unknown, it is sent again under the same id (receiver.ts).
      this.ledger.move(record, 'unknown')
      this.prober.ask(record)
    }
  }

  // ---- the connection's hooks ----

  /** One parsed frame; `text` is what arrived (a replay repeats it exactly). */
  receive(envelope: Envelope, text: string): void {
    this.#receiver.frame(text)
    route(envelope, this.#receiver)
  }

  frameError(error: FrameError): void {
    this.#receiver.frameError(error)
  }

  ready(resumed: boolean): void {
    this.#receiver.connectionReady()
    this.prober.ready()
    this.poller.resume()
    this.reconciler.ready(resumed)
    this.outbox.wake()
  }

  lost(): void {
    this.outbox.dropControl()
    this.prober.lost()
    this.reconciler.lost()
    const recover = this.#deps.options.recover
    for (const record of this.ledger.records()) {
      switch (decideLost(record.phase, recover)) {
        case 'reconcile':
          this.ledger.move(record, 'unknown')
          this.reconciler.add(record)
          break
        case 'reject':
          this.settle(record, taskError('connectionLost', 'the socket closed while the task was in flight', { taskUUID: record.id, taskType: record.taskType }))
          break
        case 'keep':
          break
      }
    }
  }

  /** Every pending task rejects with a copy of `error` addressed to it. */
  rejectAll(error: RunwareError): void {
    for (const record of this.ledger.records()) this.settle(record, error.forTask(record.id, record.taskType))
  }

  close(error: RunwareError): void {
    this.rejectAll(error)
    this.#deps.schedule.clear()
    this.outbox.clear()
    this.prober.clear()
    this.poller.clear()
    this.reconciler.clear()
    this.#signals.clear()
  }

  /** A retry's backoff delay for this task's next submission. */
  retryDelay(record: TaskRecord): number {
    const { retry, random } = this.#deps.options
    return backoffDelay(Math.max(0, record.submissions - 1), retry, random)
  }

  // ---- task events: one place, from the ledger's moves ----

  #moved(record: TaskRecord, type: TaskEventType | null, detail: MoveDetail | undefined): void {
    // An async task on the wire waits for its acknowledgement, but not for ever.
    if (type === 'sent' && record.async) this.#deps.schedule.add(record.wake, this.#deps.clock.now() + this.#deps.options.poll.ackTimeoutMs)
    const reporter = this.#deps.reporter
    if (type === null || reporter.listenerCount('task') === 0) return
    reporter.emit('task', taskEvent(record, type, detail))
  }
}

function taskEvent(record: TaskRecord, type: TaskEventType, detail: MoveDetail | undefined): TaskEvent {
  const base = { taskUUID: record.id, taskType: record.taskType }
  switch (type) {
    case 'queued':
      return { ...base, type }
    case 'sent':
      return { ...base, type, wireUUID: record.wireUUID, attempt: record.submissions }
    case 'retry':
      return {
        ...base,
        type,
        code: detail?.error?.code ?? 'unknown',
        delayMs: detail?.delayMs ?? 0,
        attempt: record.submissions + 1,
        wireUUID: record.wireUUID,
      }
    case 'resubmit':
    case 'polling':
      return { ...base, type, wireUUID: record.wireUUID }
    case 'settled': {
      const error = detail?.error
      return error === undefined
        ? { ...base, type, outcome: 'resolved', items: record.received }
        : { ...base, type, outcome: 'rejected', code: error.code, items: record.received }
    }
  }
}
