/**
 * One timer for many deadlines, with a single clock timer armed for the earliest. Entries live in
 * one of two places:
 *
 *   the lane  entries added in time order (every task's deadline under one default timeout): a
 *             FIFO, O(1) to add and remove; a removed entry is skipped when the head reaches it
 *   the heap  everything else (retry delays, polls, per-task timeouts): an indexed binary
 *             min-heap, O(log n)
 *
 * So 100k pending tasks cost 100k slots, not 100k Node timers, and a settled task is released at
 * once or, in the lane, when the head passes it (the lane is compacted when most of it is stale).
 */
import { MAX_TIMER_MS } from './backoff.js'
import type { Clock, TimerHandle } from './clock.js'

export interface ScheduleEntry {
  /** When to fire (clock ms). Read-only outside this module: use `Schedule.move`. */
  at: number
  /** Position in the heap (≥ 0), a slot in the lane (≤ -2), or -1 when not scheduled. */
  index: number
  readonly fire: () => void
}

export function entry(fire: () => void): ScheduleEntry {
  return { at: 0, index: -1, fire }
}

export function isScheduled(item: ScheduleEntry): boolean {
  return item.index !== -1
}

/** Lane slots are numbered from 0 for the lane's life and stored in `index` as -2 - slot. */
const slotIndex = (slot: number): number => -2 - slot

export class Schedule {
  readonly #heap: ScheduleEntry[] = []
  /** Lane slots; a slot the head has passed is emptied at once, so what it held can be collected young. */
  readonly #lane: (ScheduleEntry | undefined)[] = []
  /** The slot number of `#lane[0]`, the position of the lane's first live entry, and live entries. */
  #laneBase = 0
  #laneHead = 0
  #laneLive = 0
  /** The time of the lane's last entry: an entry not earlier than it joins the lane. */
  #laneLast = -Infinity
  #timer: TimerHandle | undefined
  #timerAt = Infinity
  #firing = false

  constructor(
    private readonly clock: Clock,
    /** Whether the schedule's timer keeps the process alive. */
    private readonly keepAlive = true,
  ) {}

  get size(): number {
    return this.#heap.length + this.#laneLive
  }

  /** Where entries are kept: in the heap, live in the lane, and the lane's slots still held (stale ones too). */
  get layout(): { readonly heap: number; readonly lane: number; readonly laneSlots: number } {
    return { heap: this.#heap.length, lane: this.#laneLive, laneSlots: this.#lane.length }
  }

  /** Schedules `item` at `at`, or moves it there if already scheduled. */
  /** The clock's time now (entries are due at times on this scale). */
  now(): number {
    return this.clock.now()
  }

  add(item: ScheduleEntry, at: number): void {
    if (item.index !== -1) {
      this.move(item, at)
      return
    }
    item.at = at
    if (at >= this.#laneLast) {
      item.index = slotIndex(this.#laneBase + this.#lane.length)
      this.#lane.push(item)
      this.#laneLive += 1
      this.#laneLast = at
      // #arm decides: behind a live head it is not the earliest, and the armed timer stands.
      this.#arm()
      return
    }
    item.index = this.#heap.length
    this.#heap.push(item)
    this.#up(item.index)
    this.#arm()
  }

  move(item: ScheduleEntry, at: number): void {
    if (item.index === -1) {
      this.add(item, at)
      return
    }
    if (item.index <= -2) {
      this.remove(item)
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
    if (index === -1) return
    if (index <= -2) {
      this.#leaveLane(item)
      return
    }
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
    if (this.size === 0) this.#timer?.unref?.()
  }

  #leaveLane(item: ScheduleEntry): void {
    item.index = -1
    this.#laneLive -= 1
    if (this.#laneLive === 0) {
      this.#resetLane()
      if (this.#heap.length === 0) this.#timer?.unref?.()
      return
    }
    this.#skipStale()
    // Out-of-order removals leave stale slots behind a live head: compact when they are most of it.
    const stale = this.#lane.length - this.#laneHead - this.#laneLive
    if (stale > 1024 && stale > this.#laneLive) this.#compactLane()
  }

  /** The lane's first live entry, or undefined (an emptied lane is reset, and stale slots at its head are skipped at once). */
  #laneFirst(): ScheduleEntry | undefined {
    return this.#lane[this.#laneHead]
  }

  #skipStale(): void {
    const lane = this.#lane
    while (this.#laneHead < lane.length && lane[this.#laneHead]?.index !== slotIndex(this.#laneBase + this.#laneHead)) lane[this.#laneHead++] = undefined
    if (this.#laneHead > 1024 && this.#laneHead * 2 > lane.length) {
      lane.splice(0, this.#laneHead)
      this.#laneBase += this.#laneHead
      this.#laneHead = 0
    }
  }

  #compactLane(): void {
    const live = this.#lane.filter((item, position): item is ScheduleEntry => item?.index === slotIndex(this.#laneBase + position))
    this.#laneBase += this.#lane.length
    this.#lane.length = 0
    this.#laneHead = 0
    for (const item of live) {
      item.index = slotIndex(this.#laneBase + this.#lane.length)
      this.#lane.push(item)
    }
  }

  #resetLane(): void {
    this.#laneBase += this.#lane.length
    this.#lane.length = 0
    this.#laneHead = 0
    this.#laneLast = -Infinity
  }

  /** Drops every entry and the timer. */
  clear(): void {
    for (const item of this.#heap) item.index = -1
    this.#heap.length = 0
    // Slots behind the head are empty; a stale one names another slot.
    for (const [position, item] of this.#lane.entries()) if (item?.index === slotIndex(this.#laneBase + position)) item.index = -1
    this.#laneLive = 0
    this.#resetLane()
    this.#disarm()
  }

  #run = (): void => {
    this.#timer = undefined
    this.#timerAt = Infinity
    this.#firing = true
    try {
      const now = this.clock.now()
      for (let head = this.#earliest(); head !== undefined && head.at <= now; head = this.#earliest()) {
        this.remove(head)
        head.fire()
      }
    } finally {
      this.#firing = false
      this.#arm()
    }
  }

  #earliest(): ScheduleEntry | undefined {
    const heap = this.#heap[0]
    const lane = this.#laneFirst()
    if (heap === undefined) return lane
    return lane === undefined || heap.at <= lane.at ? heap : lane
  }

  #arm(): void {
    if (this.#firing) return
    const head = this.#earliest()
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
    const now = this.clock.now()
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, head.at - now))
    // The entry's own time, from one clock reading: a second read (now + wait) lands after the
    // entry, and every check after it would re-arm a timer that was right.
    this.#timerAt = Math.min(head.at, now + MAX_TIMER_MS)
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
    for (;;) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex]
      // The root has none: heap[-1] is undefined.
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
    for (;;) {
      const leftIndex = 2 * index + 1
      const left = heap[leftIndex]
      // Past the end: a leaf.
      if (left === undefined) break
      const right = heap[leftIndex + 1]
      let childIndex = leftIndex
      let child = left
      if (right !== undefined && right.at < left.at) {
        childIndex = leftIndex + 1
        child = right
      }
      if (child.at >= item.at) break
      heap[index] = child
      child.index = index
      index = childIndex
    }
    heap[index] = item
    item.index = index
  }
}
