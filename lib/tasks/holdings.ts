/**
 * What a task holds besides its place in the ledger (machines/phases.ts, HOLDS), and letting go
 * of it: each holding is released by the part that keeps it: the deadline (the schedule), the
 * signal's listener (Signals, below), the wake timer, a getResponse question (the prober) and the
 * open stream of a streamed text (the connection's port).
 *
 * AbortSignals of tasks: one listener per signal, however many tasks share it (thousands of tasks
 * on one signal would otherwise trip Node's MaxListenersExceededWarning), removed once its last
 * task settles, so a long-lived signal keeps no finished task alive.
 */
import type { AbortSignalLike } from '../api/options.js'
import type { Wire } from '../connection/port.js'
import type { Holding } from '../machines/phases.js'
import type { Schedule } from '../support/schedule.js'
import type { Prober } from './questions.js'
import type { TaskRecord } from './task-record.js'

export interface Holders {
  readonly schedule: Schedule
  readonly signals: Signals
  readonly prober: Prober
  readonly wire: Wire
}

export function release(record: TaskRecord, holding: Holding, holders: Holders): void {
  switch (holding) {
    case 'deadline':
      holders.schedule.remove(record)
      return
    case 'signal':
      holders.signals.unwatch(record)
      return
    case 'wake': {
      const wake = record.wakeIfAny
      if (wake !== undefined) holders.schedule.remove(wake)
      return
    }
    case 'probe':
      holders.prober.forget(record)
      record.pollAsked = false
      return
    case 'stream':
      // Only a streamed text has one (HTTP): its request is aborted, nothing more is read of it.
      if (record.stream) holders.wire.cancel(record.wireUUID)
      return
  }
}

interface Watch {
  readonly records: Set<TaskRecord>
  readonly onAbort: () => void
}

export class Signals {
  readonly #watches = new Map<AbortSignalLike, Watch>()
  readonly #of = new WeakMap<TaskRecord, AbortSignalLike>()

  /** `aborted` is called inside the library's monitor with the tasks the signal still holds. */
  constructor(private readonly aborted: (records: ReadonlySet<TaskRecord>, signal: AbortSignalLike) => void) {}

  watch(record: TaskRecord, signal: AbortSignalLike): void {
    let watch = this.#watches.get(signal)
    if (watch === undefined) {
      const records = new Set<TaskRecord>()
      const onAbort = (): void => {
        // A standard signal has removed this once-listener already: only the bookkeeping goes
        // (a polyfill that kept it holds nothing after this).
        this.#watches.delete(signal)
        this.aborted(records, signal)
        records.clear()
      }
      watch = { records, onAbort }
      this.#watches.set(signal, watch)
      signal.addEventListener('abort', onAbort, { once: true })
    }
    watch.records.add(record)
    this.#of.set(record, signal)
  }

  unwatch(record: TaskRecord): void {
    const signal = this.#of.get(record)
    if (signal === undefined) return
    this.#of.delete(record)
    const watch = this.#watches.get(signal)
    if (watch === undefined) return
    watch.records.delete(record)
    if (watch.records.size === 0) this.#drop(signal)
  }

  #drop(signal: AbortSignalLike): void {
    const watch = this.#watches.get(signal)
    if (watch === undefined) return
    this.#watches.delete(signal)
    signal.removeEventListener('abort', watch.onAbort)
  }
}
