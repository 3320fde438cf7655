import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BackoffCounter, backoffCeiling, backoffDelay, validateBackoff, type BackoffOptions } from '../../lib/support/backoff.js'

/** The largest double below 1: what Math.random can return at most. */
const ALMOST_ONE = 1 - 2 ** -53

/** The ceiling as the docs define it, computed here rather than read from the lib. */
function expectedCeiling(attempt: number, o: BackoffOptions): number {
  if (o.initialDelayMs === 0) return 0
  return Math.min(o.maxDelayMs, o.initialDelayMs * o.multiplier ** attempt)
}

const integerOptions = fc
  .record({
    initialDelayMs: fc.integer({ min: 0, max: 1_000_000 }),
    extra: fc.integer({ min: 0, max: 10_000_000 }),
    multiplier: fc.integer({ min: 1, max: 10 }),
  })
  .map(({ initialDelayMs, extra, multiplier }): BackoffOptions => ({ initialDelayMs, maxDelayMs: initialDelayMs + extra, multiplier }))

const anyOptions = fc
  .record({
    initialDelayMs: fc.integer({ min: 0, max: 1_000_000 }),
    extra: fc.oneof(fc.integer({ min: 0, max: 10_000_000 }), fc.constant(0)),
    multiplier: fc.double({ min: 1, max: 10, noNaN: true }),
  })
  .map(({ initialDelayMs, extra, multiplier }): BackoffOptions => ({ initialDelayMs, maxDelayMs: initialDelayMs + extra, multiplier }))

const attempts = fc.integer({ min: 0, max: 10_000 })
const units = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, ALMOST_ONE, 1, 0.5))

describe('backoffDelay', () => {
  it('for any valid options the delay lies in [0, min(max, initial × multiplier^attempt)] and is never NaN', () => {
    fc.assert(
      fc.property(anyOptions, attempts, units, (options, attempt, unit) => {
        validateBackoff(options, 'test')
        const delay = backoffDelay(attempt, options, () => unit)
        expect(Number.isNaN(delay)).toBe(false)
        expect(delay).toBeGreaterThanOrEqual(0)
        expect(delay).toBeLessThanOrEqual(expectedCeiling(attempt, options))
        expect(delay).toBeLessThanOrEqual(options.maxDelayMs)
      }),
      { numRuns: 2_000 },
    )
  })

  it('is a whole number of milliseconds when the ceiling is whole', () => {
    fc.assert(
      fc.property(integerOptions, attempts, units, (options, attempt, unit) => {
        const delay = backoffDelay(attempt, options, () => unit)
        expect(Number.isInteger(delay)).toBe(true)
      }),
      { numRuns: 2_000 },
    )
  })

  it('is a whole number of milliseconds even when initial × multiplier^attempt is fractional (1000 × 1.5^5)', () => {
    const options = { initialDelayMs: 1_000, maxDelayMs: 1_000_000, multiplier: 1.5 }
    expect(backoffCeiling(5, options)).toBe(7593.75)
    const delay = backoffDelay(5, options, () => ALMOST_ONE)
    expect(Number.isInteger(delay)).toBe(true)
    expect(delay).toBe(7593)
  })

  it('random() = 0 gives 0', () => {
    fc.assert(
      fc.property(anyOptions, attempts, (options, attempt) => {
        expect(backoffDelay(attempt, options, () => 0)).toBe(0)
      }),
    )
  })

  it('random() just below 1 gives the ceiling (full jitter reaches the top)', () => {
    fc.assert(
      fc.property(integerOptions, attempts, (options, attempt) => {
        expect(backoffDelay(attempt, options, () => ALMOST_ONE)).toBe(expectedCeiling(attempt, options))
      }),
      { numRuns: 2_000 },
    )
  })

  it('covers every whole delay from 0 to the ceiling, each with an equal share of [0, 1)', () => {
    for (const ceiling of [0, 1, 2, 7, 10, 100]) {
      const options = { initialDelayMs: ceiling, maxDelayMs: ceiling, multiplier: 2 }
      const seen: number[] = []
      for (let k = 0; k <= ceiling; k++) seen.push(backoffDelay(3, options, () => (k + 0.5) / (ceiling + 1)))
      expect(seen).toEqual(Array.from({ length: ceiling + 1 }, (_, k) => k))
    }
  })

  it('exact values: 1 s doubling capped at 30 s', () => {
    const options = { initialDelayMs: 1_000, maxDelayMs: 30_000, multiplier: 2 }
    const top = [0, 1, 2, 3, 4, 5, 6, 50].map((a) => backoffDelay(a, options, () => ALMOST_ONE))
    expect(top).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000])
    expect(backoffDelay(3, options, () => 0.5)).toBe(4_000)
    expect(backoffDelay(3, options, () => 0.25)).toBe(2_000)
  })

  it('clamps a random source outside [0, 1]', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 }
    expect(backoffDelay(2, options, () => 1)).toBe(400)
    expect(backoffDelay(2, options, () => 7)).toBe(400)
    expect(backoffDelay(2, options, () => -3)).toBe(0)
  })

  it('treats a negative attempt as attempt 0', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 }
    expect(backoffCeiling(-5, options)).toBe(100)
    expect(backoffDelay(-1, options, () => ALMOST_ONE)).toBe(100)
  })

  it('initialDelayMs 0 always gives 0, even at huge attempts', () => {
    const options = { initialDelayMs: 0, maxDelayMs: 10_000, multiplier: 10 }
    expect(backoffCeiling(10_000, options)).toBe(0)
    expect(backoffDelay(10_000, options, () => ALMOST_ONE)).toBe(0)
  })

  it('options accepted by validateBackoff never give a NaN or infinite delay (maxDelayMs: Infinity)', () => {
    const options = { initialDelayMs: 1_000, maxDelayMs: Infinity, multiplier: 2 }
    let accepted = true
    try {
      validateBackoff(options, 'reconnect')
    } catch {
      accepted = false
    }
    if (!accepted) return
    for (const unit of [0, 0.5, ALMOST_ONE]) {
      const delay = backoffDelay(2_000, options, () => unit)
      expect(Number.isFinite(delay)).toBe(true)
    }
  })
})

