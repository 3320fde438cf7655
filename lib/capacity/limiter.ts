/**
 * The adaptive concurrency limit of one model, as a pure function: (state, observation) → state.
 *
 * Learned from the published algorithms (Netflix concurrency-limits' Gradient2 and Vegas, TCP's
 * AIMD, BBR's periodic probe), written here for a server whose only signals are latency and codes:
 *
 *   latency samples  → gathered in rounds (at least `roundSamples`, or the limit's worth); one
 *                      decision per round, on its mean. Within the no-load baseline + max(tolerance,
 *                      `noise` standard errors) and with the limit used, it grows by growth × √limit;
 *                      past it, it shrinks by the gradient (allowed ÷ mean, at least ½).
 *   the baseline     → the lowest round mean; every `probeEvery` rounds the limit drops to
 *                      `probeShare` for two rounds and the second measures the baseline again.
 *   a capacity code  → multiplicative cut (AIMD's loss), once per overload: a code for a task sent
 *                      before the last cut is part of the overload already cut; a signal from
 *                      elsewhere (a fleet) cuts at most once per round trip.
 *
 * Why not a long moving average as the baseline (Gradient2): an average of the same samples rises
 * with the queue it should detect, and a model held at a steady queue then looks unloaded.
 * The constants are data (LIMITER_DEFAULTS); the table of cases is spec/capacity/limiter.spec.ts.
 */

export interface LimiterSettings {
  readonly initial: number
  readonly min: number
  readonly max: number
}

/** The constants of the algorithm, read in one place. */
export const LIMITER_DEFAULTS = {
  /** A round is this many latency samples at least (or the limit's worth, when larger). */
  roundSamples: 16,
  /**
   * A round's mean may exceed the baseline by this share, or by `noise` standard errors of the
   * round's mean when more (noisy service times must not read as a queue), before the limit shrinks.
   */
  tolerance: 0.2,
  noise: 3,
  /** Growth per round within tolerance: this × √limit. */
  growth: 0.5,
  /** A capacity code multiplies the limit by this. */
  cut: 0.7,
  /** Every this many rounds the limit is cut to probeShare for two rounds, and the baseline measured again in the second. */
  probeEvery: 50,
  probeShare: 0.7,
  /** Growth needs this share of the limit in flight. */
  usedShare: 0.5,
  /** Before any latency is known, a round trip counts as this long (ms) for a fleet's signal (at most one cut per round trip). */
  unknownRoundTripMs: 1_000,
} as const

export type LimiterConstants = { readonly [K in keyof typeof LIMITER_DEFAULTS]: number }

export interface LimiterState {
  /** The limit as a real number (whole tasks are `Math.floor` of it, never below min). */
  readonly limit: number
  /** The no-load baseline (ms): the lowest round mean since the last probe's; undefined before the first round. */
  readonly base: number | undefined
  /** The last round's mean latency (ms), undefined before the first. */
  readonly last: number | undefined
  /** The round being gathered: its samples' sum and count, and whether the limit was used in it. */
  readonly sum: number
  readonly squares: number
  readonly count: number
  readonly used: boolean
  /** When the last capacity cut was made (monotonic ms). */
  readonly cutAt: number
  /** Rounds since the last probe; during a probe, which of its two rounds this is and the limit to go back to. */
  readonly rounds: number
  readonly probe: { readonly round: 1 | 2; readonly resume: number } | undefined
}

export type Observation =
  /** A task's latency (ms) with `inFlight` tasks of its model out when it ended. */
  | { readonly kind: 'latency'; readonly ms: number; readonly inFlight: number; readonly now: number }
  /**
   * A capacity code (rate limit, provider or server timeout) on a task of this model; `sentAt`: when
   * that task was sent, when it was this client's (a fleet's signal has none).
   */
  | { readonly kind: 'capacity'; readonly now: number; readonly sentAt?: number | undefined }

/**
 * Why a limit moved: latency, a capacity code, a capacity code seen elsewhere (another worker of a
 * fleet), or a probe round (the limit lowered to measure the baseline, and back).
 */
export type LimitReason = 'latency' | 'capacity' | 'fleet' | 'probe'

export function initialState(settings: LimiterSettings): LimiterState {
  return {
    limit: clamp(settings.initial, settings),
    base: undefined,
    last: undefined,
    sum: 0,
    squares: 0,
    count: 0,
    used: false,
    cutAt: -Infinity,
    rounds: 0,
    probe: undefined,
  }
}

/** The whole-task limit a state stands for. */
export function wholeLimit(state: LimiterState, settings: LimiterSettings): number {
  return Math.max(settings.min, Math.floor(state.limit))
}

function clamp(limit: number, { min, max }: LimiterSettings): number {
  return Math.min(max, Math.max(min, limit))
}

export function observe(
  state: LimiterState,
  observation: Observation,
  settings: LimiterSettings,
  constants: LimiterConstants = LIMITER_DEFAULTS,
): LimiterState {
  if (observation.kind === 'capacity') {
    // One overload sends many codes at once: a task sent before the last cut is refused for what
    // was already cut (TCP NewReno's recovery point); one sent after it says the cut was not enough.
    // A signal from elsewhere has no send time: at most one cut per round trip (the last round's
    // mean, else this round's samples so far, else a default), however many workers report it.
    if (observation.sentAt !== undefined) {
      if (observation.sentAt < state.cutAt) return state
    } else {
      const roundTrip = state.last ?? (state.count > 0 ? state.sum / state.count : constants.unknownRoundTripMs)
      if (observation.now - state.cutAt < roundTrip) return state
    }
    return { ...state, limit: clamp(state.limit * constants.cut, settings), cutAt: observation.now }
  }
  const ms = observation.ms
  if (!Number.isFinite(ms) || ms < 0) return state
  const sum = state.sum + ms
  const squares = state.squares + ms * ms
  const count = state.count + 1
  const used = state.used || observation.inFlight >= constants.usedShare * state.limit
  if (count < Math.max(constants.roundSamples, state.limit)) return { ...state, sum, squares, count, used }
  // A round is complete: one decision per round, on its mean (one sample's noise decides nothing).
  const mean = sum / count
  const round = { sum: 0, squares: 0, count: 0, used: false, last: mean }
  const probe = state.probe
  if (probe !== undefined) {
    // The first round at the probe's limit still carries the queue from before; the second is the baseline.
    if (probe.round === 1) return { ...state, ...round, probe: { round: 2, resume: probe.resume } }
    return { ...state, ...round, limit: clamp(probe.resume, settings), base: mean, rounds: 0, probe: undefined }
  }
  if (state.rounds + 1 >= constants.probeEvery)
    return { ...state, ...round, limit: clamp(state.limit * constants.probeShare, settings), rounds: 0, probe: { round: 1, resume: state.limit } }
  // Between probes the baseline only falls: a long queue must never become the new normal.
  const base = state.base === undefined ? mean : Math.min(mean, state.base)
  const error = Math.sqrt(Math.max(0, squares / count - mean * mean) / count)
  const allowed = base + Math.max(constants.tolerance * base, constants.noise * error)
  const gradient = allowed / Math.max(mean, Number.MIN_VALUE)
  let limit = state.limit
  if (gradient < 1) limit *= Math.max(0.5, gradient)
  else if (used) limit += Math.sqrt(limit) * constants.growth
  return { ...state, ...round, limit: clamp(limit, settings), base, rounds: state.rounds + 1 }
}
