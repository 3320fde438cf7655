/**
 * The engine's hands: what the receiver decided about a task, or about the link, done now (in
 * frame order: a later item of the same frame sees it).
 */
import type { Wire } from '../connection/port.js'
import { attemptTaskUUID } from '../protocol/ids.js'
import { rewire } from '../protocol/protocol.js'
import type { RunwareError } from '../support/errors.js'
import type { Schedule } from '../support/schedule.js'
import type { Ledger } from './ledger.js'
import type { Outbox } from './outbox.js'
import type { Poller } from './questions.js'
import type { ItemDecision, LinkDecision } from './steps.js'
import type { TaskRecord } from './task-record.js'

export class CarryOut {
  constructor(
    private readonly ledger: Ledger,
    private readonly outbox: Outbox,
    private readonly poller: Poller,
    private readonly schedule: Schedule,
    private readonly wire: Wire,
    /** Settles once (the engine's settle). */
    private readonly settle: (record: TaskRecord, error?: RunwareError) => void,
    /** Adaptive concurrency: a capacity code cuts its model's limit (lanes.ts) instead of pausing every model. */
    private readonly perModel: boolean,
  ) {}

  /** A rate limit named the task: every send waits (with adaptive concurrency, its model's new tasks alone: lanes.ts). */
  private pause(record: TaskRecord, ms: number | undefined): void {
    if (ms === undefined) return
    if (this.perModel) this.ledger.pauseModel(record, this.schedule.now() + ms)
    else this.outbox.pause(this.schedule.now() + ms)
  }

  /** What the receiver decided about a task, done now (in frame order: a later item sees it). */
  item(record: TaskRecord, decision: ItemDecision): void {
    switch (decision.do) {
      case 'nothing':
        return
      case 'resolve':
        this.settle(record)
        return
      case 'reject':
        this.pause(record, decision.pauseMs)
        this.settle(record, decision.error)
        return
      case 'retry':
        this.pause(record, decision.pauseMs)
        this.retry(record, decision.error, decision.delayMs)
        return
      case 'resend':
        this.ledger.move(record, 'queued')
        this.outbox.wake()
        return
      case 'poll':
        this.ledger.move(record, 'polling')
        this.poller.start(record, decision.firstDelayMs)
        return
      case 'pollLater':
        this.poller.answered(record)
        return
    }
  }

  /** The fate is known (the server failed it): try again under a fresh id for what is missing. */
  private retry(record: TaskRecord, error: RunwareError, delayMs: number): void {
    // The move is checked before anything changes: a refused one leaves the record as it was.
    if (!this.ledger.canMove(record, 'waiting')) return
    const field = record.kind.countField
    // Derived, not random: a later process recovering this task walks the same ids, and collects
    // an attempt the server already has instead of running it again.
    const fresh = attemptTaskUUID(record.id, record.submissions)
    // A kind with a count field is completed by count (admit.ts): what is missing is asked for again.
    record.wire = rewire(record.wire, fresh, field === undefined ? undefined : { field, value: record.missing })
    this.ledger.rekey(record, fresh)
    this.ledger.move(record, 'waiting', { error, delayMs })
    this.schedule.add(record.wake, this.schedule.now() + delayMs)
  }

  /** What an error naming no task does to the connection, done now. */
  link(decision: LinkDecision): void {
    if (decision.do === 'fail') this.wire.fail(decision.error)
    else if (decision.do === 'reconnect') this.wire.reconnect(decision.code)
    else if (decision.do === 'pause') this.outbox.rateLimited()
  }
}
