/**
 * getResponse polling for tasks the server holds (async tasks after their acknowledgement, tasks
 * found by a probe after a reconnect, and `conflictTaskUUID` answers). One schedule entry per
 * task for its next poll; delays grow ×multiplier up to a cap. The question itself goes through
 * the Prober, which matches the answer (and re-asks an unanswered one). A new socket polls every
 * task at once: whatever finished during the outage is collected without waiting.
 */
import type { Clock } from '../support/clock.js'
import type { TaskRecord } from './ledger.js'
import type { ResolvedOptions } from '../api/options.js'
import type { Prober } from './probes.js'
import type { Schedule } from '../support/schedule.js'

export class Poller {
  readonly #polling = new Set<TaskRecord>()
  /** Polls asked and not yet answered. */
  readonly #asked = new Set<TaskRecord>()

  constructor(
    private readonly prober: Prober,
    private readonly schedule: Schedule,
    private readonly clock: Clock,
    private readonly options: ResolvedOptions['poll'],
  ) {}

  /** Starts polling; the first poll after `firstDelayMs`. Already polling: nothing changes. */
  start(record: TaskRecord, firstDelayMs = this.options.initialDelayMs): void {
    if (this.#polling.has(record)) return
    record.pollAttempt = 0
    this.#polling.add(record)
    this.schedule.add(record.wake, this.clock.now() + firstDelayMs)
  }

  /** Whether a poll of this task is out (its answer is expected). */
  asked(record: TaskRecord): boolean {
    return this.#asked.has(record)
  }

  /** The task's entry fired: ask. */
  due(record: TaskRecord): void {
    if (!this.#polling.has(record) || this.#asked.has(record)) return
    this.#asked.add(record)
    this.prober.ask(record)
  }

  /** An answer came and the task is still running: the next poll after the next delay. */
  answered(record: TaskRecord): void {
    if (!this.#polling.has(record)) return
    this.#asked.delete(record)
    record.pollAttempt += 1
    const { initialDelayMs, multiplier, maxDelayMs } = this.options
    const delay = Math.min(maxDelayMs, initialDelayMs * multiplier ** record.pollAttempt)
    this.schedule.add(record.wake, this.clock.now() + delay)
  }

  stop(record: TaskRecord): void {
    if (!this.#polling.delete(record)) return
    this.#asked.delete(record)
    this.prober.forget(record)
    this.schedule.remove(record.wake)
  }

  /** A new socket is ready: poll every task not already asked (the Prober re-asks those). */
  resume(): void {
    for (const record of this.#polling) {
      if (this.#asked.has(record)) continue
      this.schedule.remove(record.wake)
      this.due(record)
    }
  }

  clear(): void {
    this.#polling.clear()
    this.#asked.clear()
  }
}
