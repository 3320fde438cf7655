/**
 * The fleet's capacity signal: a capacity code one worker meets cuts that model's limit in every
 * worker of the queue, so twenty workers do not each rediscover one overload. It travels over
 * Redis pub/sub, one channel per queue: a worker publishes when its own codes cut a model's limit
 * (the client's `limit` event, reason `capacity`: already once per round trip), and every other
 * worker cuts that model as if it had met the code itself (`reportCapacity`, reason `fleet`, which
 * is never published again: no echo). The limiter's once-per-round-trip rule makes one overload
 * one cut, however many workers saw it.
 *
 * Why not BullMQ's manual rate limit or global concurrency: both are one number for the whole
 * queue, so one model's overload would stop every model (head-of-line blocking across the fleet,
 * what the lanes exist to prevent), and neither touches the tasks a worker already holds.
 *
 * A signal is a hint: one lost in a Redis outage costs a worker only the time to meet the code
 * itself. A message is untrusted: bounded, parsed without throwing, its model checked.
 */
import type { Redis } from 'ioredis'
import type { ConnectionOptions } from 'bullmq'
import type { RunwareSocket } from '../client.js'
import type { LimitEvent } from '../api/events.js'
import type { QueueLog } from './log.js'
import { ownConnection } from './redis.js'

/** A message longer than this is not ours. */
const MAX_MESSAGE = 1_024
/** The client keeps a model name to this length (admit.ts); a longer one names no lane. */
const MAX_MODEL = 256
/** How soon the subscriber asks again while Redis is out of reach. */
const RECONNECT_MS = 500

export function capacityChannel(queue: string): string {
  return `runware:${queue}:capacity`
}

export interface CapacitySignalCounts {
  /** Cuts this worker's own codes made, published to the others. */
  sent: number
  /** Signals from other workers applied to this worker's limits. */
  received: number
}

export class CapacitySignals {
  readonly counts: CapacitySignalCounts = { sent: 0, received: 0 }
  readonly #channel: string
  readonly #subscriber: Redis
  readonly #publisher: Redis
  readonly #stopListening: () => void
  #closed = false

  constructor(
    queue: string,
    connection: ConnectionOptions,
    private readonly client: RunwareSocket,
    private readonly log: QueueLog,
  ) {
    this.#channel = capacityChannel(queue)
    // Subscribed mode needs a connection of its own; it subscribes whenever it is ready (again, after an outage).
    this.#subscriber = ownConnection(connection, { retryStrategy: () => RECONNECT_MS, autoResubscribe: false })
    this.#subscriber.on('ready', () => void this.#subscriber.subscribe(this.#channel).catch(() => undefined))
    this.#publisher = ownConnection(connection, { retryStrategy: () => RECONNECT_MS })
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) this.#received(message)
    })
    const onLimit = (event: LimitEvent): void => {
      if (event.reason === 'capacity') this.#publish(event.model)
    }
    client.on('limit', onLimit)
    this.#stopListening = () => client.off('limit', onLimit)
  }

  /** Resolves once connected (or when Redis cannot be reached now: both connections keep trying). */
  async start(): Promise<void> {
    try {
      await Promise.all([this.#subscriber.connect(), this.#publisher.connect()])
    } catch {
      // Not fatal: the worker learns from its own codes meanwhile, and ioredis keeps reconnecting.
    }
  }

  close(): void {
    this.#closed = true
    this.#stopListening()
    this.#subscriber.disconnect()
    this.#publisher.disconnect()
  }

  #publish(model: string): void {
    if (this.#closed) return
    this.counts.sent += 1
    const message = JSON.stringify({ model, from: this.client.id })
    this.#publisher.publish(this.#channel, message).catch(() => undefined)
  }

  #received(message: string): void {
    if (this.#closed) return
    const signal = parseSignal(message)
    if (signal === undefined || signal.from === this.client.id) return
    this.counts.received += 1
    this.log('debug', `capacity signal for ${signal.model} from another worker: its limit is cut here too`, { model: signal.model })
    this.client.reportCapacity(signal.model)
  }
}

/** `{ model, from }` from a message, or undefined when it is not one of ours. */
export function parseSignal(message: unknown): { model: string; from: string } | undefined {
  if (typeof message !== 'string' || message.length > MAX_MESSAGE) return undefined
  let value: unknown
  try {
    value = JSON.parse(message)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { model, from } = value as { model?: unknown; from?: unknown }
  if (typeof model !== 'string' || model.length === 0 || model.length > MAX_MODEL || typeof from !== 'string') return undefined
  return { model, from }
}
