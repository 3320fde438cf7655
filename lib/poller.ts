/**
 * getResponse polling for tasks the server holds (async tasks after their acknowledgement, and
 * tasks reconciled after a reconnect). One schedule entry per task: the next poll, or the
 * deadline of the poll that is out. Delays grow ×multiplier up to a cap; an unanswered poll is
 * sent again after `timeoutMs`. A new socket polls every task at once (polls on the old one are lost).
 */
import type { Clock } from './clock.js'
import type { TaskRecord } from './ledger.js'
import type { Outbox } from './outbox.js'
import type { ResolvedOptions } from './options.js'
import type { Schedule } from './schedule.js'

export class Poller {
  readonly #polling = new Set<TaskRecord>()

  constructor(
    private readonly outbox: Outbox,
    private readonly schedule: Schedule,
    private readonly clock: Clock,
    private readonly options: ResolvedOptions['poll'],
    private readonly ready: () => boolean,
  ) {}

  /** Starts (or restarts) polling; the first poll after `firstDelayMs`. */
  start(record: TaskRecord, firstDelayMs = this.options.initialDelayMs): void {
    record.phase = 'polling'
    record.pollAttempt = 0
    record.awaitingPoll = false
    this.#polling.add(record)
    this.schedule.add(record.wake, this.clock.now() + firstDelayMs)
  }

  /** An answer arrived and the task is still running: the next poll after the next delay. */
  answered(record: TaskRecord): void {
    record.awaitingPoll = false
    record.pollAttempt += 1
    const { initialDelayMs, multiplier, maxDelayMs } = this.options
    const delay = Math.min(maxDelayMs, initialDelayMs * multiplier ** record.pollAttempt)
    this.schedule.add(record.wake, this.clock.now() + delay)
  }

  /** The task's entry fired: send a poll (again, if the last one went unanswered). */
  due(record: TaskRecord): void {
    if (!this.ready()) return // the next ready() polls everything
    this.outbox.poll(record.wireUUID)
    record.awaitingPoll = true
    this.schedule.add(record.wake, this.clock.now() + this.options.timeoutMs)
  }

  stop(record: TaskRecord): void {
    if (this.#polling.delete(record)) this.schedule.remove(record.wake)
  }

  /** A socket died: its polls are lost; nothing is sent until the next one is ready. */
  lost(): void {
    for (const record of this.#polling) {
      record.awaitingPoll = false
      this.schedule.remove(record.wake)
    }
  }

  /** A new socket is ready: poll every task now. */
  resume(): void {
    for (const record of this.#polling) this.due(record)
  }
}
