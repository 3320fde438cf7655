/**
 * `runware-socket simulate`: the simulator as a standalone server. Prints its URL on stdout (the
 * one line a script waits for), runs until SIGINT/SIGTERM, then closes every socket and exits 0.
 */
import { startSimulator, type AuthErrorShape, type CapacitySpec, type Framing, type SimulatorOptions } from '../simulator/index.js'
import { choiceFlag, expectPositionals, integerFlag, latencyFlag, parseFlags, UsageError } from './args.js'
import { CHAOS_LEVELS, CHAOS_PRESETS, describeChaos, type ChaosLevel } from './chaos.js'
import { EXIT, type Io } from './io.js'

export interface SimulateConfig {
  port: number
  host: string
  seed: number
  latencyMs: number | { min: number; max: number }
  asyncMs: number
  chaos: ChaosLevel
  framing: Framing
  apiKeys: string[]
  authErrorShape: AuthErrorShape
  unknownTask: 'empty' | 'error'
  retentionMs: number
  loadPerTaskMs: number
  /** Per-model capacity (`--capacity MODEL=slots:K,queue:Q,service-ms:N|MIN-MAX,max-wait-ms:N`). */
  capacity: Record<string, CapacitySpec>
  /** Every WebSocket upgrade answered 403 (clients must fall back to HTTP). */
  refuseUpgrade: boolean
}

export const SIMULATE_DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  seed: 1,
  latencyMs: 0,
  asyncMs: 3_000,
  chaos: 'off',
  framing: 'task',
  authErrorShape: 'errors',
  unknownTask: 'empty',
  retentionMs: 3_600_000,
  loadPerTaskMs: 0,
} as const

const FRAMINGS: readonly Framing[] = ['item', 'task', 'batch', 'mixed']
const AUTH_SHAPES: readonly AuthErrorShape[] = ['errors', 'error', 'legacy']
const UNKNOWN_ANSWERS = ['empty', 'error'] as const

export function parseSimulateArgs(args: readonly string[]): SimulateConfig | 'help' {
  const { values, positionals } = parseFlags('simulate', args, {
    port: { type: 'string' },
    host: { type: 'string' },
    seed: { type: 'string' },
    'latency-ms': { type: 'string' },
    'async-ms': { type: 'string' },
    chaos: { type: 'string' },
    framing: { type: 'string' },
    'api-key': { type: 'string', multiple: true },
    'auth-error-shape': { type: 'string' },
    'unknown-task': { type: 'string' },
    'retention-ms': { type: 'string' },
    'load-per-task-ms': { type: 'string' },
    capacity: { type: 'string', multiple: true },
    'refuse-upgrade': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  })
  if (values.help === true) return 'help'
  expectPositionals('simulate', positionals, [])
  const apiKeys = values['api-key'] ?? []
  if (apiKeys.some((key) => key.trim() === '')) throw new UsageError('--api-key must not be empty', 'simulate')
  const host = values.host ?? SIMULATE_DEFAULTS.host
  if (host.trim() === '') throw new UsageError('--host must not be empty', 'simulate')
  return {
    port: integerFlag('simulate', 'port', values.port, { min: 0, max: 65_535 }) ?? SIMULATE_DEFAULTS.port,
    host,
    seed: integerFlag('simulate', 'seed', values.seed, { min: 0, max: 2 ** 32 - 1 }) ?? SIMULATE_DEFAULTS.seed,
    latencyMs: latencyFlag('simulate', values['latency-ms']) ?? SIMULATE_DEFAULTS.latencyMs,
    asyncMs: integerFlag('simulate', 'async-ms', values['async-ms'], { min: 0 }) ?? SIMULATE_DEFAULTS.asyncMs,
    chaos: choiceFlag('simulate', 'chaos', values.chaos, CHAOS_LEVELS) ?? SIMULATE_DEFAULTS.chaos,
    framing: choiceFlag('simulate', 'framing', values.framing, FRAMINGS) ?? SIMULATE_DEFAULTS.framing,
    apiKeys,
    authErrorShape: choiceFlag('simulate', 'auth-error-shape', values['auth-error-shape'], AUTH_SHAPES) ?? SIMULATE_DEFAULTS.authErrorShape,
    unknownTask: choiceFlag('simulate', 'unknown-task', values['unknown-task'], UNKNOWN_ANSWERS) ?? SIMULATE_DEFAULTS.unknownTask,
    retentionMs: integerFlag('simulate', 'retention-ms', values['retention-ms'], { min: 0 }) ?? SIMULATE_DEFAULTS.retentionMs,
    loadPerTaskMs: integerFlag('simulate', 'load-per-task-ms', values['load-per-task-ms'], { min: 0 }) ?? SIMULATE_DEFAULTS.loadPerTaskMs,
    capacity: capacityFlags(values.capacity ?? []),
    refuseUpgrade: values['refuse-upgrade'] === true,
  }
}

