/**
 * `runware-socket demo`: the simulator in-process with seeded chaos, a mixed workload through one
 * RunwareSocket, live progress, then the books: every task either completed with all its results
 * or was rejected with a code the simulator injected for it; nothing ran twice; every item the
 * simulator produced reached the caller.
 */
import { RunwareSocket } from '../client.js'
import { RunwareError } from '../support/errors.js'
import { untyped } from '../api/task-types.js'
import type { RunwareSocketOptions, Transport } from '../api/options.js'
import { startSimulator } from '../simulator/index.js'
import { choiceFlag, integerFlag, parseFlags, expectPositionals } from './args.js'
import { CHAOS_LEVELS, CHAOS_PRESETS, describeChaos, type ChaosLevel } from './chaos.js'
import { EXIT, exitCodeFor, useColor, type Io, type Signal } from './io.js'
import { makeTasks } from './mix.js'
import { Progress } from './progress.js'
import { seededRandom } from './random.js'
import { demoPassed, formatDemoSummary, verdict, type DemoReport, type Tracked } from './demo-report.js'
import { formatCounts, percentile } from './summary.js'

export interface DemoConfig {
  tasks: number
  seed: number
  chaos: ChaosLevel
  concurrency: number
  /** `auto` meets a simulator that refuses the WebSocket upgrade, so the fallback is what runs. */
  transport: Transport
}

export const DEMO_DEFAULTS: Readonly<DemoConfig> = { tasks: 1_000, seed: 1, chaos: 'heavy', concurrency: 100, transport: 'websocket' }
const TRANSPORTS = ['websocket', 'http', 'auto'] as const satisfies readonly Transport[]

export function parseDemoArgs(args: readonly string[]): DemoConfig | 'help' {
  const { values, positionals } = parseFlags('demo', args, {
    tasks: { type: 'string' },
    seed: { type: 'string' },
    chaos: { type: 'string' },
    concurrency: { type: 'string' },
    transport: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  })
  if (values.help === true) return 'help'
  expectPositionals('demo', positionals, [])
  return {
    tasks: integerFlag('demo', 'tasks', values.tasks, { min: 1, max: 1_000_000 }) ?? DEMO_DEFAULTS.tasks,
    seed: integerFlag('demo', 'seed', values.seed, { min: 0, max: 2 ** 32 - 1 }) ?? DEMO_DEFAULTS.seed,
    chaos: choiceFlag('demo', 'chaos', values.chaos, CHAOS_LEVELS) ?? DEMO_DEFAULTS.chaos,
    concurrency: integerFlag('demo', 'concurrency', values.concurrency, { min: 1, max: 10_000 }) ?? DEMO_DEFAULTS.concurrency,
    transport: choiceFlag('demo', 'transport', values.transport, TRANSPORTS) ?? DEMO_DEFAULTS.transport,
  }
}

/** The simulator on localhost answers in milliseconds, so recovery can be fast too. */
export const DEMO_CLIENT_OPTIONS = {
  heartbeat: { intervalMs: 250, timeoutMs: 250 },
  reconnect: { initialDelayMs: 50, maxDelayMs: 500, stableAfterMs: 2_000 },
  // High enough that only permanent codes reject (six retryable failures in a row: ~1e-8).
  retry: { maxAttempts: 8, initialDelayMs: 20, maxDelayMs: 300 },
  poll: { initialDelayMs: 100, maxDelayMs: 300, timeoutMs: 1_000, ackTimeoutMs: 1_000 },
  resumeGraceMs: 100,
  connectTimeoutMs: 2_000,
  authTimeoutMs: 2_000,
  taskTimeoutMs: 25_000,
} as const satisfies RunwareSocketOptions

// Framing drawn per task from all three modes, seeded: no client may lean on one of them.
const DEMO_SIMULATOR = { latencyMs: { min: 10, max: 150 }, asyncDurationMs: 400, framing: 'mixed' } as const

/** A key the in-process simulator accepts; not a secret, and still never printed. */
const DEMO_API_KEY = 'demo-key-simulator-only'

interface Counters {
  retries: number
  retryCodes: Map<string, number>
  retriedTasks: Set<string>
  resubmits: number
  reconnects: number
  reconnectReasons: Map<string, number>
  resumes: number
  protocolErrors: number
}

const bump = (map: Map<string, number>, key: string): void => {
  map.set(key, (map.get(key) ?? 0) + 1)
}

function describeTransport(transport: Transport): string {
  if (transport === 'http') return 'http (every tick one POST; its answer, or its events, the frame)'
  if (transport === 'auto') return 'auto (the simulator refuses the WebSocket upgrade: HTTP it is)'
  return 'websocket'
}

