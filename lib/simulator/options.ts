import { resolveCapacity, type CapacitySpec, type ResolvedCapacity } from './capacity.js'
import { systemClock, type Clock } from '../support/clock.js'

/**
 * How result items are cut into frames (the protocol allows all three; clients must count items).
 * `mixed` draws one of the three per task, seeded: what chaos runs use, so no client can lean on one.
 */
export type Framing = 'item' | 'task' | 'batch' | 'mixed'

/** Seeded-random fault injection. Frame rates apply to each result frame, task rates to each accepted task. */
export interface ChaosOptions {
  /** Per result frame: terminate the socket instead of sending it (the frame goes to the session buffer). @default 0 */
  dropRate?: number
  /** Per result frame: the socket goes half-open instead of sending it (see `Simulator.silence`). @default 0 */
  silenceRate?: number
  /** Per task: fail it at completion with a code from `retryableCodes` or `permanentCodes`. @default 0 */
  failRate?: number
  /** @default ['timeoutProvider', 'providerError', 'serviceUnavailable', 'taskFailed'] */
  retryableCodes?: readonly string[]
  /** @default ['contentPolicyViolation', 'insufficientCredits', 'invalidPositivePrompt'] */
  permanentCodes?: readonly string[]
  /** Share of injected failures that use a permanent code. @default 0.25 */
  permanentShare?: number
  /** Per task: refuse it (not executed) with `rateLimitCode`. @default 0 */
  rateLimitRate?: number
  /** @default 'rateLimitExceeded' */
  rateLimitCode?: string
  /** Per result frame: send it twice. @default 0 */
  duplicateRate?: number
  /** Per result frame: send a malformed frame before it. @default 0 */
  malformedRate?: number
  /** Per task: add `delayMs` of latency. @default 0 */
  delayRate?: number
  /** @default 1000 */
  delayMs?: number
  /** Per async task: its acknowledgement is never sent (the task runs; only the reply is lost). @default 0 */
  lostAckRate?: number
  /** Per getResponse: the answer is never sent. @default 0 */
  lostAnswerRate?: number
}

export interface SimulatorOptions {
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string
  /** 0 picks a free port. Any path and query string is accepted (`/v1?sdk=js&version=…`). @default 0 */
  port?: number
  /** Accepted API keys; when unset any non-empty string is accepted. */
  apiKeys?: readonly string[]
  /**
   * The envelope of an auth failure: `errors` (a list, as Runware's errors page shows), `error` (a
   * singular object, what the official TypeScript SDK reads) or `legacy` (`{error: true, errorId,
   * errorMessage}`, older docs). Which one the live server sends is an open question. @default 'errors'
   */
  authErrorShape?: AuthErrorShape
  /** The older switch for `authErrorShape: 'legacy'` (authErrorShape wins when both are given). @default false */
  legacyAuthErrors?: boolean
  /**
   * getResponse (and getTaskDetails) for a taskUUID the server does not know: `empty` answers
   * `{"data": []}` (what the docs show); `error` answers an error item, `taskNotFound`, or
   * `taskExpired` for one removed after `retentionMs` (both codes are the simulator's). @default 'empty'
   */
  unknownTaskAnswer?: 'empty' | 'error'
  /** How long a finished task stays known (getResponse, conflicts); also bounds memory. @default 3_600_000 */
  retentionMs?: number
  /** Load: each task's latency grows by `perTaskMs` for every task already running, up to `maxMs` more. */
  load?: { perTaskMs: number; maxMs?: number }
  /** Close a socket after this long without a frame in either direction (0 disables). @default 120_000 */
  idleTimeoutMs?: number
  /** How long a session's undelivered results are kept after its socket died. @default 120_000 */
  resumeWindowMs?: number
  /** Latency of sync tasks: fixed, or seeded-random in [min, max]. @default 0 */
  latencyMs?: number | { min: number; max: number }
  /**
   * Finite capacity per model (capacity.ts): K slots, a queue, a service time, a maximum wait. A
   * model not listed runs every task at once.
   */
  capacity?: Readonly<Record<string, CapacitySpec>>
  /** @default 'task' */
  framing?: Framing
  /** Cap on items per frame in 'batch' framing. @default 500 */
  maxItemsPerFrame?: number
  /** Seeds every random choice. @default 1 */
  seed?: number
  /** How long `deliveryMethod: "async"` tasks run before getResponse reports success. @default 3000 */
  asyncDurationMs?: number
  chaos?: ChaosOptions
  /** HTTP (`POST` on the same port): refuse every WebSocket upgrade with 403, as a proxy that blocks them does. @default false */
  refuseUpgrade?: boolean
  /** HTTP: a larger request body is answered 413. @default 8_388_608 */
  maxBodyBytes?: number
  /** HTTP: milliseconds between two events of a streamed text answer. @default 5 */
  streamChunkMs?: number
  /** Time source for latency, idle timeout, resume window and async progress. @default systemClock */
  clock?: Clock
}

const FRAMINGS: readonly Framing[] = ['item', 'task', 'batch', 'mixed']

export type AuthErrorShape = 'errors' | 'error' | 'legacy'
const AUTH_ERROR_SHAPES: readonly AuthErrorShape[] = ['errors', 'error', 'legacy']
const UNKNOWN_ANSWERS: readonly string[] = ['empty', 'error']

export type ResolvedChaos = Required<ChaosOptions>

