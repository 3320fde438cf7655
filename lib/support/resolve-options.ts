/**
 * Checking and resolving the options, once, at construction: the shape of every option as data
 * (option-schema.ts checks it: unknown keys and wrong types throw a TypeError naming the path),
 * then ranges (a RangeError) and defaults.
 */
import WebSocket from 'ws'
import { MAX_TIMER_MS, validateBackoff, type BackoffOptions } from './backoff.js'
import { systemClock } from './clock.js'
import { defaultNamespace, MAX_IDEMPOTENCY_KEY_LENGTH } from '../protocol/ids.js'
import { DEFAULT_HTTP_URL } from '../protocol/protocol.js'
import { MIN_API_KEY_LENGTH, shortKeyMessage } from './errors.js'
import { checkShape, type Shape } from './option-schema.js'
import {
  DEFAULTS,
  type PollOptions,
  type ReconnectOptions,
  type Required_,
  type ResolvedOptions,
  type RetryOptions,
  type RunwareSocketOptions,
  type Transport,
} from '../api/options.js'

const BACKOFF: Shape = { object: { initialDelayMs: 'number', maxDelayMs: 'number', multiplier: 'number', maxAttempts: 'number' } }
const RECONNECT: Shape = { object: { initialDelayMs: 'number', maxDelayMs: 'number', multiplier: 'number', maxAttempts: 'number', stableAfterMs: 'number' } }
const POLL: Shape = {
  object: { initialDelayMs: 'number', maxDelayMs: 'number', multiplier: 'number', timeoutMs: 'number', ackTimeoutMs: 'number', maxEmptyAnswers: 'number' },
}

/** Every option and its type, read by `checkShape`; ranges are checked in `resolveOptions`. */
export const OPTION_SHAPE: Shape = {
  object: {
    apiKey: 'string',
    url: 'string',
    transport: 'string',
    httpUrl: 'string',
    WebSocket: 'function',
    connectTimeoutMs: 'number',
    authTimeoutMs: 'number',
    taskTimeoutMs: 'number',
    heartbeat: { falseOr: { object: { intervalMs: 'number', timeoutMs: 'number' } } },
    reconnect: RECONNECT,
    retry: BACKOFF,
    poll: POLL,
    errorPolicy: { object: { codes: { record: 'string' }, classify: 'function' } },
    resumeWindowMs: 'number',
    resumeGraceMs: 'number',
    recover: 'boolean',
    maxQueued: 'number',
    maxInFlight: 'number',
    concurrency: { literal: 'adaptive', or: { object: { adaptive: 'boolean', initial: 'number', min: 'number', max: 'number' }, required: ['adaptive'] } },
    maxBatchSize: 'number',
    maxFrameBytes: 'number',
    allowCleartext: 'boolean',
    journal: {
      object: { name: 'string', open: 'function', append: 'function', close: 'function', release: 'function' },
      required: ['open', 'append', 'close', 'release'],
      open: true,
    },
    idempotencyNamespace: 'string',
    telemetry: {
      falseOr: {
        object: {
          tracerProvider: { object: { getTracer: 'function' }, required: ['getTracer'], open: true },
          meterProvider: { object: { getMeter: 'function' }, required: ['getMeter'], open: true },
        },
      },
    },
    includeCost: 'boolean',
    budget: { object: { maxUSD: 'number' }, required: ['maxUSD'] },
    logger: { object: { debug: 'function', info: 'function', warn: 'function', error: 'function' } },
    clock: { object: { now: 'function', setTimeout: 'function', clearTimeout: 'function' }, required: ['now', 'setTimeout', 'clearTimeout'] },
    random: 'function',
  },
}

function duration(value: number | undefined, fallback: number, name: string, { allowZero = true, allowInfinity = false, timer = false } = {}): number {
  if (value === undefined) return fallback
  const ok = typeof value === 'number' && !Number.isNaN(value) && (allowZero ? value >= 0 : value > 0) && (allowInfinity || Number.isFinite(value))
  if (!ok) throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'}${allowInfinity ? '' : ' finite'} number, got ${String(value)}`)
  // One Node timer: longer ones fire after 1 ms.
  if (timer && value > MAX_TIMER_MS) throw new RangeError(`${name} must be at most ${MAX_TIMER_MS} ms (2^31 − 1, the longest Node timer), got ${value}`)
  return value
}

