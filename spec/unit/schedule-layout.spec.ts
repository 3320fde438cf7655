/**
 * Where the schedule keeps its entries and how often it arms a timer (support/schedule.ts): what
 * makes 100,000 pending deadlines cost 100,000 slots and one Node timer. The firing order is the
 * model property's business (schedule.spec.ts); this is about the cost.
 */
import { describe, expect, it } from 'vitest'
import type { Clock, TimerHandle } from '../../lib/support/clock.js'
import { entry, Schedule, type ScheduleEntry } from '../../lib/support/schedule.js'
import { ManualClock } from '../helpers/manual-clock.js'

const T0 = 1_000_000

/** A manual clock that counts the timers armed and cleared. */
function counting(): { clock: ManualClock; counted: Clock; arms: number[]; clears: () => number } {
  const clock = new ManualClock(T0)
  const arms: number[] = []
  let clears = 0
  const counted: Clock = {
    now: () => clock.now(),
    setTimeout: (fn, ms): TimerHandle => {
      arms.push(ms)
      return clock.setTimeout(fn, ms)
    },
    clearTimeout: (handle) => {
      clears += 1
      clock.clearTimeout(handle)
    },
  }
  return { clock, counted, arms, clears: () => clears }
}

function entries(n: number, fired: number[] = []): ScheduleEntry[] {
  return Array.from({ length: n }, (_, i) => entry(() => fired.push(i)))
}

describe('the lane and the heap', () => {
  it('entries added in time order (equal times too) go to the lane; an earlier one goes to the heap', () => {
    const schedule = new Schedule(new ManualClock(T0))
    const [a, b, c, d] = entries(4) as [ScheduleEntry, ScheduleEntry, ScheduleEntry, ScheduleEntry]
    schedule.add(a, T0 + 100)
    schedule.add(b, T0 + 100)
    schedule.add(c, T0 + 200)
    expect(schedule.layout).toEqual({ heap: 0, lane: 3, laneSlots: 3 })
    schedule.add(d, T0 + 150)
    expect(schedule.layout).toEqual({ heap: 1, lane: 3, laneSlots: 3 })
  })

  it('the first entry ever goes to the lane, however early', () => {
    const schedule = new Schedule(new ManualClock(T0))
    schedule.add(
      entry(() => undefined),
      -1e15,
    )
    expect(schedule.layout).toEqual({ heap: 0, lane: 1, laneSlots: 1 })
  })

  it('moving a heap entry keeps it in the heap; moving a lane entry re-adds it (to the lane when it is the latest)', () => {
    const schedule = new Schedule(new ManualClock(T0))
    const [a, b, c] = entries(3) as [ScheduleEntry, ScheduleEntry, ScheduleEntry]
    schedule.add(a, T0 + 100)
    schedule.add(b, T0 + 50)
    expect(schedule.layout).toEqual({ heap: 1, lane: 1, laneSlots: 1 })
    schedule.move(b, T0 + 500)
    expect(schedule.layout).toEqual({ heap: 1, lane: 1, laneSlots: 1 })
    schedule.add(c, T0 + 600)
    schedule.move(a, T0 + 700)
    // a's first slot is left behind the head until a splice or a reset lets it go.
    expect(schedule.layout).toEqual({ heap: 1, lane: 2, laneSlots: 3 })
    schedule.move(c, T0 + 10)
    expect(schedule.layout).toEqual({ heap: 2, lane: 1, laneSlots: 3 })
  })

  it('once the lane is empty it starts over: the next entry joins it whatever its time', () => {
    const schedule = new Schedule(new ManualClock(T0))
    const [a, b] = entries(2) as [ScheduleEntry, ScheduleEntry]
    schedule.add(a, T0 + 1_000)
    schedule.remove(a)
    expect(schedule.layout).toEqual({ heap: 0, lane: 0, laneSlots: 0 })
    schedule.add(b, T0 + 10)
    expect(schedule.layout).toEqual({ heap: 0, lane: 1, laneSlots: 1 })
  })

  it('clear() empties both and starts the lane over', () => {
    const schedule = new Schedule(new ManualClock(T0))
    const all = entries(3)
    schedule.add(all[0]!, T0 + 100)
    schedule.add(all[1]!, T0 + 50)
    schedule.clear()
    expect(schedule.layout).toEqual({ heap: 0, lane: 0, laneSlots: 0 })
    schedule.add(all[2]!, T0 + 1)
    expect(schedule.layout).toEqual({ heap: 0, lane: 1, laneSlots: 1 })
  })
})

