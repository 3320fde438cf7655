import type { Clock, TimerHandle } from '../support/clock.js'

/**
 * Clock-driven jobs. Jobs due at the same millisecond share one timer, so 100,000 tasks with a
 * fixed latency cost a handful of timers, not 100,000. There is no per-job cancel: a job that may
 * go stale checks its own preconditions when it runs. `dispose()` clears every timer so a closed
 * simulator keeps nothing alive.
 */
export class Alarms {
  private readonly buckets = new Map<number, (() => void)[]>()
  private readonly handles = new Map<number, TimerHandle>()
  private disposed = false

  constructor(
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Runs `job` once the clock reaches `dueAt`. */
  at(dueAt: number, job: () => void): void {
    if (this.disposed) return
    const bucket = this.buckets.get(dueAt)
    if (bucket) {
      bucket.push(job)
      return
    }
    this.buckets.set(dueAt, [job])
    const handle = this.clock.setTimeout(
      () => {
        this.fire(dueAt)
      },
      Math.max(0, dueAt - this.clock.now()),
    )
    this.handles.set(dueAt, handle)
  }

  after(ms: number, job: () => void): void {
    this.at(this.clock.now() + ms, job)
  }

  dispose(): void {
    this.disposed = true
    for (const handle of this.handles.values()) this.clock.clearTimeout(handle)
    this.handles.clear()
    this.buckets.clear()
  }

  private fire(dueAt: number): void {
    const bucket = this.buckets.get(dueAt)
    this.buckets.delete(dueAt)
    this.handles.delete(dueAt)
    if (!bucket) return
    for (const job of bucket) {
      if (this.disposed) return
      try {
        job()
      } catch (error) {
        this.onError(error)
      }
    }
  }
}

/**
 * "Later this turn": one setImmediate per event-loop turn, however many tasks asked for it. This
 * is how zero-latency results are sent after the request frame is processed, without a timer per
 * task, and how results completing in the same turn end up in the same batch frame. It is not
 * time-dependent, so it does not go through the Clock (fake timers leave setImmediate alone).
 */
export class Ticker {
  private pending: NodeJS.Immediate | undefined
  private disposed = false

  constructor(
    private readonly run: () => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  request(): void {
    if (this.pending !== undefined || this.disposed) return
    this.pending = setImmediate(() => {
      this.pending = undefined
      try {
        this.run()
      } catch (error) {
        this.onError(error)
      }
    })
  }

  dispose(): void {
    this.disposed = true
    if (this.pending !== undefined) clearImmediate(this.pending)
    this.pending = undefined
  }
}
