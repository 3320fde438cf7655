import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { systemClock, type Clock, type TimerHandle } from '../../lib/support/clock.js'
import { Schedule, entry, isScheduled, type ScheduleEntry } from '../../lib/support/schedule.js'
import { ManualClock } from '../helpers/manual-clock.js'

const T0 = 1_700_000_000_000

function setup(): { clock: ManualClock; schedule: Schedule; fired: string[]; make: (name: string) => ScheduleEntry; times: Map<string, number> } {
  const clock = new ManualClock(T0)
  const schedule = new Schedule(clock)
  const fired: string[] = []
  const times = new Map<string, number>()
  const make = (name: string): ScheduleEntry =>
    entry(() => {
      fired.push(name)
      times.set(name, clock.now())
    })
  return { clock, schedule, fired, make, times }
}

describe('Schedule', () => {
  it('entry() starts unscheduled', () => {
    const e = entry(() => undefined)
    expect(e.index).toBe(-1)
    expect(e.at).toBe(0)
  })

  it('many entries in time order, most removed out of order: the rest fire in order, and the removed never', () => {
    const { clock, schedule, fired, make } = setup()
    const entries = Array.from({ length: 5_000 }, (_, i) => make(String(i)))
    entries.forEach((e, i) => schedule.add(e, T0 + 1_000 + i))
    // Remove from the back and the middle first, then keep every tenth: stale slots pile up behind a live head.
    for (let i = entries.length - 1; i >= 0; i--) if (i % 10 !== 0) schedule.remove(entries[i]!)
    expect(schedule.size).toBe(500)
    const late = make('late')
    schedule.add(late, T0 + 500)
    clock.advance(10_000)
    expect(fired).toEqual(['late', ...entries.flatMap((_, i) => (i % 10 === 0 ? [String(i)] : []))])
    expect(schedule.size).toBe(0)
    expect(entries.every((e) => !isScheduled(e))).toBe(true)
  })

  it('fires entries in time order, each at its own time, whatever the insertion order', () => {
    const { clock, schedule, fired, make, times } = setup()
    schedule.add(make('c'), T0 + 300)
    schedule.add(make('a'), T0 + 100)
    schedule.add(make('d'), T0 + 400)
    schedule.add(make('b'), T0 + 200)
    expect(schedule.size).toBe(4)
    clock.advance(99)
    expect(fired).toEqual([])
    clock.advance(1)
    expect(fired).toEqual(['a'])
    clock.advance(1_000)
    expect(fired).toEqual(['a', 'b', 'c', 'd'])
    expect([...times]).toEqual([
      ['a', T0 + 100],
      ['b', T0 + 200],
      ['c', T0 + 300],
      ['d', T0 + 400],
    ])
    expect(schedule.size).toBe(0)
    expect(clock.pending).toBe(0)
  })

  it('a fired entry is unscheduled and may be added again', () => {
    const { clock, schedule, fired, make } = setup()
    const a = make('a')
    schedule.add(a, T0 + 10)
    clock.advance(10)
    expect(a.index).toBe(-1)
    schedule.add(a, T0 + 20)
    clock.advance(10)
    expect(fired).toEqual(['a', 'a'])
  })

  it('an entry due now or in the past fires on the next advance, even advance(0)', () => {
    const { clock, schedule, fired, make, times } = setup()
    schedule.add(make('past'), T0 - 500)
    schedule.add(make('now'), T0)
    clock.advance(0)
    expect(fired.sort()).toEqual(['now', 'past'])
    expect(times.get('past')).toBe(T0)
  })

  it('removing an entry prevents its firing; removing twice or an unscheduled entry is harmless', () => {
    const { clock, schedule, fired, make } = setup()
    const a = make('a')
    const b = make('b')
    const c = make('c')
    schedule.add(a, T0 + 100)
    schedule.add(b, T0 + 200)
    schedule.add(c, T0 + 300)
    schedule.remove(b)
    schedule.remove(b)
    schedule.remove(make('never-added'))
    expect(b.index).toBe(-1)
    expect(schedule.size).toBe(2)
    schedule.remove(a) // the head: its timer stays armed and must find nothing due
    clock.advance(1_000)
    expect(fired).toEqual(['c'])
  })

  it('removing the last entry leaves no timer that keeps the process alive, and the next add reuses it', () => {
    const { clock, schedule, fired, make } = setup()
    const a = make('a')
    schedule.add(a, T0 + 100)
    expect(clock.keepingAlive).toBe(1)
    schedule.remove(a)
    expect(clock.keepingAlive).toBe(0)
    expect(schedule.size).toBe(0)
    const b = make('b')
    schedule.add(b, T0 + 200)
    expect(clock.pending).toBe(1)
    expect(clock.keepingAlive).toBe(1)
    clock.advance(200)
    expect(fired).toEqual(['b'])
    expect(clock.pending).toBe(0)
  })

  it('moves an entry earlier and later', () => {
    const { clock, schedule, fired, make, times } = setup()
    const a = make('a')
    const b = make('b')
    const c = make('c')
    schedule.add(a, T0 + 100)
    schedule.add(b, T0 + 200)
    schedule.add(c, T0 + 300)
    schedule.move(c, T0 + 50) // earlier than everything
    schedule.move(a, T0 + 250) // later than b
    clock.advance(1_000)
    expect(fired).toEqual(['c', 'b', 'a'])
    expect(times.get('c')).toBe(T0 + 50)
    expect(times.get('a')).toBe(T0 + 250)
  })

  it('moving the head later does not fire it at its old time', () => {
    const { clock, schedule, fired, make, times } = setup()
    const a = make('a')
    schedule.add(a, T0 + 100)
    schedule.move(a, T0 + 500)
    clock.advance(499)
    expect(fired).toEqual([])
    expect(clock.pending).toBe(1)
    clock.advance(1)
    expect(fired).toEqual(['a'])
    expect(times.get('a')).toBe(T0 + 500)
  })

  it('add() on a scheduled entry moves it; move() on an unscheduled one adds it', () => {
    const { clock, schedule, fired, make, times } = setup()
    const a = make('a')
    const b = make('b')
    schedule.add(a, T0 + 100)
    schedule.add(a, T0 + 300)
    expect(schedule.size).toBe(1)
    schedule.move(b, T0 + 200)
    expect(schedule.size).toBe(2)
    clock.advance(1_000)
    expect(fired).toEqual(['b', 'a'])
    expect(times.get('a')).toBe(T0 + 300)
  })

  it('keeps at most ONE clock timer pending, however many entries', () => {
    const { clock, schedule, make } = setup()
    const entries: ScheduleEntry[] = []
    let seed = 12_345
    const rand = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
      return seed / 2_147_483_648
    }
    for (let i = 0; i < 2_000; i++) {
      const e = make(`e${i}`)
      entries.push(e)
      schedule.add(e, T0 + Math.floor(rand() * 10_000))
      expect(clock.pending).toBe(1)
    }
    for (let i = 0; i < 500; i++) {
      schedule.move(entries[i]!, T0 + Math.floor(rand() * 10_000))
      expect(clock.pending).toBe(1)
    }
    for (let i = 500; i < 1_000; i++) {
      schedule.remove(entries[i]!)
      expect(clock.pending).toBeLessThanOrEqual(1)
    }
    expect(schedule.size).toBe(1_500)
    for (let step = 0; step < 100; step++) {
      clock.advance(100)
      expect(clock.keepingAlive).toBe(schedule.size > 0 ? 1 : 0)
    }
    expect(schedule.size).toBe(0)
    expect(clock.keepingAlive).toBe(0)
  })

  it('clear() drops every entry and leaves no timer', () => {
    const { clock, schedule, fired, make } = setup()
    const list = ['a', 'b', 'c'].map(make)
    list.forEach((e, i) => {
      schedule.add(e, T0 + 100 * (i + 1))
    })
    schedule.clear()
    expect(clock.pending).toBe(0)
    expect(schedule.size).toBe(0)
    expect(list.map((e) => e.index)).toEqual([-1, -1, -1])
    clock.advance(10_000)
    expect(fired).toEqual([])
    // still usable afterwards
    schedule.add(list[0]!, T0 + 10_100)
    clock.advance(100)
    expect(fired).toEqual(['a'])
  })

  it('entries that went to the heap (added out of order) may be added again after clear()', () => {
    const { clock, schedule, fired, make } = setup()
    const [late, early, middle] = ['late', 'early', 'middle'].map(make) as [ScheduleEntry, ScheduleEntry, ScheduleEntry]
    schedule.add(late, T0 + 300)
    schedule.add(early, T0 + 100)
    schedule.add(middle, T0 + 200)
    schedule.clear()
    expect([late, early, middle].map((e) => e.index)).toEqual([-1, -1, -1])
    schedule.add(early, T0 + 50)
    schedule.add(middle, T0 + 60)
    clock.advance(60)
    expect(fired).toEqual(['early', 'middle'])
  })

  it('an entry earlier than every other, added once the in-order ones are gone, fires on time', () => {
    const { clock, schedule, make, times } = setup()
    const a = make('a')
    const c = make('c')
    const b = make('b')
    const soon = make('soon')
    schedule.add(a, T0 + 100)
    schedule.add(c, T0 + 300)
    schedule.add(b, T0 + 200) // out of order
    schedule.remove(a)
    schedule.remove(c)
    // Only b is left, and the timer is armed for it (T0 + 200); soon must not wait for b.
    schedule.add(soon, T0 + 50)
    clock.advance(300)
    expect(times.get('soon')).toBe(T0 + 50)
    expect(times.get('b')).toBe(T0 + 200)
  })

  it("with keepAlive false, moving an entry later keeps the timer unref'd", () => {
    const clock = new ManualClock(T0)
    const schedule = new Schedule(clock, false)
    const e = entry(() => undefined)
    schedule.add(e, T0 + 100)
    schedule.move(e, T0 + 200)
    expect(clock.pending).toBe(1)
    expect(clock.keepingAlive).toBe(0)
  })

  it('an entry added from inside a firing callback fires correctly (due now, and later)', () => {
    const { clock, schedule, fired, make, times } = setup()
    const dueNow = make('dueNow')
    const later = make('later')
    const first = entry(() => {
      fired.push('first')
      expect(clock.pending).toBe(0)
      schedule.add(dueNow, clock.now())
      schedule.add(later, clock.now() + 50)
      expect(clock.pending).toBe(0) // no re-arming while firing
    })
    schedule.add(first, T0 + 100)
    schedule.add(make('other'), T0 + 120)
    clock.advance(100)
    expect(fired).toEqual(['first', 'dueNow'])
    expect(times.get('dueNow')).toBe(T0 + 100)
    expect(clock.pending).toBe(1)
    clock.advance(100)
    expect(fired).toEqual(['first', 'dueNow', 'other', 'later'])
    expect(times.get('later')).toBe(T0 + 150)
    expect(clock.pending).toBe(0)
  })

  it('an entry re-adding itself from its callback keeps firing at the new time', () => {
    const { clock, schedule } = setup()
    const ticks: number[] = []
    const tick: ScheduleEntry = entry(() => {
      ticks.push(clock.now() - T0)
      if (ticks.length < 4) schedule.add(tick, clock.now() + 30)
    })
    schedule.add(tick, T0 + 30)
    clock.advance(1_000)
    expect(ticks).toEqual([30, 60, 90, 120])
    expect(clock.pending).toBe(0)
  })

  it('a callback removing a later entry prevents it from firing', () => {
    const { clock, schedule, fired, make } = setup()
    const victim = make('victim')
    schedule.add(
      entry(() => {
        fired.push('remover')
        schedule.remove(victim)
      }),
      T0 + 100,
    )
    schedule.add(victim, T0 + 101)
    clock.advance(1_000)
    expect(fired).toEqual(['remover'])
    expect(clock.pending).toBe(0)
  })

  it('a callback may clear() the schedule', () => {
    const { clock, schedule, fired, make } = setup()
    schedule.add(
      entry(() => {
        fired.push('clearer')
        schedule.clear()
      }),
      T0 + 100,
    )
    schedule.add(make('b'), T0 + 100)
    schedule.add(make('c'), T0 + 200)
    clock.advance(1_000)
    expect(fired[0] === 'clearer' || fired[0] === 'b').toBe(true)
    expect(fired).not.toContain('c')
    expect(schedule.size).toBe(0)
    expect(clock.pending).toBe(0)
  })

  it('a throwing callback does not wedge the schedule', () => {
    const { clock, schedule, fired, make } = setup()
    schedule.add(
      entry(() => {
        throw new Error('boom')
      }),
      T0 + 100,
    )
    schedule.add(make('b'), T0 + 150)
    expect(() => {
      clock.advance(200)
    }).toThrow('boom')
    expect(clock.pending).toBe(1)
    clock.advance(100)
    expect(fired).toEqual(['b'])
  })

  it('unrefs its timer when keepAlive is false, and only then', () => {
    const unrefs: number[] = []
    const recording = (): Clock => {
      const inner = new ManualClock(T0)
      return {
        now: () => inner.now(),
        setTimeout: (fn, ms) => {
          const handle = inner.setTimeout(fn, ms)
          return {
            unref: () => {
              unrefs.push(ms)
              return handle
            },
          }
        },
        clearTimeout: () => undefined,
      }
    }
    new Schedule(recording(), false).add(
      entry(() => undefined),
      T0 + 10,
    )
    expect(unrefs).toEqual([10])
    new Schedule(recording()).add(
      entry(() => undefined),
      T0 + 10,
    )
    expect(unrefs).toEqual([10])
  })

  describe('against the Node timer limit', () => {
    afterEach(() => {
      vi.useRealTimers()
    })

    // Node (and vitest's fake timers) turn a delay above 2^31 - 1 ms (~24.8 days) into 1 ms: a far
    // deadline (run(task, { timeoutMs: 30 days })) must be reached in steps of at most that
    // (MAX_TIMER_MS), not by waking and re-arming every millisecond.
    it('an entry 30 days away does not wake the process every millisecond', () => {
      vi.useFakeTimers()
      let arms = 0
      const counting: Clock = {
        now: () => systemClock.now(),
        setTimeout: (fn, ms): TimerHandle => {
          arms += 1
          return systemClock.setTimeout(fn, ms)
        },
        clearTimeout: (handle) => {
          systemClock.clearTimeout(handle)
        },
      }
      const schedule = new Schedule(counting)
      let fired = 0
      schedule.add(
        entry(() => {
          fired += 1
        }),
        systemClock.now() + 30 * 24 * 3_600_000,
      )
      vi.advanceTimersByTime(100)
      expect(fired).toBe(0)
      expect(arms).toBeLessThanOrEqual(2)
    })
  })

  it.each([
    ['scattered times', fc.integer({ min: -20, max: 200 })],
    // Mostly one fixed timeout: entries join the lane in time order, and leave it out of order.
    ['mostly one timeout', fc.oneof({ weight: 4, arbitrary: fc.constant(100) }, { weight: 1, arbitrary: fc.integer({ min: -20, max: 200 }) })],
  ])('fires exactly what a naive model says, in order (random add/move/remove/advance, %s)', (_name, delta) => {
    const IDS = 8
    type Op =
      | { kind: 'add'; id: number; delta: number }
      | { kind: 'move'; id: number; delta: number }
      | { kind: 'remove'; id: number }
      | { kind: 'advance'; ms: number }
    const id = fc.integer({ min: 0, max: IDS - 1 })
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), id, delta }),
      fc.record({ kind: fc.constant('move' as const), id, delta }),
      fc.record({ kind: fc.constant('remove' as const), id }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constant(0)) }),
    )

    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const clock = new ManualClock(T0)
        const schedule = new Schedule(clock)
        const fired: { id: number; at: number; time: number }[] = []
        const entries = Array.from({ length: IDS }, (_, i) => {
          const e: ScheduleEntry = entry(() => fired.push({ id: i, at: e.at, time: clock.now() }))
          return e
        })
        const model = new Map<number, number>()

        for (const o of [...ops, { kind: 'advance', ms: 10_000 } as const]) {
          fired.length = 0
          let expected: { id: number; at: number; time: number }[] = []
          switch (o.kind) {
            case 'add':
              schedule.add(entries[o.id]!, clock.now() + o.delta)
              model.set(o.id, clock.now() + o.delta)
              break
            case 'move':
              schedule.move(entries[o.id]!, clock.now() + o.delta)
              model.set(o.id, clock.now() + o.delta)
              break
            case 'remove':
              schedule.remove(entries[o.id]!)
              model.delete(o.id)
              break
            case 'advance': {
              const start = clock.now()
              const target = start + o.ms
              expected = [...model].filter(([, at]) => at <= target).map(([i, at]) => ({ id: i, at, time: Math.max(at, start) }))
              for (const e of expected) model.delete(e.id)
              clock.advance(o.ms)
              break
            }
          }
          // Same entries, each at its due time (or at once if already overdue) ...
          const byTimeThenId = (a: { id: number; time: number }, b: { id: number; time: number }): number => a.time - b.time || a.id - b.id
          expect([...fired].sort(byTimeThenId)).toEqual([...expected].sort(byTimeThenId))
          // ... and in due order (ties in any order).
          for (let i = 1; i < fired.length; i++) expect(fired[i]!.at).toBeGreaterThanOrEqual(fired[i - 1]!.at)
          // Bookkeeping and the one-timer invariant.
          expect(schedule.size).toBe(model.size)
          expect(clock.pending).toBeLessThanOrEqual(1)
          expect(clock.keepingAlive).toBe(model.size > 0 ? 1 : 0)
          entries.forEach((e, i) => {
            expect(isScheduled(e)).toBe(model.has(i))
            if (model.has(i)) expect(e.at).toBe(model.get(i))
          })
        }
      }),
      { numRuns: 500 },
    )
  })
})
