/** The command lines of `runware-socket worker` and `runware-socket enqueue` (the fleet on Redis). */
import { DEFAULTS } from '../api/options.js'
import { apiKeyFromEnv, expectPositionals, outputOf, integerFlag, outputFlag, parseFlags, schemeUrlFlag, UsageError, urlFlag } from './args.js'
import type { Io } from './io.js'

export interface WorkerConfig {
  redis: string
  queue: string
  concurrency: number
  url: string
  drainMs: number
  lockMs: number
  /** How long Redis may take to answer at start. */
  redisTimeoutMs: number
  /** ws:// to a host that is not loopback, knowingly. */
  allowCleartext: boolean
  apiKey: string
  /** Serve /metrics, /healthz and /readyz on this port (0: a free one). */
  metricsPort: number | undefined
  /** The address the metrics server binds; undefined: every interface. */
  metricsHost: string | undefined
}

export interface EnqueueConfig {
  input: string
  redis: string
  queue: string
  output: string | undefined
  wait: boolean
  timeoutMs: number
  attempts: number
  redisTimeoutMs: number
  /** Seconds a completed job (its results) stays in Redis. */
  keepCompletedS: number
}

export const FLEET_DEFAULTS = {
  queue: 'runware',
  concurrency: 100,
  drainMs: 30_000,
  lockMs: 30_000,
  timeoutMs: 600_000,
  attempts: 3,
  redisTimeoutMs: 10_000,
  keepCompletedS: 86_400,
} as const

function redisFlag(command: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError('--redis URL is required (e.g. redis://127.0.0.1:6379)', command)
  return schemeUrlFlag(command, 'redis', value, ['redis', 'rediss']) ?? value
}

function queueFlag(command: string, value: string | undefined): string {
  if (value === undefined) return FLEET_DEFAULTS.queue
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(value))
    throw new UsageError(`--queue must be 1 to 100 letters, digits, '.', '_' or '-', got ${JSON.stringify(value)}`, command)
  return value
}

export function parseWorkerArgs(args: readonly string[], env: Io['env']): WorkerConfig | 'help' {
  const { values, positionals } = parseFlags('worker', args, {
    redis: { type: 'string' },
    queue: { type: 'string' },
    concurrency: { type: 'string' },
    url: { type: 'string' },
    'drain-ms': { type: 'string' },
    'lock-ms': { type: 'string' },
    'redis-timeout-ms': { type: 'string' },
    'allow-cleartext': { type: 'boolean' },
    'metrics-port': { type: 'string' },
    'metrics-host': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  })
  if (values.help === true) return 'help'
  expectPositionals('worker', positionals, [])
  const metricsHost = values['metrics-host']
  if (metricsHost !== undefined && !/^[A-Za-z0-9.:-]{1,255}$/.test(metricsHost))
    throw new UsageError(`--metrics-host must be a host name or an IP address, got ${JSON.stringify(metricsHost)}`, 'worker')
  const metricsPort = integerFlag('worker', 'metrics-port', values['metrics-port'], { min: 0, max: 65_535 })
  if (metricsHost !== undefined && metricsPort === undefined) throw new UsageError('--metrics-host needs --metrics-port', 'worker')
  const allowCleartext = values['allow-cleartext'] === true
  const redis = redisFlag('worker', values.redis)
  const apiKey = apiKeyFromEnv('worker', env)
  return {
    redis,
    queue: queueFlag('worker', values.queue),
    concurrency: integerFlag('worker', 'concurrency', values.concurrency, { min: 1, max: 10_000 }) ?? FLEET_DEFAULTS.concurrency,
    url: urlFlag('worker', values.url, allowCleartext) ?? DEFAULTS.url,
    drainMs: integerFlag('worker', 'drain-ms', values['drain-ms'], { min: 0 }) ?? FLEET_DEFAULTS.drainMs,
    lockMs: integerFlag('worker', 'lock-ms', values['lock-ms'], { min: 100 }) ?? FLEET_DEFAULTS.lockMs,
    redisTimeoutMs: integerFlag('worker', 'redis-timeout-ms', values['redis-timeout-ms'], { min: 1 }) ?? FLEET_DEFAULTS.redisTimeoutMs,
    allowCleartext,
    apiKey,
    metricsPort,
    metricsHost,
  }
}

export function parseEnqueueArgs(args: readonly string[]): EnqueueConfig | 'help' {
  const { values, positionals } = parseFlags('enqueue', args, {
    redis: { type: 'string' },
    queue: { type: 'string' },
    output: { type: 'string', short: 'o' },
    out: { type: 'string' },
    'no-wait': { type: 'boolean' },
    'timeout-ms': { type: 'string' },
    attempts: { type: 'string' },
    'redis-timeout-ms': { type: 'string' },
    'keep-completed-s': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  })
  if (values.help === true) return 'help'
  const [input = ''] = expectPositionals('enqueue', positionals, ['tasks.jsonl'])
  const output = outputFlag('enqueue', 'output', outputOf('enqueue', values), input)
  return {
    input,
    redis: redisFlag('enqueue', values.redis),
    queue: queueFlag('enqueue', values.queue),
    output,
    wait: values['no-wait'] !== true,
    timeoutMs: integerFlag('enqueue', 'timeout-ms', values['timeout-ms'], { min: 1 }) ?? FLEET_DEFAULTS.timeoutMs,
    attempts: integerFlag('enqueue', 'attempts', values.attempts, { min: 1, max: 100 }) ?? FLEET_DEFAULTS.attempts,
    redisTimeoutMs: integerFlag('enqueue', 'redis-timeout-ms', values['redis-timeout-ms'], { min: 1 }) ?? FLEET_DEFAULTS.redisTimeoutMs,
    keepCompletedS: integerFlag('enqueue', 'keep-completed-s', values['keep-completed-s'], { min: 1 }) ?? FLEET_DEFAULTS.keepCompletedS,
  }
}
