/**
 * Redis as a fleet process sees it. Every BullMQ object the process makes reports here (its
 * 'error' events and its connection closing): an outage is logged once when it starts and once
 * when it ends (a connection of the library's own asks until Redis answers again); any other
 * error once per message a minute. Nothing reaches stderr unformatted, nothing is thrown.
 */
import { describeThrown } from '../support/errors.js'
import type { ConnectionOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import type { QueueLog } from './log.js'
import { describeRedis, ownConnection } from './redis.js'

/** The ways a Redis connection says the server is out of reach (Node's errno codes, ioredis's messages). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN'])
const UNREACHABLE_MESSAGES = /connection is closed|connect etimedout|max retries per request|stream isn't writeable|socket closed unexpectedly/i

/** A repeated error is logged again after this long. */
const REPEAT_AFTER_MS = 60_000

/** How often the probe asks while Redis is out of reach. */
const PROBE_EVERY_MS = 500

export function isUnreachable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true
  const message = (error as { message?: unknown }).message
  return typeof message === 'string' && UNREACHABLE_MESSAGES.test(message)
}

/** What a BullMQ object (Queue, Worker, QueueEvents) offers to be watched. */
interface Watchable {
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'ioredis:close', listener: () => void): unknown
}

export class RedisHealth {
  readonly #where: string
  #outage: { since: number; probe: Redis } | undefined
  #closed = false
  readonly #logged = new Map<string, number>()

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly log: QueueLog,
    private readonly changed: (reachable: boolean) => void = () => undefined,
  ) {
    this.#where = describeRedis(connection)
  }

  /** False from the first sign of an outage until Redis answers again. */
  get reachable(): boolean {
    return this.#outage === undefined
  }

  watch(emitter: Watchable): void {
    emitter.on('error', (error) => this.#error(error))
    emitter.on('ioredis:close', () => this.#lost('the connection closed'))
  }

  /** Something just worked against Redis (an event read, a job written): an outage, if any, is over. */
  alive(): void {
    if (this.#outage !== undefined) this.#back(this.#outage.probe)
  }

  /** Stops watching (before the objects watched are closed: their closing is no outage). */
  close(): void {
    this.#closed = true
    this.#outage?.probe.disconnect()
    this.#outage = undefined
  }

  #error(error: unknown): void {
    const message = describeThrown(error)
    if (isUnreachable(error)) {
      this.#lost(message)
      return
    }
    if (this.#closed) return
    const now = performance.now()
    const last = this.#logged.get(message)
    if (last !== undefined && now - last < REPEAT_AFTER_MS) return
    if (this.#logged.size > 100) this.#logged.clear()
    this.#logged.set(message, now)
    this.log('error', `Redis error: ${message}`, { redis: this.#where })
  }

  #lost(reason: string): void {
    if (this.#closed || this.#outage !== undefined) return
    const probe = ownConnection(this.connection, { retryStrategy: () => PROBE_EVERY_MS, connectTimeout: 2_000 })
    this.#outage = { since: performance.now(), probe }
    this.log('warn', `Redis at ${this.#where} is unreachable (${reason}): waiting for it`, { redis: this.#where })
    probe.once('ready', () => this.#back(probe))
    probe.connect().catch(() => undefined)
    this.changed(false)
  }

  #back(probe: Redis): void {
    const outage = this.#outage
    probe.disconnect()
    if (outage?.probe !== probe) return
    this.#outage = undefined
    const seconds = ((performance.now() - outage.since) / 1_000).toFixed(1)
    this.log('info', `Redis at ${this.#where} is reachable again after ${seconds} s`, {
      redis: this.#where,
      downMs: Math.round(performance.now() - outage.since),
    })
    this.changed(true)
  }
}
