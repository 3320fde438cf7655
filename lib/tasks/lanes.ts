/**
 * New tasks wait in lanes, one per model (the task's `model`, else its `taskType`), each with its
 * own concurrency limit when the client's `concurrency` is adaptive (capacity/limiter.ts moves it):
 * a saturated model's queue never holds back another's (no head-of-line blocking). Without it
 * there is one lane with no limit of its own, and `maxInFlight` alone bounds the wire, as before.
 *
 * The ledger puts tasks in and counts them out (lane.count, lane.inFlight); the lanes hand out new
 * work one lane's turn after another, and learn from what the ledger reports: a task's latency
 * when it resolves, a capacity code when one names it.
 */
import { initialState, observe, wholeLimit, type LimiterSettings, type LimiterState, type LimitReason, type Observation } from '../capacity/limiter.js'
import type { RunwareError } from '../support/errors.js'
import type { TaskPhase } from '../machines/phases.js'
import type { LaneSlot, TaskRecord } from './task-record.js'

/** Lanes kept with their learned limits; past it an idle one is forgotten, or the overflow lane is shared. */
export const MAX_LANES = 1_024
const OVERFLOW = '\u0000overflow'

/** The codes that say a model is at capacity: its queue is full, it timed out waiting, its provider is saturated. */
const CAPACITY_CATEGORIES: ReadonlySet<string> = new Set(['rateLimit', 'provider', 'timeout'])

export class Lane implements LaneSlot {
  /** Tasks of this model on the wire (the ledger counts them). */
  inFlight = 0
  /** The whole-task limit now (Infinity without adaptive concurrency). */
  limit: number
  /** New tasks waiting, oldest first from `head`; a task that left another way is skipped when reached. */
  readonly fresh: (TaskRecord | undefined)[] = []
  head = 0
  /** New tasks of this lane still waiting (the ledger counts them). */
  count = 0
  /** In the turn order (has, or had, new tasks waiting). */
  active = false
  /** No new task of it is sent before this (monotonic ms): a capacity code's backoff, for this model alone. */
  pausedUntil = 0
  state: LimiterState | undefined

  constructor(
    readonly key: string,
    settings: LimiterSettings | undefined,
  ) {
    this.state = settings === undefined ? undefined : initialState(settings)
    this.limit = settings === undefined ? Infinity : wholeLimit(initialState(settings), settings)
  }

  /** Forgets the taken and skipped slots (the array must not keep settled tasks alive). */
  empty(): void {
    this.fresh.length = 0
    this.head = 0
  }
}

export interface LaneHooks {
  /** A lane's whole limit changed (not called without adaptive concurrency). */
  limit(lane: Lane, reason: LimitReason): void
}

export class Lanes {
  readonly #byKey = new Map<string, Lane>()
  /** Lanes in the turn order; one with nothing waiting leaves it when its turn comes. */
  readonly #active: Lane[] = []
  #turn = 0
  /** The latest end of any lane's pause. */
  #pausedUntil = 0

  constructor(
    private readonly settings: LimiterSettings | undefined,
    private readonly now: () => number,
    private readonly hooks: LaneHooks,
  ) {}

  get adaptive(): boolean {
    return this.settings !== undefined
  }

  /** The lane a new task joins. */
  of(record: TaskRecord): Lane {
    const key = this.settings === undefined ? '' : record.model
    const known = this.#byKey.get(key)
    if (known !== undefined) return known
    if (this.#byKey.size >= MAX_LANES && !this.#forgetIdle()) return this.#lane(OVERFLOW)
    return this.#lane(key)
  }

  #lane(key: string): Lane {
    let lane = this.#byKey.get(key)
    if (lane === undefined) this.#byKey.set(key, (lane = new Lane(key, this.settings)))
    return lane
  }