/** Loopback hosts, where ws:// never leaves the machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

function count(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  const ok = value === Infinity || (Number.isInteger(value) && value >= 1)
  if (!ok) throw new RangeError(`${name} must be an integer ≥ 1 or Infinity, got ${String(value)}`)
  return value
}

function backoff<T extends BackoffOptions>(given: { [K in keyof T]?: T[K] | undefined } | undefined, defaults: T, name: string): T {
  const merged = { ...defaults }
  for (const [key, value] of Object.entries(given ?? {})) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value
  }
  validateBackoff(merged, name)
  return merged
}

/** A URL of one of two schemes, the second only to a loopback host unless `allowCleartext` (it would carry the key in cleartext). */
function checkedUrl(name: 'url' | 'httpUrl', url: string, [secure, clear]: readonly [string, string], allowCleartext: boolean): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError(`${name} is not a valid URL`)
  }
  if (parsed.protocol !== secure && parsed.protocol !== clear) throw new TypeError(`${name} must be ${clear} or ${secure}, got ${parsed.protocol}`)
  if (parsed.protocol === clear && !allowCleartext && !isLoopback(parsed.hostname)) {
    throw new TypeError(`${name} ${clear}//${parsed.host} would send the API key in cleartext: use ${secure}//, or pass allowCleartext: true to allow it`)
  }
  return url
}

