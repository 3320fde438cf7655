/**
 * One timer for many deadlines: an indexed binary min-heap of entries by time, with a single
 * clock timer armed for the earliest. Adding, removing and moving an entry are O(log n), so 100k
 * pending tasks cost 100k heap slots, not 100k Node timers, and a settled task leaves the heap at
 * once (nothing is held until its deadline).
 */
import { MAX_TIMER_MS } from './backoff.js'
import type { Clock, TimerHandle } from './clock.js'

export interface ScheduleEntry {
  /** When to fire (clock ms). Read-only outside this module: use `Schedule.move`. */
  at: number
  /** Position in the heap; -1 when not scheduled. */
  index: number
  readonly fire: () => void
}

export function entry(fire: () => void): ScheduleEntry {
  return { at: 0, index: -1, fire }
}

export class Schedule {
  readonly #heap: ScheduleEntry[] = []
  #timer: TimerHandle | undefined
  #timerAt = Infinity
  #firing = false

  constructor(
    private readonly clock: Clock,
    /** Whether the schedule's timer keeps the process alive. */
    private readonly keepAlive = true,
  ) {}

  get size(): number {
    return this.#heap.length
  }

  /** Schedules `item` at `at`, or moves it there if already scheduled. */
  add(item: ScheduleEntry, at: number): void {
    if (item.index >= 0) {
      this.move(item, at)
      return
    }
    item.at = at
    item.index = this.#heap.length
    this.#heap.push(item)
    this.#up(item.index)
    this.#arm()
  }

  move(item: ScheduleEntry, at: number): void {
    if (item.index < 0) {
      this.add(item, at)
      return
    }
    const earlier = at < item.at
    item.at = at
    if (earlier) this.#up(item.index)
    else this.#down(item.index)
    this.#arm()
  }

  remove(item: ScheduleEntry): void {
    const index = item.index
    if (index < 0) return
    item.index = -1
    const last = this.#heap.pop()
    if (last !== undefined && last !== item) {
      this.#heap[index] = last
      last.index = index
      this.#down(index)
      this.#up(last.index)
    }
    // The timer stays armed: it may fire early and find nothing due, which is cheaper than
    // re-arming on every removal (most removals are of tasks that settled normally). With nothing
    // left it no longer holds the process open; `await run()` in a loop then costs no
    // setTimeout/clearTimeout pair per task.
    if (this.#heap.length === 0) this.#timer?.unref?.()
  }

  /** Drops every entry and the timer. */
  clear(): void {
    for (const item of this.#heap) item.index = -1
    this.#heap.length = 0
    this.#disarm()
  }

  #run = (): void => {
    this.#timer = undefined
    this.#timerAt = Infinity
    this.#firing = true
    try {
      const now = this.clock.now()
      for (let head = this.#heap[0]; head !== undefined && head.at <= now; head = this.#heap[0]) {
        this.remove(head)
        head.fire()
      }
    } finally {
      this.#firing = false
      this.#arm()
    }
  }

  #arm(): void {
    if (this.#firing) return
    const head = this.#heap[0]
    if (head === undefined) {
      this.#disarm()
      return
    }
    if (this.#timer !== undefined && this.#timerAt <= head.at) {
      if (this.keepAlive) this.#timer.ref?.()
      return
    }
    this.#disarm()
    // A far entry (a 30-day deadline) is reached in steps: Node fires longer timers after 1 ms.
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, head.at - this.clock.now()))
    this.#timerAt = this.clock.now() + wait
    this.#timer = this.clock.setTimeout(this.#run, wait)
    if (!this.keepAlive) this.#timer.unref?.()
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#timerAt = Infinity
  }

  #up(index: number): void {
    const heap = this.#heap
    const item = heap[index]
    if (item === undefined) return
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex]
      if (parent === undefined || parent.at <= item.at) break
      heap[index] = parent
      parent.index = index
      index = parentIndex
    }
    heap[index] = item
    item.index = index
  }

  #down(index: number): void {
    const heap = this.#heap
    const item = heap[index]
    if (item === undefined) return
    const length = heap.length
    for (;;) {
      const leftIndex = 2 * index + 1
      if (leftIndex >= length) break
      const left = heap[leftIndex]
      const right = heap[leftIndex + 1]
      let childIndex = leftIndex
      let child = left
      if (right !== undefined && left !== undefined && right.at < left.at) {
        childIndex = leftIndex + 1
        child = right
      }
      if (child === undefined || child.at >= item.at) break
      heap[index] = child
      child.index = index
      index = childIndex
    }
    heap[index] = item
    item.index = index
  }
}
