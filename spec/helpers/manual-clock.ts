import type { Clock, TimerHandle } from '../../lib/support/clock.js'

interface Pending {
  at: number
  seq: number
  fn: () => void
  /** Whether the timer would keep a real process alive. */
  refed: boolean
}

/** A Clock that only moves when told to; timers run synchronously inside `advance`, in due order. */
export class ManualClock implements Clock {
  private time: number
  private seq = 0
  private readonly timers = new Map<TimerHandle, Pending>()

  constructor(start = 1_700_000_000_000) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const pending: Pending = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, refed: true }
    const handle: TimerHandle = {
      unref: () => (pending.refed = false),
      ref: () => (pending.refed = true),
    }
    this.timers.set(handle, pending)
    return handle
  }

  /** Timers not yet run that would keep a real process alive (not unref'd). */
  get keepingAlive(): number {
    let count = 0
    for (const pending of this.timers.values()) if (pending.refed) count += 1
    return count
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle)
  }

  /** Timers not yet run. */
  get pending(): number {
    return this.timers.size
  }

  /** Moves time forward by `ms`, running every timer that falls due (including ones armed meanwhile). */
  advance(ms: number): void {
    const target = this.time + ms
    for (;;) {
      let next: [TimerHandle, Pending] | undefined
      for (const entry of this.timers) {
        if (entry[1].at > target) continue
        if (next === undefined || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq)) next = entry
      }
      if (next === undefined) break
      this.timers.delete(next[0])
      this.time = Math.max(this.time, next[1].at)
      next[1].fn()
    }
    this.time = target
  }
}
