/**
 * The task engine beneath the public face: it admits tasks into the ledger, sends them through
 * the outbox, settles each exactly once, and carries out what is decided about them: the
 * receiver's decisions on what arrives, recovery.ts's on a lost socket. A phase move releases
 * what the phase it leaves held (machines/phases.ts, holdings.ts), so settling is one move. It
 * never touches a socket: frames leave through the connection's port.
 */
import type { PreparedTask } from './admit.js'
import type { RunOptions } from '../api/options.js'
import { RELEASES, type PhaseEvent, type TaskPhase } from '../machines/phases.js'
import { type Envelope, type FrameError, type ResultItem } from '../protocol/protocol.js'
import { decideLost } from '../recovery/recovery.js'
import { taskError, type RunwareError } from '../support/errors.js'
import { journalEntry, type JournalOwner, type JournalPort, type TaskDeps } from './deps.js'
import { Ledger, TaskRecord, taskEvent, type MoveDetail, type RecordOwner } from './ledger.js'
import { Outbox } from './outbox.js'
import { Poller, Prober, Reconciler } from './questions.js'
import { Receiver } from './receiver.js'
import { CarryOut } from './carry-out.js'
import { Lanes, type Lane } from './lanes.js'
import { Costs } from './outputs.js'
import { release, Signals, type Holders } from './holdings.js'
import type { LimitReason } from '../capacity/limiter.js'

export class TaskEngine implements RecordOwner, JournalOwner {
  readonly ledger: Ledger
  readonly #outbox: Outbox
  readonly #poller: Poller
  readonly #carry: CarryOut
  readonly #reconciler: Reconciler
  readonly #prober: Prober
  readonly #signals: Signals
  readonly #receiver: Receiver
  readonly #lanes: Lanes
  readonly #deps: TaskDeps
  readonly #holders: Holders
  /** Sockets made ready so far: a replayed frame repeats on a new one. */
  #sockets = 0
  /** The journal's keeper, when the client has a journal: nothing is sent before its entry is durable. */
  #journal: JournalPort | undefined
  /** What the results cost, by model (includeCost; a budget reads it). */
  readonly costs = new Costs()
  /** Waiting for the ledger to empty (drain). */
  readonly #idle: (() => void)[] = []

