/**
 * The adaptive limit as data (capacity/limiter.ts): a table of cases, and properties against a
 * modelled server (K slots, a queue, latency = service × max(1, in flight ÷ K)): never out of
 * [min, max], settles near K, recovers after capacity returns.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { initialState, LIMITER_DEFAULTS, observe, wholeLimit, type LimiterState, type Observation } from '../../lib/capacity/limiter.js'

const settings = { initial: 4, min: 1, max: 256 }
const ROUND = LIMITER_DEFAULTS.roundSamples

/** `n` rounds of latency samples of `ms` each, with `inFlight` out. */
function rounds(state: LimiterState, n: number, ms: number, inFlight: number, now = 0): LimiterState {
  let next = state
  for (let round = 0; round < n; round++) {
    const samples = Math.max(ROUND, Math.ceil(next.limit)) - next.count
    for (let i = 0; i < samples; i++) next = observe(next, { kind: 'latency', ms, inFlight, now }, settings)
  }
  return next
}

describe('the limiter, case by case', () => {
  const cases: { name: string; run: () => LimiterState; expect: (state: LimiterState) => void }[] = [
    {
      name: 'no decision before a round is complete',
      run: () => {
        let state = initialState(settings)
        for (let i = 0; i < ROUND - 1; i++) state = observe(state, { kind: 'latency', ms: 100, inFlight: 4, now: 0 }, settings)
        return state
      },
      expect: (state) => expect(state.limit).toBe(4),
    },
    {
      name: 'steady latency with the limit used: grows by about √limit × growth per round',
      run: () => rounds(initialState(settings), 2, 100, 4),
      expect: (s) => expect(s.limit).toBeGreaterThan(4.9),
    },
    { name: 'steady latency with the limit unused: stays', run: () => rounds(initialState(settings), 3, 100, 1), expect: (s) => expect(s.limit).toBe(4) },
    {
      name: 'latency twice the baseline: shrinks by the gradient (baseline × 1.2 ÷ latency = 0.6)',
      run: () => {
        const before = rounds({ ...initialState(settings), limit: 40 }, 1, 100, 40)
        const after = rounds(before, 1, 200, 40)
        return { ...after, cutAt: before.limit }
      },
      expect: (s) => expect(s.limit).toBeCloseTo(s.cutAt * 0.6, 5),
    },
    {
      name: 'latency within the tolerance: does not shrink',
      run: () => rounds(rounds({ ...initialState(settings), limit: 40 }, 1, 100, 40), 1, 115, 40),
      expect: (s) => expect(s.limit).toBeGreaterThanOrEqual(40),
    },
    {
      name: 'a capacity code cuts multiplicatively',
      run: () => observe({ ...initialState(settings), limit: 100 }, { kind: 'capacity', now: 1_000 }, settings),
      expect: (s) => expect(s.limit).toBeCloseTo(100 * LIMITER_DEFAULTS.cut),
    },
    {
      name: 'codes for tasks sent before the last cut are that overload: one cut; a task sent after it cuts again',
      run: () => {
        let state: LimiterState = { ...initialState(settings), limit: 100, last: 200 }
        // Twenty tasks sent at 900–919 ms, refused from 1,000 ms on.
        for (let t = 0; t < 20; t++) state = observe(state, { kind: 'capacity', now: 1_000 + t, sentAt: 900 + t }, settings)
        const once = state.limit
        // Sent after the cut (at 1,000 ms), refused: the cut was not enough.
        state = observe(state, { kind: 'capacity', now: 1_030, sentAt: 1_010 }, settings)
        return { ...state, once }
      },
      expect: (s) => {
        expect((s as LimiterState & { once: number }).once).toBeCloseTo(100 * LIMITER_DEFAULTS.cut)
        expect(s.limit).toBeCloseTo(100 * LIMITER_DEFAULTS.cut ** 2)
      },
    },
    {
      name: 'a burst of signals from elsewhere (no send time) within one round trip cuts once',
      run: () => {
        let state: LimiterState = { ...initialState(settings), limit: 100, last: 200 }
        for (let t = 0; t < 20; t++) state = observe(state, { kind: 'capacity', now: 1_000 + t }, settings)
        return state
      },
      expect: (s) => expect(s.limit).toBeCloseTo(100 * LIMITER_DEFAULTS.cut),
    },
    {
      name: 'before any latency is known, signals cut once per unknownRoundTripMs',
      run: () => {
        let state: LimiterState = { ...initialState(settings), limit: 100 }
        for (let t = 0; t < 20; t++) state = observe(state, { kind: 'capacity', now: 1_000 + t }, settings)
        const once = state.limit
        state = observe(state, { kind: 'capacity', now: 1_000 + LIMITER_DEFAULTS.unknownRoundTripMs }, settings)
        return { ...state, once }
      },
      expect: (s) => {
        expect((s as LimiterState & { once: number }).once).toBeCloseTo(100 * LIMITER_DEFAULTS.cut)
        expect(s.limit).toBeCloseTo(100 * LIMITER_DEFAULTS.cut ** 2)
      },
    },
    {
      name: 'within the first round, its samples so far are the round trip',
      run: () => {
        let state = observe({ ...initialState(settings), limit: 100 }, { kind: 'latency', ms: 50, inFlight: 1, now: 0 }, settings)
        state = observe(state, { kind: 'capacity', now: 1_000 }, settings)
        state = observe(state, { kind: 'capacity', now: 1_049 }, settings)
        return observe(state, { kind: 'capacity', now: 1_050 }, settings)
      },
      expect: (s) => expect(s.limit).toBeCloseTo(100 * LIMITER_DEFAULTS.cut ** 2),
    },
    {
      name: 'never below min, never above max',
      run: () => observe({ ...initialState({ initial: 2, min: 2, max: 3 }), limit: 2 }, { kind: 'capacity', now: 0 }, { initial: 2, min: 2, max: 3 }),
      expect: (s) => expect(s.limit).toBe(2),
    },
    {
      name: 'a negative or non-finite latency is ignored',
      run: () => observe(initialState(settings), { kind: 'latency', ms: Number.NaN, inFlight: 4, now: 0 }, settings),
      expect: (s) => expect(s).toEqual(initialState(settings)),
    },
    {
      name: 'every probeEvery rounds the limit drops to probeShare for two rounds, then comes back',
      run: () => rounds({ ...initialState(settings), limit: 50, base: 100 }, LIMITER_DEFAULTS.probeEvery, 100, 10),
      expect: (s) => {
        expect(s.probe?.round).toBe(1)
        expect(s.limit).toBeCloseTo(50 * LIMITER_DEFAULTS.probeShare)
        const back = rounds(s, 2, 100, 1)
        expect(back.probe).toBeUndefined()
        expect(back.limit).toBe(50)
      },
    },
  ]
  for (const c of cases) it(c.name, () => c.expect(c.run()))
})

