/**
 * Client options: every one documented with its default (docs/options.md's table follows this file; a spec checks it).
 * resolve-options.ts checks them once, at construction, so a typo fails loudly instead of
 * misbehaving at 3 a.m.
 */
import type { RandomSource } from '../support/backoff.js'
import type { Clock } from '../support/clock.js'
import type { ErrorPolicyOptions } from '../recovery/policy.js'
import { DEFAULT_URL, type ResultItem } from '../protocol/protocol.js'
import type { Journal, JsonValue } from './journal.js'
import type { ContextLike, TelemetryOptions } from './telemetry.js'
import type { WebSocketConstructor } from './websocket.js'
import type { TextDelta } from './result-types.js'

/** Where the client reports what it does. The API key never reaches it. */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void
  info?(message: string, fields?: Record<string, unknown>): void
  warn?(message: string, fields?: Record<string, unknown>): void
  error?(message: string, fields?: Record<string, unknown>): void
}

/**
 * What `run` needs of an AbortSignal (a standard one, Node's or a polyfill's, fits): structural,
 * so the published types need no DOM or Node typings.
 */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason?: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}

/** `run(task, options)`. */
export interface RunOptions<R extends ResultItem = ResultItem> {
  /** Aborts the task: before it is sent it leaves the queue; after, it rejects with `aborted`. */
  signal?: AbortSignalLike | undefined
  /** This task's deadline (rejects with `taskTimeout`). @default the client's taskTimeoutMs */
  timeoutMs?: number | undefined
  /** Each result item as it arrives (a task with numberResults: 4 calls this four times). */
  onResult?: ((item: R) => void) | undefined
  /** getResponse progress (0–100) of an async task. */
  onProgress?: ((progress: number) => void) | undefined
  /** Each piece of a streamed text (`deliveryMethod: 'stream'`) as it arrives, before the result item. */
  onDelta?: ((delta: TextDelta) => void) | undefined
  /**
   * Any JSON value kept with the task's journal entry and given back by `recover()` in a later
   * process (an order id, say). At most 64 KiB of JSON.
   */
  meta?: JsonValue | undefined
  /**
   * The task's taskUUID is derived from this key (and `idempotencyNamespace`): the same key runs
   * the task once, in any process; a rerun collects its result, or rejects with its failure.
   */
  idempotencyKey?: string | undefined
  /**
   * The OpenTelemetry context (`@opentelemetry/api`'s Context) whose span the task's span is a
   * child of. @default the active context when run() is called
   */
  parentContext?: ContextLike | undefined
}

export interface HeartbeatOptions {
  /** Ping when no frame arrived for this long. @default 30_000 */
  intervalMs?: number | undefined
  /** Terminate the socket when nothing (not even a pong) arrives this long after a ping. @default 10_000 */
  timeoutMs?: number | undefined
}

export interface ReconnectOptions {
  /** Ceiling of the first reconnect delay (the delay itself is random below it). @default 1_000 */
  initialDelayMs?: number | undefined
  /** @default 30_000 */
  maxDelayMs?: number | undefined
  /** @default 2 */
  multiplier?: number | undefined
  /** Reconnects in a row before giving up (`failed`, `reconnectFailed`). @default Infinity */
  maxAttempts?: number | undefined
  /** The attempt count resets after the socket stayed ready this long. @default 10_000 */
  stableAfterMs?: number | undefined
}

export interface RetryOptions {
  /** Submissions of one task, the first included (`3` = at most two retries). @default 3 */
  maxAttempts?: number | undefined
  /** @default 1_000 */
  initialDelayMs?: number | undefined
  /** @default 30_000 */
  maxDelayMs?: number | undefined
  /** @default 2 */
  multiplier?: number | undefined
}

export interface PollOptions {
  /** The first getResponse after an async task's acknowledgement. @default 1_000 */
  initialDelayMs?: number | undefined
  /** @default 1.5 */
  multiplier?: number | undefined
  /** @default 10_000 */
  maxDelayMs?: number | undefined
  /** A poll with no answer after this long is sent again. @default 10_000 */
  timeoutMs?: number | undefined
  /**
   * An async task whose acknowledgement has not come this long after it was sent is asked about
   * with getResponse (the reply may have been lost): known, it is polled; unknown, it is sent again
   * under the same id. @default 10_000
   */
  ackTimeoutMs?: number | undefined
  /**
   * A polled task that getResponse answers with `{"data": []}` (it does not know the id) this many
   * times in a row rejects: with the server's `conflictTaskUUID` when that is why it was polled (a
   * caller-supplied id someone else used), `taskUnknown` otherwise. @default 3
   */
  maxEmptyAnswers?: number | undefined
}

