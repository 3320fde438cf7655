/**
 * Backoff delays: exponential growth, a cap, then full jitter over [0, capped ceiling).
 *
 * Jitter after the cap keeps clients spread out even when every one of them has reached the cap
 * (jitter before the cap makes them all wait exactly `maxDelayMs`). The attempt count resets only
 * after a socket stayed ready for `stableAfterMs`, so a server that accepts and then drops every
 * connection cannot pin clients at the shortest delay.
 */

export interface BackoffOptions {
  /** Ceiling of the first delay. */
  initialDelayMs: number
  /** No delay exceeds this. */
  maxDelayMs: number
  /** Growth of the ceiling per attempt (≥ 1). */
  multiplier: number
}

/** The longest delay a Node timer honours (2³¹ − 1 ms); longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647

/** A source of uniform numbers in [0, 1), like Math.random; injectable for specs. */
export type RandomSource = () => number

export function validateBackoff(options: BackoffOptions, name: string): void {
  const { initialDelayMs, maxDelayMs, multiplier } = options
  if (!Number.isFinite(initialDelayMs) || initialDelayMs < 0) throw new RangeError(`${name}.initialDelayMs must be a finite number ≥ 0`)
  if (!Number.isFinite(maxDelayMs) || maxDelayMs > MAX_TIMER_MS) throw new RangeError(`${name}.maxDelayMs must be a finite number ≤ ${MAX_TIMER_MS}`)
  if (!(maxDelayMs >= initialDelayMs)) throw new RangeError(`${name}.maxDelayMs (${maxDelayMs}) must be ≥ ${name}.initialDelayMs (${initialDelayMs})`)
  if (!Number.isFinite(multiplier) || multiplier < 1) throw new RangeError(`${name}.multiplier must be a finite number ≥ 1`)
}

/** The ceiling for an attempt (0-based): min(maxDelayMs, initialDelayMs × multiplier^attempt). */
export function backoffCeiling(attempt: number, options: BackoffOptions): number {
  if (options.initialDelayMs === 0) return 0
  // multiplier^attempt may overflow to Infinity; min() then yields the cap.
  return Math.min(options.maxDelayMs, options.initialDelayMs * options.multiplier ** Math.max(0, attempt))
}

/** A full-jitter delay for an attempt (0-based): a whole number of ms in [0, ceiling]. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: RandomSource = Math.random): number {
  const ceiling = Math.floor(backoffCeiling(attempt, options))
  // Clamp the source: a custom one returning 1 (or more) must not push the delay past the cap.
  const drawn = random()
  const unit = drawn >= 0 ? Math.min(drawn, 1) : 0 // NaN or negative count as 0
  return Math.min(ceiling, Math.floor(unit * (ceiling + 1)))
}

/** Attempts of one retry loop, reset only after a stable period. */
export class BackoffCounter {
  #attempt = 0
  #stableSince: number | undefined

  constructor(
    private readonly options: BackoffOptions & { stableAfterMs: number },
    private readonly random: RandomSource = Math.random,
  ) {}

  /** How many delays were handed out since the last reset. */
  get attempt(): number {
    return this.#attempt
  }

  /** The next delay; counts an attempt. */
  next(): number {
    const delay = backoffDelay(this.#attempt, this.options, this.random)
    this.#attempt += 1
    return delay
  }

  /** The connection became ready at `now`. */
  markStable(now: number): void {
    this.#stableSince = now
  }

  /** The connection was lost at `now`; the count resets if it had been ready long enough. */
  markLost(now: number): void {
    if (this.#stableSince !== undefined && now - this.#stableSince >= this.options.stableAfterMs) this.#attempt = 0
    this.#stableSince = undefined
  }

  reset(): void {
    this.#attempt = 0
    this.#stableSince = undefined
  }
}