describe('backoffCeiling', () => {
  it('is non-decreasing in the attempt', () => {
    fc.assert(
      fc.property(anyOptions, fc.integer({ min: 0, max: 9_999 }), (options, attempt) => {
        expect(backoffCeiling(attempt + 1, options)).toBeGreaterThanOrEqual(backoffCeiling(attempt, options))
      }),
      { numRuns: 2_000 },
    )
  })

  it('starts at min(initial, max) and equals the formula', () => {
    fc.assert(
      fc.property(anyOptions, attempts, (options, attempt) => {
        expect(backoffCeiling(0, options)).toBe(options.initialDelayMs)
        expect(backoffCeiling(attempt, options)).toBe(expectedCeiling(attempt, options))
      }),
    )
  })

  it('reaches the cap and stays there when it grows (multiplier > 1, initial > 0)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.double({ min: 1.01, max: 10, noNaN: true }),
        (initialDelayMs, extra, multiplier) => {
          const options = { initialDelayMs, maxDelayMs: initialDelayMs + extra, multiplier }
          const first = Array.from({ length: 10_001 }, (_, a) => a).find((a) => backoffCeiling(a, options) === options.maxDelayMs)
          expect(first).toBeDefined()
          for (const a of [first!, first! + 1, first! + 100, 10_000, 1e9]) expect(backoffCeiling(a, options)).toBe(options.maxDelayMs)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('never grows with multiplier 1', () => {
    const options = { initialDelayMs: 250, maxDelayMs: 10_000, multiplier: 1 }
    expect([0, 1, 10, 10_000].map((a) => backoffCeiling(a, options))).toEqual([250, 250, 250, 250])
  })
})

describe('validateBackoff', () => {
  const ok = { initialDelayMs: 1_000, maxDelayMs: 30_000, multiplier: 2 }

  it('accepts valid options, including equal initial and max, zero delays and multiplier 1', () => {
    expect(() => validateBackoff(ok, 'reconnect')).not.toThrow()
    expect(() => validateBackoff({ initialDelayMs: 500, maxDelayMs: 500, multiplier: 1 }, 'reconnect')).not.toThrow()
    expect(() => validateBackoff({ initialDelayMs: 0, maxDelayMs: 0, multiplier: 1 }, 'reconnect')).not.toThrow()
  })

  it.each([
    ['negative initialDelayMs', { initialDelayMs: -1 }, /reconnect\.initialDelayMs/],
    ['NaN initialDelayMs', { initialDelayMs: NaN }, /reconnect\.initialDelayMs/],
    ['infinite initialDelayMs', { initialDelayMs: Infinity }, /reconnect\.initialDelayMs/],
    ['NaN maxDelayMs', { maxDelayMs: NaN }, /reconnect\.maxDelayMs/],
    ['negative maxDelayMs', { maxDelayMs: -1 }, /reconnect\.maxDelayMs/],
    ['maxDelayMs below initialDelayMs', { maxDelayMs: 999 }, /reconnect\.maxDelayMs/],
    ['multiplier below 1', { multiplier: 0.99 }, /reconnect\.multiplier/],
    ['multiplier 0', { multiplier: 0 }, /reconnect\.multiplier/],
    ['negative multiplier', { multiplier: -2 }, /reconnect\.multiplier/],
    ['NaN multiplier', { multiplier: NaN }, /reconnect\.multiplier/],
    ['infinite multiplier', { multiplier: Infinity }, /reconnect\.multiplier/],
  ] as const)('rejects %s with a RangeError naming the option', (_name, patch, message) => {
    const options: BackoffOptions = { ...ok, ...patch }
    expect(() => validateBackoff(options, 'reconnect')).toThrow(RangeError)
    expect(() => validateBackoff(options, 'reconnect')).toThrow(message)
  })

  it('rejects wrongly typed values from JavaScript callers', () => {
    const bad = { ...ok, initialDelayMs: '1000' } as unknown as BackoffOptions
    expect(() => validateBackoff(bad, 'retry')).toThrow(RangeError)
  })
})

describe('BackoffCounter', () => {
  const options = { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, stableAfterMs: 5_000 }

  it('attempts grow with each delay, following the ceiling', () => {
    const counter = new BackoffCounter(options, () => ALMOST_ONE)
    expect(counter.attempt).toBe(0)
    const delays = Array.from({ length: 7 }, () => counter.next())
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000])
    expect(counter.attempt).toBe(7)
  })

  it('counts attempts even when the delays are all 0', () => {
    const counter = new BackoffCounter(options, () => 0)
    expect([counter.next(), counter.next(), counter.next()]).toEqual([0, 0, 0])
    expect(counter.attempt).toBe(3)
  })

  it('markLost before stableAfterMs keeps counting', () => {
    const counter = new BackoffCounter(options, () => ALMOST_ONE)
    counter.next()
    counter.next()
    counter.next()
    counter.markStable(10_000)
    counter.markLost(14_999)
    expect(counter.attempt).toBe(3)
    expect(counter.next()).toBe(800)
    expect(counter.attempt).toBe(4)
  })

  it('markLost at or after stableAfterMs resets the count to 0', () => {
    const counter = new BackoffCounter(options, () => ALMOST_ONE)
    for (let i = 0; i < 5; i++) counter.next()
    counter.markStable(10_000)
    counter.markLost(15_000)
    expect(counter.attempt).toBe(0)
    expect(counter.next()).toBe(100)

    for (let i = 0; i < 3; i++) counter.next()
    counter.markStable(20_000)
    counter.markLost(99_000)
    expect(counter.attempt).toBe(0)
  })

  it('markLost without markStable does not reset, and a stable period counts once', () => {
    const counter = new BackoffCounter(options, () => ALMOST_ONE)
    counter.next()
    counter.next()
    counter.markLost(1_000_000)
    expect(counter.attempt).toBe(2)
    counter.markStable(0)
    counter.markLost(100) // short: no reset, and the stable mark is consumed
    counter.markLost(1_000_000) // no new markStable since: still no reset
    expect(counter.attempt).toBe(2)
  })

  it('the latest markStable counts (re-ready restarts the stable period)', () => {
    const counter = new BackoffCounter(options, () => ALMOST_ONE)
    counter.next()
    counter.markStable(0)
    counter.markStable(4_000)
    counter.markLost(6_000)
    expect(counter.attempt).toBe(1)
  })

  it('reset() sets the count to 0 and forgets the stable mark', () => {
    const counter = new BackoffCounter(options, () => ALMOST_ONE)
    counter.next()
    counter.next()
    counter.markStable(0)
    counter.reset()
    expect(counter.attempt).toBe(0)
    counter.next()
    counter.markLost(1_000_000)
    expect(counter.attempt).toBe(1)
  })

  it('follows a naive model for any sequence of failures and ready periods', () => {
    type Op = { kind: 'next' } | { kind: 'up'; ms: number }
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.constant<Op>({ kind: 'next' }),
      fc.integer({ min: 0, max: 12_000 }).map((ms): Op => ({ kind: 'up', ms })),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.double({ min: 0, max: 1, noNaN: true }), (ops, unit) => {
        const counter = new BackoffCounter(options, () => unit)
        let now = 0
        let attempt = 0
        for (const o of ops) {
          if (o.kind === 'next') {
            expect(counter.next()).toBe(backoffDelay(attempt, options, () => unit))
            attempt += 1
          } else {
            counter.markStable(now)
            now += o.ms
            counter.markLost(now)
            if (o.ms >= options.stableAfterMs) attempt = 0
          }
          expect(counter.attempt).toBe(attempt)
        }
      }),
    )
  })
})