  constructor(deps: TaskDeps) {
    this.#deps = deps
    const { options, schedule, wire } = deps
    const lanes = (this.#lanes = new Lanes(options.concurrency, () => schedule.now(), { limit: (lane, reason) => this.#limit(lane, reason) }))
    this.ledger = new Ledger(
      { admitted: (record) => this.#admitted(record), moved: (record, from, event, detail) => this.#moved(record, from, event, detail) },
      lanes,
    )
    this.#outbox = new Outbox(this.ledger, options, { ready: () => wire.writable(), write: (frame) => wire.write(frame), run: deps.run }, schedule)
    const roundSize = Math.max(options.maxBatchSize, 500)
    this.#prober = new Prober(
      schedule,
      { roundSize, timeoutMs: options.poll.timeoutMs },
      {
        send: (wireUUID) => {
          this.#outbox.poll(wireUUID)
          deps.observer?.polled()
        },
        unknown: (record) => this.#carry.item(record, this.#receiver.unknown(record)),
        run: deps.run,
      },
    )
    this.#poller = new Poller(this.#prober, schedule, options.poll)
    this.#carry = new CarryOut(this.ledger, this.#outbox, this.#poller, schedule, wire, (record, error) => this.settle(record, error), lanes.adaptive)
    this.#reconciler = new Reconciler(
      this.#prober,
      schedule,
      options.resumeGraceMs,
      () => wire.ping(),
      () => this.ledger.inPhase('unknown'),
    )
    this.#signals = new Signals((records, signal) =>
      deps.run(() => {
        for (const record of records)
          this.settle(record, taskError('aborted', 'the task was aborted', { taskUUID: record.id, taskType: record.taskType, cause: signal.reason }))
      }),
    )
    this.#receiver = new Receiver(deps, (taskUUID) => this.ledger.get(taskUUID))
    this.#holders = { schedule, signals: this.#signals, prober: this.#prober, wire }
  }

  /** A new task: into the ledger, the deadline schedule and the outbox. The caller's promise settles through `resolve`/`reject`. */
  admit(prepared: PreparedTask, run: RunOptions, resolve: (items: ResultItem[]) => void, reject: (error: RunwareError) => void): void {
    const { options, schedule } = this.#deps
    const timeoutMs = run.timeoutMs ?? options.taskTimeoutMs
    const record = new TaskRecord(prepared, { timeoutMs, run, resolve, reject, owner: this })
    const journal = this.#journal
    this.ledger.admit(record, journal === undefined ? 'queued' : 'journaling')
    if (Number.isFinite(timeoutMs)) schedule.add(record, schedule.now() + timeoutMs)
    if (run.signal !== undefined) this.#signals.watch(record, run.signal)
    if (journal === undefined) this.#outbox.wake()
    else {
      const entry = journalEntry(record, prepared)
      // The entry holds the task as JSON text: the frame sends that text instead of encoding it again.
      record.wire = entry.task
      journal.write(record, entry)
    }
  }

  /** Resolves when no task is pending (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.ledger.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** From now on every new task is journaled before it is sent. */
  useJournal(journal: JournalPort): void {
    this.#journal = journal
  }

  /**
   * A task a previous process left in flight (its journal entry): its fate is unknown, so it is
   * asked about (getResponse) and collected, or resent under the same id if the server never got it.
   */
  adopt(prepared: PreparedTask, resolve: (items: ResultItem[]) => void, reject: (error: RunwareError) => void): (error: RunwareError) => void {
    const { options, schedule } = this.#deps
    const record = new TaskRecord(prepared, { timeoutMs: options.taskTimeoutMs, run: {}, resolve, reject, owner: this })
    this.ledger.admit(record, 'unknown')
    if (Number.isFinite(options.taskTimeoutMs)) schedule.add(record, schedule.now() + options.taskTimeoutMs)
    this.#prober.ask(record)
    return (error) => this.settle(record, error)
  }

  journaled(records: readonly TaskRecord[]): void {
    for (const record of records) if (record.phase === 'journaling') this.ledger.move(record, 'queued')
    this.#outbox.wake()
  }

  refuse(records: readonly TaskRecord[], error: RunwareError): void {
    for (const record of records) if (record.phase === 'journaling') this.settle(record, error.forTask(record.id, record.taskType))
  }

  /** Settles once (a settled task's move is refused). Resolves with its items unless `error` is given. */
  settle(record: TaskRecord, error?: RunwareError): void {
    if (!this.ledger.move(record, 'settled', { error })) return
    if (error === undefined) {
      this.#outbox.rateLimitOver()
      record.fulfil()
    } else {
      record.fail(error)
    }
    this.#journal?.settled(record, error)
    const usd = this.costs.add(record)
    if (usd > 0) this.#deps.observer?.costed(record, usd)
    if (this.ledger.size === 0) for (const idle of this.#idle.splice(0)) idle()
    // Room on the wire for whatever waits behind maxInFlight.
    if (this.ledger.waitingToSend > 0) this.#outbox.wake()
  }

  /**
   * A move left `from`: what that phase held and the new one does not is released (the table in
   * machines/phases.ts), so settling, resending or retrying is one move, never a hand list.
   */
  #moved(record: TaskRecord, from: TaskPhase, event: PhaseEvent | null, detail: MoveDetail | undefined): void {
    const { schedule, options } = this.#deps
    for (const holding of RELEASES[from][record.phase]) release(record, holding, this.#holders)
    // An async task on the wire waits for its acknowledgement, but not for ever.
    if (record.phase === 'sent' && record.async) schedule.add(record.wake, schedule.now() + options.poll.ackTimeoutMs)
    if (event !== null) this.#report(record, event, detail)
    this.#deps.observer?.moved(record, from, event, detail)
  }

  #admitted(record: TaskRecord): void {
    this.#report(record, 'queued')
    this.#deps.observer?.admitted(record)
  }

  deadlineReached(record: TaskRecord): void {
    this.settle(record, taskError('taskTimeout', `task timed out after ${record.timeoutMs} ms`, { taskUUID: record.id, taskType: record.taskType }))
  }

  woken(record: TaskRecord): void {
    if (record.phase === 'waiting') {
      this.ledger.move(record, 'queued')
      this.#outbox.wake()
    } else if (record.phase === 'polling') {
      this.#poller.due(record)
    } else if (record.phase === 'sent') {
      // Only an async task has a wake while sent: no acknowledgement within poll.ackTimeoutMs, the
      // reply may be lost. Ask: known, it is polled; unknown, it is sent again under the same id.
      this.ledger.move(record, 'unknown')
      this.#prober.ask(record)
    }
  }

  /** One parsed frame; `text` is what arrived (a replay repeats it exactly). Each step is done before the next item is read. */
  receive(envelope: Envelope, text: string): void {
    for (const step of this.#receiver.read(envelope, text, this.#sockets, this.#handshake)) {
      switch (step.on) {
        case 'task':
          this.#carry.item(step.record, step.decision)
          break
        case 'link':
          this.#carry.link(step.decision)
          break
        case 'named':
          this.#prober.named(step.taskUUID)
          break
        case 'empty':
          this.#prober.empty()
          break
        case 'pong':
          this.#reconciler.pong()
          this.#pong()
          break
      }
    }
  }

  readonly #handshake = (): boolean => this.#deps.wire.handshake

  /** A pong's round trip from the last ping, for telemetry. */
  #pong(): void {
    const sentAt = this.#deps.wire.pingSentAt
    if (sentAt !== undefined) this.#deps.observer?.pong(this.#deps.clock.now() - sentAt)
  }

  frameError(error: FrameError): void {
    this.#receiver.frameError(error)
  }

  ready(resumed: boolean): void {
    this.#outbox.rateLimitOver()
    this.#sockets += 1
    this.#prober.ready()
    this.#poller.resume(this.ledger.inPhase('polling'))
    this.#reconciler.ready(resumed)
    this.#outbox.wake()
  }

  lost(): void {
    this.#outbox.dropControl()
    this.#prober.lost()
    this.#reconciler.lost()
    const recover = this.#deps.options.recover
    for (const record of this.ledger.records()) {
      // A streamed text that began reached the caller in part: a resend would repeat it.
      if (record.deltas > 0) {
        this.settle(record, taskError('streamInterrupted', 'the link closed during the stream', { taskUUID: record.id, taskType: record.taskType }))
        continue
      }
      switch (decideLost(record.phase, recover)) {
        case 'reconcile':
          this.ledger.move(record, 'unknown')
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

  /** Settling every task released what each held; the library's own timers and queues go with the schedule. */
  close(error: RunwareError): void {
    this.rejectAll(error)
    this.#deps.schedule.clear()
    this.#outbox.clear()
    this.#prober.clear()
  }

  /** A capacity code seen elsewhere for `model` (lanes.ts, signal). */
  capacitySignal(model: string): boolean {
    return this.#lanes.signal(model)
  }

  /** A model's limit moved: reported, and a higher one may send what waits. */
  #limit(lane: Lane, reason: LimitReason): void {
    const reporter = this.#deps.reporter
    reporter.emit('limit', { model: lane.key, limit: lane.limit, reason })
    if (this.ledger.waitingToSend > 0) this.#outbox.wake()
  }

  #report(record: TaskRecord, type: PhaseEvent | 'queued', detail?: MoveDetail): void {
    const reporter = this.#deps.reporter
    if (reporter.listenerCount('task') > 0) reporter.emit('task', taskEvent(record, type, detail))
  }
}
