/** What the task side works with: one dependency type for the engine and the receiver. */
import type { JournalEntry } from '../api/journal.js'
import type { ResolvedOptions } from '../api/options.js'
import type { Wire } from '../connection/port.js'
import type { ErrorPolicy } from '../recovery/policy.js'
import type { Clock } from '../support/clock.js'
import type { RunwareError, Scrubber } from '../support/errors.js'
import type { Reporter } from '../support/report.js'
import type { Schedule } from '../support/schedule.js'
import type { PreparedTask } from './admit.js'
import type { TaskRecord } from './task-record.js'
import type { PhaseEvent, TaskPhase } from '../machines/phases.js'
import type { MoveDetail } from './ledger.js'

export interface TaskDeps {
  readonly options: ResolvedOptions
  readonly policy: ErrorPolicy
  readonly reporter: Reporter
  readonly scrubber: Scrubber
  readonly schedule: Schedule
  readonly clock: Clock
  readonly wire: Wire
  /** Runs a piece of library work (the monitor): timers and signals enter through it. */
  readonly run: (work: () => void) => void
  /** Telemetry, when on: told of every admission, move and poll; never asked anything. */
  readonly observer?: TaskObserver | undefined
}

/** What watches tasks (telemetry/task-telemetry.ts): told, never asked; it must not throw. */
export interface TaskObserver {
  admitted(record: TaskRecord): void
  moved(record: TaskRecord, from: TaskPhase, event: PhaseEvent | null, detail: MoveDetail | undefined): void
  /** A getResponse went out (an async task polled, a task reconciled). */
  polled(): void
  /** A pong arrived `ms` after the last ping went out. */
  pong(ms: number): void
  /** A task settled with results that cost `usd`. */
  costed(record: TaskRecord, usd: number): void
}

/**
 * The journal's keeper (durable/keeper.ts), for a client with a journal: told of each new task,
 * which waits in `journaling` until the keeper says its entry is durable, and of each settlement.
 */
export interface JournalPort {
  write(record: TaskRecord, entry: JournalEntry): void
  /** Its caller's promise has just been settled (`error` undefined: resolved). */
  settled(record: TaskRecord, error: RunwareError | undefined): void
}

/** What the keeper asks of the engine. */
export interface JournalOwner {
  /** These entries are durable: the tasks still journaling may be sent. */
  journaled(records: readonly TaskRecord[]): void
  /** Their entries could not be written: each rejects (never sent) with a copy of `error`. */
  refuse(records: readonly TaskRecord[], error: RunwareError): void
}

/** A task's journal entry: what a later process needs to recover it. */
export function journalEntry(record: TaskRecord, prepared: PreparedTask): JournalEntry {
  const wire = record.wire
  return {
    taskUUID: record.id,
    task: typeof wire === 'string' ? wire : JSON.stringify(wire),
    meta: prepared.meta,
    idempotencyKey: prepared.idempotencyKey,
    openedAt: Date.now(),
  }
}