/** `ws://h/p` → `http://h/p`, `wss://` → `https://` (a simulator serves both on one port). */
function httpUrlFor(url: string): string {
  return url.replace(/^ws(s?):\/\//i, 'http$1://')
}

const TRANSPORTS: readonly Transport[] = ['websocket', 'http', 'auto']

function transportOf(given: string | undefined): Transport {
  if (given === undefined) return 'websocket'
  if (!(TRANSPORTS as readonly string[]).includes(given))
    throw new RangeError(`transport must be one of ${TRANSPORTS.join(', ')}, got ${JSON.stringify(given)}`)
  return given as Transport
}

/** The REST endpoint: given, else `url`'s own, else Runware's. */
function resolveHttpUrl(options: RunwareSocketOptions, url: string, allowCleartext: boolean): string {
  const given = options.httpUrl ?? (options.url === undefined ? DEFAULT_HTTP_URL : httpUrlFor(url))
  return checkedUrl('httpUrl', given, ['https:', 'http:'], allowCleartext)
}

function namespace(given: string | undefined, apiKey: string): string {
  if (given === undefined) return defaultNamespace(apiKey)
  if (given.length === 0 || given.length > MAX_IDEMPOTENCY_KEY_LENGTH)
    throw new RangeError(`idempotencyNamespace must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`)
  return given
}

/** Adaptive concurrency's bounds: whole numbers, min ≤ initial ≤ max, max within maxInFlight. */
function concurrency(given: RunwareSocketOptions['concurrency'], maxInFlight: number): ResolvedOptions['concurrency'] {
  if (given === undefined) return undefined
  const options: { adaptive: unknown; min?: number | undefined; max?: number | undefined; initial?: number | undefined } =
    given === 'adaptive' ? { adaptive: true } : given
  // Checked at run time: plain JavaScript may pass `adaptive: false`.
  if (options.adaptive !== true)
    throw new RangeError(`concurrency.adaptive must be true (leave concurrency out for a fixed maxInFlight), got ${String(options.adaptive)}`)
  const defaults = DEFAULTS.concurrency
  const min = count(options.min, defaults.min, 'concurrency.min')
  const max = Math.min(count(options.max, Math.max(min, defaults.max), 'concurrency.max'), maxInFlight)
  const initial = count(options.initial, Math.min(Math.max(defaults.initial, min), max), 'concurrency.initial')
  if (min > max) throw new RangeError(`concurrency.min (${min}) exceeds concurrency.max (${max}, within maxInFlight)`)
  if (initial < min || initial > max) throw new RangeError(`concurrency.initial (${initial}) must be within [${min}, ${max}]`)
  if (!Number.isFinite(max)) throw new RangeError('concurrency.max must be finite (or maxInFlight finite)')
  return { initial, min, max }
}

export function resolveOptions(options: RunwareSocketOptions = {}): ResolvedOptions {
  checkShape(options, OPTION_SHAPE, '')
  const apiKey = options.apiKey ?? process.env.RUNWARE_API_KEY
  if (typeof apiKey !== 'string' || apiKey.trim() === '') {
    throw new TypeError('apiKey is required: pass { apiKey } or set RUNWARE_API_KEY')
  }
  // Never the key itself in the message: its length says enough.
  if (apiKey.length < MIN_API_KEY_LENGTH) throw new TypeError(shortKeyMessage('apiKey', apiKey.length))
  const heartbeat =
    options.heartbeat === false
      ? false
      : {
          intervalMs: duration(options.heartbeat?.intervalMs, DEFAULTS.heartbeat.intervalMs, 'heartbeat.intervalMs', { allowZero: false, timer: true }),
          timeoutMs: duration(options.heartbeat?.timeoutMs, DEFAULTS.heartbeat.timeoutMs, 'heartbeat.timeoutMs', { allowZero: false, timer: true }),
        }
  const reconnect = backoff<Required_<ReconnectOptions>>(options.reconnect, { ...DEFAULTS.reconnect }, 'reconnect')
  count(reconnect.maxAttempts, DEFAULTS.reconnect.maxAttempts, 'reconnect.maxAttempts')
  duration(reconnect.stableAfterMs, 0, 'reconnect.stableAfterMs')
  const retry = backoff<Required_<RetryOptions>>(options.retry, { ...DEFAULTS.retry }, 'retry')
  count(retry.maxAttempts, DEFAULTS.retry.maxAttempts, 'retry.maxAttempts')
  const poll = backoff<Required_<PollOptions>>(options.poll, { ...DEFAULTS.poll }, 'poll')
  duration(poll.timeoutMs, 0, 'poll.timeoutMs', { allowZero: false })
  duration(poll.ackTimeoutMs, 0, 'poll.ackTimeoutMs', { allowZero: false, timer: true })
  count(poll.maxEmptyAnswers, DEFAULTS.poll.maxEmptyAnswers, 'poll.maxEmptyAnswers')

  const maxInFlight = count(options.maxInFlight, DEFAULTS.maxInFlight, 'maxInFlight')
  const cleartext = options.allowCleartext ?? DEFAULTS.allowCleartext
  const url = checkedUrl('url', options.url ?? DEFAULTS.url, ['wss:', 'ws:'], cleartext)
  return {
    apiKey,
    url,
    transport: transportOf(options.transport),
    httpUrl: resolveHttpUrl(options, url, cleartext),
    WebSocket: options.WebSocket ?? WebSocket,
    connectTimeoutMs: duration(options.connectTimeoutMs, DEFAULTS.connectTimeoutMs, 'connectTimeoutMs', { allowZero: false, timer: true }),
    authTimeoutMs: duration(options.authTimeoutMs, DEFAULTS.authTimeoutMs, 'authTimeoutMs', { allowZero: false, timer: true }),
    taskTimeoutMs: duration(options.taskTimeoutMs, DEFAULTS.taskTimeoutMs, 'taskTimeoutMs', { allowZero: false, allowInfinity: true }),
    heartbeat,
    reconnect,
    retry,
    poll,
    errorPolicy: options.errorPolicy ?? {},
    resumeWindowMs: duration(options.resumeWindowMs, DEFAULTS.resumeWindowMs, 'resumeWindowMs'),
    resumeGraceMs: duration(options.resumeGraceMs, DEFAULTS.resumeGraceMs, 'resumeGraceMs'),
    recover: options.recover ?? DEFAULTS.recover,
    maxQueued: count(options.maxQueued, DEFAULTS.maxQueued, 'maxQueued'),
    maxInFlight,
    concurrency: concurrency(options.concurrency, maxInFlight),
    maxBatchSize: count(options.maxBatchSize, DEFAULTS.maxBatchSize, 'maxBatchSize'),
    maxFrameBytes: count(options.maxFrameBytes, DEFAULTS.maxFrameBytes, 'maxFrameBytes'),
    journal: options.journal,
    idempotencyNamespace: namespace(options.idempotencyNamespace, apiKey),
    telemetry: options.telemetry,
    includeCost: options.includeCost ?? options.budget !== undefined,
    budget: budgetOf(options.budget),
    logger: options.logger ?? {},
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
  }
}

/** A budget of a positive, finite number of USD. */
function budgetOf(given: RunwareSocketOptions['budget']): ResolvedOptions['budget'] {
  if (given === undefined) return undefined
  if (!(given.maxUSD > 0) || !Number.isFinite(given.maxUSD)) throw new RangeError(`budget.maxUSD must be a positive finite number, got ${String(given.maxUSD)}`)
  return { maxUSD: given.maxUSD }
}
