/**
 * Outbound frames. Tasks submitted in the same tick leave together: the first submission schedules
 * one flush on the microtask queue, and the flush packs every sendable task into frames of up to
 * `maxBatchSize` (the protocol takes an array of tasks per frame). Control tasks (getResponse)
 * go first and do not count against `maxInFlight`. A rate-limit pause holds everything.
 */
import type { Ledger } from './ledger.js'
import { backoffDelay, type BackoffOptions, type RandomSource } from '../support/backoff.js'
import { encodeFrame, encodeTask, getResponseTask, joinEncoded } from '../protocol/protocol.js'
import { entry, type Schedule } from '../support/schedule.js'

export interface OutboxOptions {
  readonly maxBatchSize: number
  readonly maxInFlight: number
  /** The backoff of rate-limit pauses named by no task. */
  readonly retry: BackoffOptions
  readonly random: RandomSource
}

export interface OutboxHooks {
  /** Writes a frame; false when the socket is not ready (nothing was written). */
  write(frame: string): boolean
  /** Whether frames may be written now. */
  ready(): boolean
  /** Runs the flush as library work (the monitor); a microtask is outside every other entry point. */
  run(work: () => void): void
}

export class Outbox {
  /** Encoded getResponse tasks waiting to go out. */
  readonly #control: string[] = []
  #scheduled = false
  #pausedUntil = 0
  /** Consecutive rate-limit pauses named by no task. */
  #rateLimitPauses = 0
  readonly #resume = entry(() => this.flush())
  /** When a model paused by a capacity code may send again (lanes.ts). */
  readonly #laneResume = entry(() => this.flush())

  constructor(
    private readonly ledger: Ledger,
    private readonly options: OutboxOptions,
    private readonly hooks: OutboxHooks,
    private readonly schedule: Schedule,
  ) {}

  /** Asks for a flush at the end of this tick (at most one is ever pending). */
  wake(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    queueMicrotask(this.#flushScheduled)
  }

  /** Queues a getResponse for `taskUUID`. */
  poll(taskUUID: string): void {
    this.#control.push(encodeTask(getResponseTask(taskUUID)))
    this.wake()
  }

  /** A rate limit named no task: every send waits, longer each time until a task succeeds. */
  rateLimited(): void {
    this.pause(this.schedule.now() + backoffDelay(this.#rateLimitPauses++, this.options.retry, this.options.random))
  }

  /** A task resolved, or a socket became ready: rate-limit pauses start small again. */
  rateLimitOver(): void {
    this.#rateLimitPauses = 0
  }

  /** Holds every send until `until` (a rate limit). */
  pause(until: number): void {
    if (until <= this.#pausedUntil) return
    this.#pausedUntil = until
    this.schedule.add(this.#resume, until)
  }

  /** Control tasks are tied to one socket: a new socket starts without them. */
  dropControl(): void {
    this.#control.length = 0
  }

  clear(): void {
    this.#control.length = 0
    this.schedule.remove(this.#resume)
    this.schedule.remove(this.#laneResume)
  }

  #flushScheduled = (): void => {
    this.#scheduled = false
    this.hooks.run(this.#flush)
  }

  readonly #flush = (): void => {
    this.flush()
  }

  flush(): void {
    if (!this.hooks.ready() || this.schedule.now() < this.#pausedUntil) return
    const { maxBatchSize, maxInFlight } = this.options
    while (this.#control.length > 0) {
      const frame = joinEncoded(this.#control.splice(0, maxBatchSize))
      if (!this.hooks.write(frame)) return
    }
    for (;;) {
      // No room (at maxInFlight) takes nothing, and so does an empty queue.
      const batch = this.ledger.take(Math.min(maxBatchSize, maxInFlight - this.ledger.inFlight))
      // Nothing left, no room, or what waits is over its model's limit (a settle makes room and
      // wakes the outbox) or its model is paused.
      if (batch.length === 0) {
        const at = this.ledger.resumeAt()
        if (Number.isFinite(at)) this.schedule.add(this.#laneResume, at)
        return
      }
      // Written or not, these tasks are now in flight: if the socket just died, the
      // connection's loss handling reconciles them like any other task on the wire.
      this.hooks.write(encodeFrame(batch.map((record) => record.wire)))
    }
  }
}
