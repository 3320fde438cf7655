/**
 * Per-model capacity, as Runware describes its service (no hard rate limits: each model has a queue
 * of finite capacity): K slots run at once, up to `queue` more wait their turn, latency is service
 * time plus the wait, and past that the model refuses work. Runware documents the REST statuses
 * (429 queue capacity exceeded, 503, 504 queue wait exceeded) but not the WebSocket codes, so the
 * simulator's are its own choice: `rateLimitExceeded` past the queue (the rate-limit category, as
 * Runware's SDK classifier lists it) and `queueWaitTimeout` (invented; the timeout category) for a
 * task that waited past `maxWaitMs`. Sync and async tasks both take slots; dryRun takes none.
 */
import type { Random } from './random.js'

export interface CapacitySpec {
  /** Tasks of this model running at once. */
  slots: number
  /** Tasks that may wait for a slot; more are refused with `rateLimitExceeded`. @default 0 */
  queue?: number
  /** Service time of one task: fixed, or seeded-random in [min, max]. @default the simulator's latencyMs */
  serviceMs?: number | { min: number; max: number }
  /** A task that waited this long for a slot fails with `queueWaitTimeout`. @default Infinity */
  maxWaitMs?: number
}

export interface ResolvedCapacity {
  readonly slots: number
  readonly queue: number
  readonly service: { readonly min: number; readonly max: number } | undefined
  readonly maxWaitMs: number
}

export const QUEUE_FULL_CODE = 'rateLimitExceeded'
export const QUEUE_WAIT_CODE = 'queueWaitTimeout'

interface Waiting {
  readonly since: number
  readonly start: () => void
  readonly expire: () => void
  done: boolean
}

/** One model's slots and queue. */
class ModelSlots {
  running = 0
  readonly waiting: Waiting[] = []
  constructor(public spec: ResolvedCapacity) {}
}

export function resolveCapacity(given: Readonly<Record<string, CapacitySpec>> | undefined): ReadonlyMap<string, ResolvedCapacity> {
  const resolved = new Map<string, ResolvedCapacity>()
  for (const [model, spec] of Object.entries(given ?? {})) resolved.set(model, resolveOne(model, spec))
  return resolved
}

function resolveOne(model: string, spec: CapacitySpec): ResolvedCapacity {
  const where = `capacity[${JSON.stringify(model)}]`
  if (!Number.isInteger(spec.slots) || spec.slots < 1) throw new RangeError(`${where}.slots must be an integer ≥ 1`)
  const queue = spec.queue ?? 0
  if (!Number.isInteger(queue) || queue < 0) throw new RangeError(`${where}.queue must be an integer ≥ 0`)
  const maxWaitMs = spec.maxWaitMs ?? Infinity
  if (!(maxWaitMs > 0)) throw new RangeError(`${where}.maxWaitMs must be positive`)
  const service = spec.serviceMs === undefined ? undefined : typeof spec.serviceMs === 'number' ? { min: spec.serviceMs, max: spec.serviceMs } : spec.serviceMs
  if (service !== undefined && !(service.min >= 0 && service.max >= service.min)) throw new RangeError(`${where}.serviceMs must be a range 0 ≤ min ≤ max`)
  return { slots: spec.slots, queue, service, maxWaitMs }
}

export class Capacity {
  readonly #models = new Map<string, ModelSlots>()

  constructor(
    specs: ReadonlyMap<string, ResolvedCapacity>,
    private readonly random: Random,
    private readonly now: () => number,
    /** Calls `job` at clock time `at` (the simulator's alarms). */
    private readonly at: (at: number, job: () => void) => void,
  ) {
    for (const [model, spec] of specs) this.#models.set(model, new ModelSlots(spec))
  }

  managed(model: unknown): boolean {
    return typeof model === 'string' && this.#models.has(model)
  }

  /** Every slot busy and the queue full: the task is refused before it is accepted. */
  full(model: unknown): boolean {
    const slots = typeof model === 'string' ? this.#models.get(model) : undefined
    return slots !== undefined && slots.running >= slots.spec.slots && slots.waiting.length >= slots.spec.queue
  }

  /**
   * A task of a managed model: `start(serviceMs)` runs now, or when a slot frees; `expire()` instead
   * when it waited past maxWaitMs. `fallbackMs` is the service time when the model sets none.
   */
  enter(model: string, fallbackMs: () => number, start: (serviceMs: number) => void, expire: () => void): void {
    const slots = this.#models.get(model)
    if (slots === undefined) return
    const service = (): number => {
      const range = slots.spec.service
      if (range === undefined) return fallbackMs()
      return range.min === range.max ? range.min : range.min + this.random.next() * (range.max - range.min)
    }
    if (slots.running < slots.spec.slots) {
      slots.running += 1
      start(service())
      return
    }
    const waiting: Waiting = { since: this.now(), start: () => start(service()), expire, done: false }
    slots.waiting.push(waiting)
    if (Number.isFinite(slots.spec.maxWaitMs))
      this.at(waiting.since + slots.spec.maxWaitMs, () => {
        if (waiting.done) return
        waiting.done = true
        slots.waiting.splice(slots.waiting.indexOf(waiting), 1)
        expire()
      })
  }

  /** A task of `model` finished: its slot goes to the longest waiting. */
  leave(model: string): void {
    const slots = this.#models.get(model)
    if (slots === undefined) return
    slots.running -= 1
    // Fewer slots than running (capacity cut): the slot goes with the task.
    if (slots.running >= slots.spec.slots) return
    const next = slots.waiting.shift()
    if (next === undefined) return
    next.done = true
    slots.running += 1
    next.start()
  }

  /**
   * A model's capacity changes while it runs (a provider loses or regains machines): more slots
   * start the longest waiting at once; fewer let the running finish (none is stopped) and start
   * no more until below the new count; a shorter queue refuses new tasks, and keeps those waiting.
   */
  change(model: string, spec: CapacitySpec): void {
    const slots = this.#models.get(model)
    if (slots === undefined) throw new RangeError(`capacity[${JSON.stringify(model)}]: only a model given capacity at start can change it`)
    slots.spec = resolveOne(model, spec)
    while (slots.running < slots.spec.slots) {
      const next = slots.waiting.shift()
      if (next === undefined) return
      next.done = true
      slots.running += 1
      next.start()
    }
  }

  /** Running and waiting tasks per model (for stats and tests). */
  load(): Record<string, { running: number; waiting: number }> {
    return Object.fromEntries([...this.#models].map(([model, slots]) => [model, { running: slots.running, waiting: slots.waiting.length }]))
  }
}
