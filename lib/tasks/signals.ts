/**
 * AbortSignals of tasks: one listener per signal, however many tasks share it (thousands of tasks
 * on one signal would otherwise trip Node's MaxListenersExceededWarning), removed once its last
 * task settles, so a long-lived signal keeps no finished task alive.
 */
import type { TaskRecord } from './ledger.js'
import type { AbortSignalLike } from '../api/options.js'

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