export interface RunwareSocketOptions {
  /** Runware API key. @default process.env.RUNWARE_API_KEY */
  apiKey?: string | undefined
  /** @default 'wss://ws-api.runware.ai/v1' */
  url?: string | undefined
  /**
   * How tasks travel (docs/transports.md): `websocket`; `http` (each tick's tasks in one POST to
   * `httpUrl`); `auto` (the WebSocket first, HTTP when it was never reached in this process). @default 'websocket'
   */
  transport?: Transport | undefined
  /** The REST endpoint. @default 'https://api.runware.ai/v1', or `url` with http(s): when `url` is given */
  httpUrl?: string | undefined
  /**
   * The WebSocket implementation: the `ws` class (or a subclass, a wrapper with its API), or a
   * standard WHATWG WebSocket constructor (undici's, Node 22's global). `maxFrameBytes` is
   * enforced before buffering only by `ws`; a standard socket sends no User-Agent. @default the `ws` package
   */
  WebSocket?: WebSocketConstructor | undefined
  /** Opening the socket. @default 10_000 */
  connectTimeoutMs?: number | undefined
  /** Waiting for the authentication reply. @default 15_000 */
  authTimeoutMs?: number | undefined
  /** A task's deadline, unless `run(task, { timeoutMs })` says otherwise. @default 300_000 */
  taskTimeoutMs?: number | undefined
  /** `false` turns the heartbeat off. */
  heartbeat?: HeartbeatOptions | false | undefined
  reconnect?: ReconnectOptions | undefined
  /** Per-task retries after a retryable error code (under a fresh taskUUID). */
  retry?: RetryOptions | undefined
  /** getResponse polling of async tasks and of tasks being reconciled after a reconnect. */
  poll?: PollOptions | undefined
  /** Overrides of the code → category table. */
  errorPolicy?: ErrorPolicyOptions | undefined
  /** Re-authenticate with the previous connectionSessionUUID when reconnecting within this window. @default 120_000 */
  resumeWindowMs?: number | undefined
  /** After a resume, wait this long for replayed results before asking getResponse. @default 1_000 */
  resumeGraceMs?: number | undefined
  /**
   * Keep tasks whose socket died and reconcile them after reconnecting (resume, getResponse,
   * resend under the same id). `false` rejects them with a retryable `connectionLost` instead.
   * @default true
   */
  recover?: boolean | undefined
  /** Tasks waiting to be sent (not yet on the wire); more reject with `queueFull`. @default 100_000 */
  maxQueued?: number | undefined
  /** Tasks on the wire at once; the rest wait in the queue. With `concurrency`, the cap over every model's limit. @default 1_000 */
  maxInFlight?: number | undefined
  /**
   * `'adaptive'`: a concurrency limit per model (the task's `model`, else its `taskType`), learned
   * from latency and cut on capacity codes; tasks over their model's limit wait in its own queue
   * (docs/capacity.md). Unset: `maxInFlight` alone, as one queue.
   */
  concurrency?: 'adaptive' | AdaptiveConcurrencyOptions | undefined
  /** Tasks per outbound frame. @default 100 */
  maxBatchSize?: number | undefined
  /**
   * The largest inbound frame accepted (`ws` only: it refuses a bigger frame before buffering it,
   * and closes the socket with 1009). Such a frame is reported as a `frameTooLarge` error and the
   * client reconnects. @default 104_857_600 (100 MiB, base64 results can be large)
   */
  maxFrameBytes?: number | undefined
  /**
   * Allow a `ws://` URL to a host that is not loopback. Off by default: over `ws://` the API key
   * crosses the network in cleartext. @default false
   */
  allowCleartext?: boolean | undefined
  /**
   * Where each task is written, durably, before it is sent: `fileJournal(path)`, `redisJournal(…)`
   * from `runware-socket/queue`, or your own store. `recover()` then gives back, in a later process,
   * what this one left in flight (docs/durability.md).
   */
  journal?: Journal | undefined
  /**
   * The namespace idempotency keys live in. @default derived one way from the API key (a rotated
   * key is a new namespace: set this to keep keys across a rotation)
   */
  idempotencyNamespace?: string | undefined
  /**
   * OpenTelemetry: a CLIENT span per task and the client's metrics (docs/telemetry.md). By default
   * the global providers, when `@opentelemetry/api` is installed (nothing of it is loaded when it
   * is not); `false`: off.
   */
  telemetry?: false | TelemetryOptions | undefined
  /** Every task asks for its cost (`includeCost: true`) unless it says otherwise; `client.cost` sums them. @default false (true with a budget) */
  includeCost?: boolean | undefined
  /**
   * Once results have cost `maxUSD` in all, new tasks are refused with `budgetExceeded`. Tasks
   * already admitted run on: the overshoot is at most what they cost (docs/telemetry.md, Cost).
   */
  budget?: { maxUSD: number } | undefined
  /** Where the client reports what it does (never the API key). A logger that throws is ignored. */
  logger?: Logger | undefined
  /** Time source for every timer; for tests. @default the system clock */
  clock?: Clock | undefined
  /** Uniform [0, 1) source for backoff jitter; for tests. @default Math.random */
  random?: RandomSource | undefined
}