describe('slots let go', () => {
  it('removals behind a live head are compacted once stale slots pass 1024 and outnumber the live ones', () => {
    const schedule = new Schedule(new ManualClock(T0))
    const all = entries(1_500)
    all.forEach((item, i) => schedule.add(item, T0 + 1_000 + i))
    // From the tail: the head stays live, so nothing is skipped, only left stale.
    for (let i = 1_499; i >= 476; i--) schedule.remove(all[i]!)
    expect(schedule.layout).toEqual({ heap: 0, lane: 476, laneSlots: 1_500 })
    schedule.remove(all[475]!)
    expect(schedule.layout).toEqual({ heap: 0, lane: 475, laneSlots: 475 })
  })

  it('stale slots must outnumber the live ones, not just equal them', () => {
    const schedule = new Schedule(new ManualClock(T0))
    const all = entries(2_052)
    all.forEach((item, i) => schedule.add(item, T0 + 1_000 + i))
    for (let i = 2_051; i >= 1_026; i--) schedule.remove(all[i]!)
    expect(schedule.layout).toEqual({ heap: 0, lane: 1_026, laneSlots: 2_052 })
    schedule.remove(all[1_025]!)
    expect(schedule.layout).toEqual({ heap: 0, lane: 1_025, laneSlots: 1_025 })
  })

  it('what survives a compaction still fires, in order', () => {
    const clock = new ManualClock(T0)
    const schedule = new Schedule(clock)
    const fired: number[] = []
    const all = entries(1_500, fired)
    all.forEach((item, i) => schedule.add(item, T0 + 1_000 + i))
    for (let i = 1_499; i >= 3; i--) schedule.remove(all[i]!)
    // Compacted once, at 475 live; the 472 removed since are too few to compact again.
    expect(schedule.layout).toEqual({ heap: 0, lane: 3, laneSlots: 475 })
    clock.advance(2_000)
    expect(fired).toEqual([0, 1, 2])
    expect(schedule.layout).toEqual({ heap: 0, lane: 0, laneSlots: 0 })
  })

  it('slots the head has passed are spliced off once more than 1024 and over half the lane', () => {
    const clock = new ManualClock(T0)
    const schedule = new Schedule(clock)
    const all = entries(2_000)
    all.forEach((item, i) => schedule.add(item, T0 + 1 + i))
    // The first 1024 fire: the head passes them (1024 is not more than 1024).
    clock.advance(1_024)
    expect(schedule.layout).toEqual({ heap: 0, lane: 976, laneSlots: 2_000 })
    clock.advance(1)
    expect(schedule.layout).toEqual({ heap: 0, lane: 975, laneSlots: 975 })
  })

  it('…and not while they are half the lane or less', () => {
    const clock = new ManualClock(T0)
    const schedule = new Schedule(clock)
    const all = entries(3_000)
    all.forEach((item, i) => schedule.add(item, T0 + 1 + i))
    for (let i = 0; i < 1_500; i++) schedule.remove(all[i]!)
    expect(schedule.layout).toEqual({ heap: 0, lane: 1_500, laneSlots: 3_000 })
    schedule.remove(all[1_500]!)
    expect(schedule.layout).toEqual({ heap: 0, lane: 1_499, laneSlots: 1_499 })
  })
})

describe('one timer', () => {
  it('a thousand deadlines in time order arm one timer', () => {
    const { counted, arms } = counting()
    const schedule = new Schedule(counted)
    entries(1_000).forEach((item, i) => schedule.add(item, T0 + 100 + i))
    expect(arms).toEqual([100])
  })

  it('a clock that moves between two reads (a real one): the timer armed for an entry is not re-armed for it', () => {
    let time = 0
    const arms: number[] = []
    const schedule = new Schedule({
      // Every read is a millisecond later, as a busy real clock may be.
      now: () => (time += 1),
      setTimeout: (_fn, ms) => {
        arms.push(ms)
        return {}
      },
      clearTimeout: () => undefined,
    })
    const [a, b, c] = entries(3) as [ScheduleEntry, ScheduleEntry, ScheduleEntry]
    schedule.add(a, 1_000)
    schedule.add(b, 1_000.5)
    // To the heap; the head is still a, whose timer is armed.
    schedule.add(c, 1_000.2)
    expect(arms).toHaveLength(1)
  })

  it('an entry later than the armed timer does not re-arm it; an earlier one does', () => {
    const { counted, arms } = counting()
    const schedule = new Schedule(counted)
    const [a, b, c, d] = entries(4) as [ScheduleEntry, ScheduleEntry, ScheduleEntry, ScheduleEntry]
    schedule.add(a, T0 + 100)
    schedule.add(b, T0 + 50)
    expect(arms).toEqual([100, 50])
    // At the armed time exactly: the armed timer does.
    schedule.add(d, T0 + 50)
    schedule.move(b, T0 + 70)
    expect(arms).toEqual([100, 50])
    schedule.add(c, T0 + 60)
    expect(arms).toEqual([100, 50])
  })

  it('removing the head leaves the timer armed (it finds nothing due and re-arms for what is next)', () => {
    const { clock, counted, arms, clears } = counting()
    const schedule = new Schedule(counted)
    const fired: number[] = []
    const [a, b] = entries(2, fired) as [ScheduleEntry, ScheduleEntry]
    schedule.add(a, T0 + 100)
    schedule.add(b, T0 + 200)
    schedule.remove(a)
    expect(clears()).toBe(0)
    clock.advance(100)
    expect(fired).toEqual([])
    expect(arms).toEqual([100, 100])
    clock.advance(100)
    expect(fired).toEqual([1])
  })

  it('a lane entry added after the lane emptied while a heap entry holds the timer re-arms only if earlier', () => {
    const { counted, arms } = counting()
    const schedule = new Schedule(counted)
    const [a, b, c] = entries(3) as [ScheduleEntry, ScheduleEntry, ScheduleEntry]
    schedule.add(a, T0 + 300)
    schedule.add(b, T0 + 100)
    schedule.remove(a)
    expect(schedule.layout).toEqual({ heap: 1, lane: 0, laneSlots: 0 })
    schedule.add(c, T0 + 200)
    expect(arms).toEqual([300, 100])
    const d = entry(() => undefined)
    schedule.remove(c)
    schedule.add(d, T0 + 50)
    expect(arms).toEqual([300, 100, 50])
  })
})