export interface ResolvedOptions {
  host: string
  port: number
  apiKeys: ReadonlySet<string> | undefined
  authErrorShape: AuthErrorShape
  unknownTaskAnswer: 'empty' | 'error'
  retentionMs: number
  load: { perTaskMs: number; maxMs: number }
  idleTimeoutMs: number
  resumeWindowMs: number
  latency: { min: number; max: number }
  capacity: ReadonlyMap<string, ResolvedCapacity>
  framing: Framing
  maxItemsPerFrame: number
  seed: number
  asyncDurationMs: number
  chaos: ResolvedChaos
  refuseUpgrade: boolean
  maxBodyBytes: number
  streamChunkMs: number
  clock: Clock
}

export const DEFAULT_RETRYABLE_CODES: readonly string[] = ['timeoutProvider', 'providerError', 'serviceUnavailable', 'taskFailed']
export const DEFAULT_PERMANENT_CODES: readonly string[] = ['contentPolicyViolation', 'insufficientCredits', 'invalidPositivePrompt']

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`)
  return value
}

function rate(name: string, value: number | undefined): number {
  if (value === undefined) return 0
  if (!(value >= 0 && value <= 1)) throw new RangeError(`chaos.${name} must be in [0, 1], got ${value}`)
  return value
}

function codes(name: string, value: readonly string[] | undefined, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback
  if (value.length === 0 || value.some((code) => code === '')) throw new RangeError(`chaos.${name} must list at least one non-empty code`)
  return [...value]
}

export function resolveChaos(chaos: ChaosOptions = {}): ResolvedChaos {
  return {
    dropRate: rate('dropRate', chaos.dropRate),
    silenceRate: rate('silenceRate', chaos.silenceRate),
    failRate: rate('failRate', chaos.failRate),
    retryableCodes: codes('retryableCodes', chaos.retryableCodes, DEFAULT_RETRYABLE_CODES),
    permanentCodes: codes('permanentCodes', chaos.permanentCodes, DEFAULT_PERMANENT_CODES),
    permanentShare: chaos.permanentShare === undefined ? 0.25 : rate('permanentShare', chaos.permanentShare),
    rateLimitRate: rate('rateLimitRate', chaos.rateLimitRate),
    rateLimitCode: chaos.rateLimitCode ?? 'rateLimitExceeded',
    duplicateRate: rate('duplicateRate', chaos.duplicateRate),
    malformedRate: rate('malformedRate', chaos.malformedRate),
    delayRate: rate('delayRate', chaos.delayRate),
    delayMs: nonNegative('chaos.delayMs', chaos.delayMs ?? 1000),
    lostAckRate: rate('lostAckRate', chaos.lostAckRate),
    lostAnswerRate: rate('lostAnswerRate', chaos.lostAnswerRate),
  }
}

function authErrorShape(options: SimulatorOptions): AuthErrorShape {
  const shape = options.authErrorShape ?? (options.legacyAuthErrors === true ? 'legacy' : 'errors')
  if (!AUTH_ERROR_SHAPES.includes(shape)) throw new RangeError(`unknown authErrorShape ${JSON.stringify(shape)}`)
  const answer: string = options.unknownTaskAnswer ?? 'empty'
  if (!UNKNOWN_ANSWERS.includes(answer)) throw new RangeError(`unknown unknownTaskAnswer ${JSON.stringify(answer)}`)
  return shape
}

/** Applies defaults and rejects nonsense up front, so a typo fails at start, not mid-run. */
export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  const latency = options.latencyMs ?? 0
  const range = typeof latency === 'number' ? { min: latency, max: latency } : { min: latency.min, max: latency.max }
  nonNegative('latencyMs.min', range.min)
  nonNegative('latencyMs.max', range.max)
  if (range.min > range.max) throw new RangeError(`latencyMs.min (${range.min}) exceeds latencyMs.max (${range.max})`)
  const framing = options.framing ?? 'task'
  if (!FRAMINGS.includes(framing)) throw new RangeError(`unknown framing ${JSON.stringify(framing)}`)
  const maxItemsPerFrame = options.maxItemsPerFrame ?? 500
  if (!Number.isInteger(maxItemsPerFrame) || maxItemsPerFrame < 1) throw new RangeError('maxItemsPerFrame must be an integer ≥ 1')
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer in [0, 65535], got ${port}`)
  return {
    host: options.host ?? '127.0.0.1',
    port,
    apiKeys: options.apiKeys === undefined ? undefined : new Set(options.apiKeys),
    authErrorShape: authErrorShape(options),
    unknownTaskAnswer: options.unknownTaskAnswer ?? 'empty',
    retentionMs: nonNegative('retentionMs', options.retentionMs ?? 3_600_000),
    load: { perTaskMs: nonNegative('load.perTaskMs', options.load?.perTaskMs ?? 0), maxMs: nonNegative('load.maxMs', options.load?.maxMs ?? 60_000) },
    idleTimeoutMs: nonNegative('idleTimeoutMs', options.idleTimeoutMs ?? 120_000),
    resumeWindowMs: nonNegative('resumeWindowMs', options.resumeWindowMs ?? 120_000),
    latency: range,
    capacity: resolveCapacity(options.capacity),
    framing,
    maxItemsPerFrame,
    seed: options.seed ?? 1,
    asyncDurationMs: nonNegative('asyncDurationMs', options.asyncDurationMs ?? 3000),
    chaos: resolveChaos(options.chaos),
    refuseUpgrade: options.refuseUpgrade === true,
    maxBodyBytes: nonNegative('maxBodyBytes', options.maxBodyBytes ?? 8_388_608),
    streamChunkMs: nonNegative('streamChunkMs', options.streamChunkMs ?? 5),
    clock: options.clock ?? systemClock,
  }
}