  #forgetIdle(): boolean {
    for (const [key, lane] of this.#byKey) {
      if (lane.count === 0 && lane.inFlight === 0 && !lane.active && key !== OVERFLOW) return this.#byKey.delete(key)
    }
    return false
  }

  enqueue(lane: Lane, record: TaskRecord): void {
    lane.fresh.push(record)
    lane.count += 1
    if (!lane.active) {
      lane.active = true
      this.#active.push(lane)
    }
  }

  /**
   * Hands out up to `max` new tasks, lane after lane, each within its room; `take` decides whether
   * a slot's task still waits (it sends it and returns true).
   */
  takeFresh(max: number, take: (record: TaskRecord) => boolean): number {
    let taken = 0
    let idle = 0
    const active = this.#active
    const now = this.now()
    while (taken < max && active.length > 0 && idle < active.length) {
      if (this.#turn >= active.length) this.#turn = 0
      const lane = active[this.#turn]
      if (lane === undefined) break
      if (lane.count === 0) {
        // Nothing of it waits: out of the turn order until its next task.
        lane.active = false
        lane.empty()
        active.splice(this.#turn, 1)
        continue
      }
      let gave = 0
      while (taken < max && lane.pausedUntil <= now && lane.inFlight < lane.limit && lane.head < lane.fresh.length) {
        const record = lane.fresh[lane.head]
        lane.fresh[lane.head++] = undefined
        if (record !== undefined && take(record)) {
          gave += 1
          taken += 1
        }
      }
      idle = gave === 0 ? idle + 1 : 0
      this.#turn += 1
    }
    return taken
  }

  /**
   * A capacity code's backoff holds new tasks of its model only (without adaptive concurrency the
   * outbox pauses every send instead): a refused task must not make room for the next one at once,
   * or a model at its floor is asked again and again within a round trip.
   */
  pause(record: TaskRecord, until: number): void {
    const lane = record.lane as Lane | undefined
    if (lane === undefined) return
    lane.pausedUntil = Math.max(lane.pausedUntil, until)
    this.#pausedUntil = Math.max(this.#pausedUntil, until)
  }

  /** When the first paused lane with new tasks waiting may send again (Infinity: none is paused). */
  resumeAt(): number {
    const now = this.now()
    // Every pause is over (the common case): no lane to look at.
    if (this.#pausedUntil <= now) return Infinity
    let at = Infinity
    for (const lane of this.#active) if (lane.count > 0 && lane.pausedUntil > now) at = Math.min(at, lane.pausedUntil)
    return at
  }

  /** What a phase change says about the model's capacity: a latency when it resolved, a cut on a capacity code. */
  moved(record: TaskRecord, from: TaskPhase, to: TaskPhase, error: RunwareError | undefined): void {
    const settings = this.settings
    const lane = record.lane as Lane | undefined
    if (settings === undefined || lane?.state === undefined) return
    const now = this.now()
    if (to === 'sent' || (to === 'polling' && from === 'sent' && record.async)) {
      // Sync: the latency is send → result. Async: its time in the server's queue, acknowledgement → result.
      record.sentAt = now
      return
    }
    if (to === 'unknown') record.sentAt = 0
    if (error !== undefined && CAPACITY_CATEGORIES.has(error.category)) {
      this.#observe(lane, lane.state, settings, { kind: 'capacity', now, sentAt: record.sentAt > 0 ? record.sentAt : undefined }, 'capacity')
    } else if (to === 'settled' && error === undefined && record.sentAt > 0 && (from === 'sent' || (from === 'polling' && record.async))) {
      this.#observe(lane, lane.state, settings, { kind: 'latency', ms: now - record.sentAt, inFlight: lane.inFlight + 1, now }, 'latency')
    }
  }

  /**
   * A capacity signal from outside (another worker of a fleet saw a capacity code for `model`): a
   * cut, at most once per round trip. False when nothing moved:
   * no adaptive concurrency, no lane for the model yet (it starts at `initial` anyway), or a cut this round trip.
   */
  signal(model: string): boolean {
    const settings = this.settings
    const lane = this.#byKey.get(model)
    if (settings === undefined || lane?.state === undefined) return false
    const limit = lane.limit
    this.#observe(lane, lane.state, settings, { kind: 'capacity', now: this.now() }, 'fleet')
    return lane.limit !== limit
  }

  #observe(lane: Lane, before: LimiterState, settings: LimiterSettings, observation: Observation, reason: LimitReason): void {
    const state = observe(before, observation, settings)
    lane.state = state
    const limit = wholeLimit(state, settings)
    if (limit === lane.limit) return
    lane.limit = limit
    this.hooks.limit(lane, state.probe === undefined ? reason : 'probe')
  }
}
