/**
 * The limiter's arithmetic at its edges (capacity/limiter.ts), each with the numbers worked out:
 * the cut's recovery point, the round trip a fleet's signal waits, which samples count, the noise
 * term, the gradient at exactly 1 and the growth step.
 */
import { describe, expect, it } from 'vitest'
import { initialState, LIMITER_DEFAULTS, observe, type LimiterState } from '../../lib/capacity/limiter.js'

const settings = { initial: 16, min: 1, max: 256 }
const ROUND = LIMITER_DEFAULTS.roundSamples

/** A state with a baseline of 100 ms, limit 16, between probes. */
const based = (): LimiterState => ({ ...initialState(settings), base: 100, last: 100 })

/** One full round of these latencies (cycled), with `inFlight` out at each. */
function round(state: LimiterState, samples: readonly number[], inFlight: number): LimiterState {
  let next = state
  for (let i = 0; i < ROUND; i++) next = observe(next, { kind: 'latency', ms: samples[i % samples.length] ?? 0, inFlight, now: 0 }, settings)
  return next
}

describe('the limiter at its edges', () => {
  it('a code on a task sent exactly at the last cut is a new cut; one sent before it is not', () => {
    const cut = observe(initialState(settings), { kind: 'capacity', now: 100 }, settings)
    expect(cut.limit).toBeCloseTo(16 * 0.7)
    expect(observe(cut, { kind: 'capacity', now: 200, sentAt: 99 }, settings)).toBe(cut)
    expect(observe(cut, { kind: 'capacity', now: 200, sentAt: 100 }, settings).limit).toBeCloseTo(16 * 0.7 * 0.7)
  })

  it("a fleet's signal waits one round trip, taken from this round's mean while no round has ended", () => {
    let state = observe(initialState(settings), { kind: 'capacity', now: 1_000 }, settings)
    for (const ms of [100, 100, 100]) state = observe(state, { kind: 'latency', ms, inFlight: 1, now: 1_000 }, settings)
    expect(observe(state, { kind: 'capacity', now: 1_099 }, settings)).toBe(state)
    expect(observe(state, { kind: 'capacity', now: 1_100 }, settings).cutAt).toBe(1_100)
  })

  it('a negative or unreadable latency is ignored; zero counts', () => {
    const state = initialState(settings)
    expect(observe(state, { kind: 'latency', ms: -1, inFlight: 1, now: 0 }, settings)).toBe(state)
    expect(observe(state, { kind: 'latency', ms: Number.NaN, inFlight: 1, now: 0 }, settings)).toBe(state)
    expect(observe(state, { kind: 'latency', ms: 0, inFlight: 1, now: 0 }, settings).count).toBe(1)
  })

  it('a steady round 1.5× the baseline is a queue: cut by the gradient (120 / 150)', () => {
    // Mean 150, spread ±10: the noise term (3 × 10 / √16 = 7.5) is under the tolerance (20).
    expect(round(based(), [140, 160], 16).limit).toBeCloseTo(16 * (120 / 150))
  })

  it('a noisy round with the same mean is not: the noise term (3 × 100 / √16 = 75) allows 175', () => {
    const next = round(based(), [50, 250], 16)
    expect(next.limit).toBeGreaterThan(16)
  })

  it('at exactly the allowed mean the limit still grows when used, by growth × √limit', () => {
    // Mean 120 = 100 + 20: gradient 1, no cut; 8 of 16 in flight is the used share.
    expect(round(based(), [120], 8).limit).toBeCloseTo(16 + Math.sqrt(16) * 0.5)
  })

  it('below the used share it holds', () => {
    expect(round(based(), [120], 7).limit).toBe(16)
  })
})
