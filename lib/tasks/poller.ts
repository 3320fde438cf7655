/**
 * getResponse polling for tasks the server holds (async tasks after their acknowledgement, tasks
 * found by a probe after a reconnect, and `conflictTaskUUID` answers): the tasks in the `polling`
 * phase. Each has one schedule entry (its wake) for its next poll; delays grow ×multiplier up to
 * a cap. The question itself goes through the Prober, which matches the answer (and re-asks an
 * unanswered one). A new socket polls every task at once: whatever finished during the outage is
 * collected without waiting. Leaving `polling` releases the wake and the question (machines/phases.ts).
 */
import type { ResolvedOptions } from '../api/options.js'
import type { Schedule } from '../support/schedule.js'
import type { Prober } from './probes.js'
import type { TaskRecord } from './task-record.js'

export class Poller {
  constructor(
    private readonly prober: Prober,
    private readonly schedule: Schedule,
    private readonly options: ResolvedOptions['poll'],
  ) {}

  /** A task moved to polling: its first poll after `firstDelayMs`. */
  start(record: TaskRecord, firstDelayMs = this.options.initialDelayMs): void {
    record.pollAttempt = 0
    record.pollAsked = false
    this.schedule.add(record.wake, this.schedule.now() + firstDelayMs)
  }

  /** The task's wake fired: ask (once: a poll already out is not asked again). */
  due(record: TaskRecord): void {
    if (record.phase !== 'polling' || record.pollAsked) return
    record.pollAsked = true
    this.prober.ask(record)
  }

  /** An answer came and the task is still running: the next poll after the next delay. */
  answered(record: TaskRecord): void {
    if (record.phase !== 'polling') return
    record.pollAsked = false
    record.pollAttempt += 1
    const { initialDelayMs, multiplier, maxDelayMs } = this.options
    const delay = Math.min(maxDelayMs, initialDelayMs * multiplier ** record.pollAttempt)
    this.schedule.add(record.wake, this.schedule.now() + delay)
  }

  /** A new socket is ready: poll every task now (one already asked is left to the Prober, which re-asks it). */
  resume(polling: readonly TaskRecord[]): void {
    for (const record of polling) {
      this.schedule.remove(record.wake)
      this.due(record)
    }
  }
}