const CAPACITY_FIELDS = ['slots', 'queue', 'service-ms', 'max-wait-ms'] as const

/** `MODEL=slots:8,queue:16,service-ms:30-300,max-wait-ms:10000` (model names hold `:` and `@`, never `=`). */
function capacityFlags(given: readonly string[]): Record<string, CapacitySpec> {
  const capacity: Record<string, CapacitySpec> = {}
  const usage = (value: string, why: string): UsageError =>
    new UsageError(`--capacity ${JSON.stringify(value)}: ${why}; expected MODEL=slots:K[,queue:Q][,service-ms:N|MIN-MAX][,max-wait-ms:N]`, 'simulate')
  for (const value of given) {
    const at = value.lastIndexOf('=')
    const model = value.slice(0, Math.max(0, at)).trim()
    if (at <= 0 || model === '') throw usage(value, 'no model')
    if (Object.hasOwn(capacity, model)) throw usage(value, 'the model is given twice')
    const fields = new Map<string, string>()
    for (const part of value.slice(at + 1).split(',')) {
      const colon = part.indexOf(':')
      const key = part.slice(0, Math.max(0, colon)).trim()
      if (!(CAPACITY_FIELDS as readonly string[]).includes(key) || fields.has(key)) throw usage(value, `unknown or repeated field ${JSON.stringify(key)}`)
      fields.set(key, part.slice(colon + 1).trim())
    }
    const whole = (key: string, min: number): number | undefined => {
      const text = fields.get(key)
      if (text === undefined) return undefined
      const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
      if (!Number.isSafeInteger(n) || n < min) throw usage(value, `${key} must be an integer ≥ ${min}`)
      return n
    }
    const slots = whole('slots', 1)
    if (slots === undefined) throw usage(value, 'slots is required')
    const service = fields.get('service-ms')
    const serviceMs = service === undefined ? undefined : latencyFlag('simulate', service)
    const queue = whole('queue', 0)
    const maxWaitMs = whole('max-wait-ms', 1)
    capacity[model] = {
      slots,
      ...(queue === undefined ? {} : { queue }),
      ...(serviceMs === undefined ? {} : { serviceMs }),
      ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
    }
  }
  return capacity
}

export function simulatorOptions(config: SimulateConfig): SimulatorOptions {
  return {
    host: config.host,
    port: config.port,
    seed: config.seed,
    latencyMs: config.latencyMs,
    asyncDurationMs: config.asyncMs,
    framing: config.framing,
    chaos: CHAOS_PRESETS[config.chaos],
    authErrorShape: config.authErrorShape,
    unknownTaskAnswer: config.unknownTask,
    retentionMs: config.retentionMs,
    load: { perTaskMs: config.loadPerTaskMs },
    capacity: config.capacity,
    refuseUpgrade: config.refuseUpgrade,
    ...(config.apiKeys.length === 0 ? {} : { apiKeys: config.apiKeys }),
  }
}

export async function simulate(config: SimulateConfig, io: Io): Promise<number> {
  // Listen for signals before listening on the port: a signal in between must not kill us uncleanly.
  let signalled: (() => void) | undefined
  const signal = new Promise<void>((resolve) => (signalled = resolve))
  const stopSignals = io.onSignal(() => signalled?.())
  try {
    let sim
    try {
      sim = await startSimulator(simulatorOptions(config))
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      const why =
        code === 'EADDRINUSE' ? 'address in use' : code === 'EADDRNOTAVAIL' ? 'address not available' : error instanceof Error ? error.message : String(error)
      io.stderr.write(`runware-socket simulate: cannot listen on ${config.host}:${config.port}: ${why}\n`)
      return EXIT.fatal
    }
    sim.events.on('internalError', (error) => io.stderr.write(`simulate: internal error: ${error instanceof Error ? error.message : String(error)}\n`))
    io.stdout.write(`runware simulator listening on ${sim.url}\n`)
    const keys = config.apiKeys.length === 0 ? 'any non-empty API key' : `${config.apiKeys.length} API key(s) given with --api-key`
    io.stderr.write(`simulate: chaos ${describeChaos(config.chaos)}; accepting ${keys}; Ctrl-C to stop\n`)
    const upgrades = config.refuseUpgrade ? '; WebSocket upgrades refused (403)' : ''
    io.stderr.write(`simulate: REST on POST ${sim.httpUrl}${upgrades}\n`)
    await signal
    await sim.close()
    const stats = sim.stats
    io.stderr.write(
      `simulate: closed after ${stats.connections} connection(s), ${stats.executions.size} task(s) executed, ${stats.itemsProduced} ` +
        `item(s) produced, ${stats.executedTwice().length} executed twice\n`,
    )
    return EXIT.ok
  } finally {
    stopSignals()
  }
}