/** A server of `slots` slots and `queue` places: what one task's latency is with `inFlight` out, or a capacity code past the queue. */
function serve(slots: number, queue: number, inFlight: number, service: number, now: number): Observation {
  // Refused at once: sent a moment ago.
  if (inFlight > slots + queue) return { kind: 'capacity', now, sentAt: now - 1 }
  return { kind: 'latency', ms: service * Math.max(1, inFlight / slots), inFlight, now }
}

/** Drives the limiter against the model server for `n` samples; the client always fills the limit. */
function drive(state: LimiterState, slots: number, queue: number, n: number, noise: () => number, clock: { now: number }): LimiterState {
  let next = state
  for (let i = 0; i < n; i++) {
    const inFlight = wholeLimit(next, settings)
    clock.now += 100 / Math.min(inFlight, slots)
    next = observe(next, serve(slots, queue, inFlight, 100 * (0.8 + 0.4 * noise()), clock.now), settings)
  }
  return next
}

describe('the limiter against a server of fixed capacity (properties)', () => {
  it('never leaves [min, max], whatever it observes', () => {
    const observation = fc.oneof(
      fc.record({ kind: fc.constant('latency' as const), ms: fc.double({ min: -10, max: 1e6, noNaN: false }), inFlight: fc.nat(1_000), now: fc.nat(1e9) }),
      fc.record({ kind: fc.constant('capacity' as const), now: fc.nat(1e9), sentAt: fc.option(fc.nat(1e9), { nil: undefined }) }),
    )
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 200 }), fc.array(observation, { maxLength: 400 }), (min, span, observations) => {
        const bounds = { initial: min, min, max: min + span }
        let state = initialState(bounds)
        for (const o of observations) {
          state = observe(state, o, bounds)
          expect(state.limit).toBeGreaterThanOrEqual(bounds.min)
          expect(state.limit).toBeLessThanOrEqual(bounds.max)
        }
      }),
    )
  })

  it('settles between 0.7 K and 3 K (the queue is 2 K) for any K from 2 to 64', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 64 }), fc.integer({ min: 1, max: 1_000 }), (slots, seed) => {
        let x = seed
        const noise = (): number => (x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
        const clock = { now: 0 }
        const state = drive(initialState(settings), slots, 2 * slots, 40_000, noise, clock)
        // Outside a probe round, at the end:
        const settled = state.probe === undefined ? state : drive(state, slots, 2 * slots, 200, noise, clock)
        expect(wholeLimit(settled, settings)).toBeGreaterThanOrEqual(Math.floor(slots * 0.7))
        expect(wholeLimit(settled, settings)).toBeLessThanOrEqual(3 * slots)
      }),
      { numRuns: 30 },
    )
  })

  it('comes back up after capacity returns', () => {
    let x = 1
    const noise = (): number => (x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    const clock = { now: 0 }
    const high = drive(initialState(settings), 32, 64, 30_000, noise, clock)
    const low = drive(high, 4, 8, 30_000, noise, clock)
    expect(wholeLimit(low, settings)).toBeLessThanOrEqual(16)
    const back = drive(low, 32, 64, 30_000, noise, clock)
    expect(wholeLimit(back, settings)).toBeGreaterThanOrEqual(22)
  })
})
