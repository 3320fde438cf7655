/**
 * Waiting for jobs to finish without ever missing one, by construction:
 *
 * 1. one QueueEvents per queue, reading the events stream from the position it had before the
 *    reader was made (its last id, read first), never from "$" (events between "$" and the
 *    reader's first read would be lost);
 * 2. a waiter is registered before its job's state is read.
 *
 * A job that finishes is either finished in Redis when its state is read (1 then 2 then the read),
 * or its event is appended after that read, at a position the reader has not passed yet. The
 * events stream is capped (BullMQ keeps about 10,000): a reader that fell that far behind could
 * still lose one, so the states of jobs waited for are also read again every `sweepMs`.
 * Waiters are found by job id in a Map: one listener per event kind, whatever the number waiting.
 */
import { QueueEvents, type ConnectionOptions, type Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { RedisHealth } from './health.js'

/** How a job ended: its return value, or the reason BullMQ gives for its failure. */
export type Finish = { state: 'completed'; value: unknown } | { state: 'failed'; reason: string } | { state: 'missing' }

interface Waiter {
  done(finish: Finish): void
  /** Reads the job's state again (the sweep's way in). */
  read(): Promise<Finish | undefined>
}

export class Completions {
  readonly #waiters = new Map<string, Set<Waiter>>()
  #events: Promise<QueueEvents> | undefined
  #sweeper: NodeJS.Timeout | undefined
  #closed = false

  constructor(
    private readonly queue: Queue,
    private readonly connection: ConnectionOptions,
    private readonly redis: () => Promise<Redis>,
    private readonly health: RedisHealth,
    private readonly sweepMs = 5_000,
  ) {}

  /**
   * How the job ends, or `undefined` when `timeoutMs` passes first. `read` gives the job's state
   * now (it runs after the waiter is in place).
   */
  async wait(jobId: string, timeoutMs: number, read: () => Promise<Finish | undefined>): Promise<Finish | undefined> {
    await this.#reader()
    let waiter!: Waiter
    let timer: NodeJS.Timeout | undefined
    const finished = new Promise<Finish | undefined>((resolve) => {
      waiter = { done: resolve, read }
      timer = setTimeout(() => resolve(undefined), timeoutMs)
    })
    this.#add(jobId, waiter)
    try {
      const now = await read()
      if (now !== undefined) waiter.done(now)
      return await finished
    } finally {
      clearTimeout(timer)
      this.#remove(jobId, waiter)
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#sweeper)
    const events = this.#events
    this.#events = undefined
    if (events !== undefined) await (await events).close()
  }

  #reader(): Promise<QueueEvents> {
    return (this.#events ??= (async () => {
      const client = await this.redis()
      // The stream's position now: the reader starts there, so nothing after it is skipped.
      const last = (await client.xrevrange(this.queue.keys.events ?? `${this.queue.qualifiedName}:events`, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0'
      const prefix = this.queue.opts.prefix
      const events = new QueueEvents(this.queue.name, {
        connection: this.connection,
        lastEventId: last,
        skipVersionCheck: true,
        ...(prefix === undefined ? {} : { prefix }),
      })
      this.health.watch(events)
      events.on('completed', ({ jobId, returnvalue }) => {
        this.health.alive()
        this.#finish(jobId, { state: 'completed', value: returnvalue })
      })
      events.on('failed', ({ jobId, failedReason }) => {
        this.health.alive()
        this.#finish(jobId, { state: 'failed', reason: failedReason })
      })
      this.#sweeper = setInterval(() => void this.#sweep(), this.sweepMs)
      this.#sweeper.unref()
      if (this.#closed) await events.close()
      return events
    })())
  }

  #add(jobId: string, waiter: Waiter): void {
    let set = this.#waiters.get(jobId)
    if (set === undefined) this.#waiters.set(jobId, (set = new Set()))
    set.add(waiter)
  }

  #remove(jobId: string, waiter: Waiter): void {
    const set = this.#waiters.get(jobId)
    if (set === undefined) return
    set.delete(waiter)
    if (set.size === 0) this.#waiters.delete(jobId)
  }

  #finish(jobId: string, finish: Finish): void {
    const set = this.#waiters.get(jobId)
    if (set === undefined) return
    for (const waiter of set) waiter.done(finish)
  }

  /** The belt under the construction: jobs waited for are read again (a capped stream can lose an event). */
  async #sweep(): Promise<void> {
    if (this.#waiters.size === 0 || !this.health.reachable) return
    try {
      const ids = [...this.#waiters.keys()]
      const states = await Promise.all(ids.map((id) => this.queue.getJobState(id)))
      ids.forEach((id, i) => {
        const state = states[i]
        if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return
        for (const waiter of this.#waiters.get(id) ?? []) {
          void waiter.read().then(
            (finish) => finish !== undefined && waiter.done(finish),
            () => undefined,
          )
        }
      })
    } catch {
      // Redis is away: the health watch reports it; the next sweep tries again.
    }
  }
}