export async function demo(config: DemoConfig, io: Io): Promise<number> {
  const random = seededRandom(config.seed)
  const specs = makeTasks(random, config.tasks)
  const refuseUpgrade = config.transport === 'auto'
  const sim = await startSimulator({ ...DEMO_SIMULATOR, seed: config.seed, chaos: CHAOS_PRESETS[config.chaos], apiKeys: [DEMO_API_KEY], refuseUpgrade })
  const { transport } = config
  const client = new RunwareSocket({ ...DEMO_CLIENT_OPTIONS, apiKey: DEMO_API_KEY, url: sim.url, transport, random: seededRandom(config.seed ^ 0x5eed) })
  const mix = new Map<string, number>()
  for (const spec of specs) bump(mix, spec.taskType)
  io.stdout.write(
    `runware-socket demo: ${config.tasks} tasks through one RunwareSocket (seed ${config.seed}, ${config.concurrency} in flight)\n` +
      `  simulator  ${sim.url}\n  transport  ${describeTransport(transport)}\n` +
      `  chaos      ${describeChaos(config.chaos)}\n  mix        ${formatCounts(mix)}\n`,
  )

  const counters: Counters = {
    retries: 0,
    retryCodes: new Map(),
    retriedTasks: new Set(),
    resubmits: 0,
    reconnects: 0,
    reconnectReasons: new Map(),
    resumes: 0,
    protocolErrors: 0,
  }
  const byId = new Map<string, Tracked>()
  client.on('task', (event) => {
    if (event.type === 'retry') {
      counters.retries += 1
      bump(counters.retryCodes, event.code)
      counters.retriedTasks.add(event.taskUUID)
      byId.get(event.taskUUID)?.wireUUIDs.push(event.wireUUID)
    } else if (event.type === 'resubmit') {
      counters.resubmits += 1
    }
  })
  client.on('state', (event) => {
    if (event.to === 'reconnecting') {
      counters.reconnects += 1
      bump(counters.reconnectReasons, event.reason)
    } else if (event.to === 'ready' && event.resumed === true) {
      counters.resumes += 1
    }
  })
  client.on('error', () => (counters.protocolErrors += 1))

  const tracked: Tracked[] = []
  let ok = 0
  let failed = 0
  const progress = new Progress({ output: io.stderr, tty: io.stderr.isTTY === true, color: useColor(io.stderr, io.env), label: 'demo' }, () => ({
    done: ok + failed,
    total: config.tasks,
    totalKnown: true,
    ok,
    failed,
    note: `${counters.reconnects} reconnects, ${counters.retries} retries`,
  })).start()

  let interrupted: Signal | undefined
  const stopSignals = io.onSignal((signal) => {
    if (interrupted !== undefined) return
    interrupted = signal
    progress.log(`demo: ${signal}, stopping`)
    void client.close()
  })

  const started = performance.now()
  let next = 0
  const worker = async (): Promise<void> => {
    for (let index = next++; index < specs.length && interrupted === undefined; index = next++) {
      const spec = specs[index]
      if (spec === undefined) break
      const taskUUID = crypto.randomUUID()
      const entry: Tracked = { spec, taskUUID, wireUUIDs: [taskUUID], startedAt: performance.now() }
      tracked.push(entry)
      byId.set(taskUUID, entry)
      try {
        const items = await client.run(untyped({ ...spec.task, taskUUID }))
        entry.outcome = { kind: 'resolved', items: items.length }
        ok += 1
      } catch (error) {
        const code = error instanceof RunwareError ? error.code : 'unknown'
        entry.outcome = { kind: 'rejected', code, message: error instanceof Error ? error.message : String(error) }
        failed += 1
      }
      entry.settledAt = performance.now()
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(config.concurrency, specs.length) }, worker))
  } finally {
    progress.stop()
    stopSignals()
    await client.close()
    await sim.close()
  }
  if (interrupted !== undefined) {
    io.stderr.write(`demo: interrupted after ${ok + failed} of ${config.tasks} tasks\n`)
    return exitCodeFor(interrupted)
  }

  const injected = (id: string): string | undefined => sim.stats.failedTasks.get(id) ?? sim.stats.rateLimitedTasks.get(id)
  const rejectedByCode = new Map<string, number>()
  const lost: Tracked[] = []
  let completed = 0
  let resolvedItems = 0
  for (const entry of tracked) {
    if (entry.outcome?.kind === 'resolved') resolvedItems += entry.outcome.items
    const result = verdict(entry, injected)
    if (result === 'completed') completed += 1
    else if (result === 'lost') lost.push(entry)
    else if (entry.outcome?.kind === 'rejected') bump(rejectedByCode, entry.outcome.code)
  }
  const latencies = tracked.flatMap((entry) => (entry.settledAt === undefined ? [] : [entry.settledAt - entry.startedAt]))
  const report: DemoReport = {
    tasks: config.tasks,
    completed,
    rejectedByCode,
    lost,
    executedTwice: sim.stats.executedTwice().length,
    resolvedItems,
    itemsProduced: sim.stats.itemsProduced,
    retriedTasks: counters.retriedTasks.size,
    retries: counters.retries,
    retryCodes: counters.retryCodes,
    resubmits: counters.resubmits,
    reconnects: counters.reconnects,
    reconnectReasons: counters.reconnectReasons,
    resumes: counters.resumes,
    simulatorResumes: sim.stats.resumes,
    protocolErrors: counters.protocolErrors,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    wallMs: performance.now() - started,
    faults: sim.stats.faults,
  }
  io.stdout.write(formatDemoSummary(report, useColor(io.stdout, io.env)))
  for (const entry of lost.slice(0, 10)) {
    const outcome =
      entry.outcome === undefined
        ? 'never settled'
        : entry.outcome.kind === 'resolved'
          ? `${entry.outcome.items} of ${entry.spec.expected} items`
          : `${entry.outcome.code}: ${entry.outcome.message}`
    io.stderr.write(`lost: ${entry.taskUUID} (${entry.spec.taskType}) ${outcome}\n`)
  }
  return demoPassed(report) ? EXIT.ok : EXIT.failed
}