export interface AdaptiveConcurrencyOptions {
  adaptive: true
  /** Each model's limit before anything is learned. @default 4 */
  initial?: number | undefined
  /** @default 1 */
  min?: number | undefined
  /** @default 256 (and never above `maxInFlight`) */
  max?: number | undefined
}

export type Transport = 'websocket' | 'http' | 'auto'

export type Required_<T> = { readonly [K in keyof T]-?: Exclude<T[K], undefined> }

export interface ResolvedOptions {
  readonly apiKey: string
  readonly url: string
  readonly transport: Transport
  readonly httpUrl: string
  readonly WebSocket: WebSocketConstructor
  readonly connectTimeoutMs: number
  readonly authTimeoutMs: number
  readonly taskTimeoutMs: number
  readonly heartbeat: Required_<HeartbeatOptions> | false
  readonly reconnect: Required_<ReconnectOptions>
  readonly retry: Required_<RetryOptions>
  readonly poll: Required_<PollOptions>
  readonly errorPolicy: ErrorPolicyOptions
  readonly resumeWindowMs: number
  readonly resumeGraceMs: number
  readonly recover: boolean
  readonly maxQueued: number
  readonly maxInFlight: number
  /** Adaptive concurrency's bounds, or undefined (maxInFlight alone). */
  readonly concurrency: { readonly initial: number; readonly min: number; readonly max: number } | undefined
  readonly maxBatchSize: number
  readonly maxFrameBytes: number
  readonly journal: Journal | undefined
  readonly idempotencyNamespace: string
  /** Undefined: the global providers if `@opentelemetry/api` is there. */
  readonly telemetry: false | TelemetryOptions | undefined
  readonly includeCost: boolean
  readonly budget: { readonly maxUSD: number } | undefined
  readonly logger: Logger
  readonly clock: Clock
  readonly random: RandomSource
}

export const DEFAULTS = {
  url: DEFAULT_URL,
  connectTimeoutMs: 10_000,
  authTimeoutMs: 15_000,
  taskTimeoutMs: 300_000,
  heartbeat: { intervalMs: 30_000, timeoutMs: 10_000 },
  reconnect: { initialDelayMs: 1_000, maxDelayMs: 30_000, multiplier: 2, maxAttempts: Infinity, stableAfterMs: 10_000 },
  retry: { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 30_000, multiplier: 2 },
  poll: { initialDelayMs: 1_000, multiplier: 1.5, maxDelayMs: 10_000, timeoutMs: 10_000, ackTimeoutMs: 10_000, maxEmptyAnswers: 3 },
  resumeWindowMs: 120_000,
  resumeGraceMs: 1_000,
  recover: true,
  maxQueued: 100_000,
  maxInFlight: 1_000,
  concurrency: { initial: 4, min: 1, max: 256 },
  maxBatchSize: 100,
  maxFrameBytes: 100 * 1024 * 1024,
  allowCleartext: false,
} as const
