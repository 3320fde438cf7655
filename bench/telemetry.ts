/**
 * What telemetry costs (`npx tsx bench/telemetry.ts [--quick]`): throughput at 100 tasks in flight
 * (closed loop) on the floor server (its own process), the compiled library in a fresh process per
 * turn (10,000 tasks of warm-up in it first, not timed), the modes taking turns in the same run (bench/telemetry-turn.ts): telemetry off, the
 * default with @opentelemetry/api installed and no SDK, @opentelemetry/api not installed (the
 * compiled library copied where only ws, eventemitter3 and nanoid resolve), the SDK's metrics
 * only, the SDK recording every span (BatchSpanProcessor, in-memory exporter emptied after each
 * batch) and the metrics, the same with the exporter keeping every span, and with one trace in ten sampled. Ratios of medians against `off`.
 * Mode `sdk` is no client at all: the SDK alone doing per task what the library asks of it, for
 * its CPU time per task beside the client's.
 *
 * `--no-preload`: the turns do not load the SDK's modules unless their mode uses them (the bench
 * before 2026-12-06; bench/telemetry-turn.ts says why it now does).
 *
 * `--pin`: the turn's process on CPU 0 and the server's on CPU 1 (taskset), so the two do not
 * share a core by the scheduler's choice.
 *
 * `--latency N`: against the simulator answering each task after N ms instead of the floor server
 * (which answers at once), `off` and `on` only, 10,000 tasks a turn: what a span costs where a
 * task takes time to run, as every Runware task does.
 */
import { execFile, execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { buildLib } from './build-lib.js'
import { SimControl } from './sim-control.js'
import { median } from './stats.js'

const quick = process.argv.includes('--quick')
// The client's turn on CPU 0 and the server on CPU 1 (taskset): neither waits for the other's core.
const PIN = process.argv.includes('--pin')
const PRELOAD = !process.argv.includes('--no-preload')
const latencyAt = process.argv.indexOf('--latency')
const LATENCY_MS = latencyAt === -1 ? undefined : Number(process.argv[latencyAt + 1])
if (LATENCY_MS !== undefined && !(LATENCY_MS >= 0)) throw new Error('--latency takes a number of milliseconds')
const TASKS = LATENCY_MS !== undefined ? 10_000 : quick ? 20_000 : 100_000
const TURNS = quick ? 3 : 5
const CONCURRENCY = 100
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const ALL_MODES = ['off', 'default', 'absent', 'metrics', 'on', 'kept', 'sampled', 'sdk'] as const
type Mode = (typeof ALL_MODES)[number]
const MODES: readonly Mode[] = LATENCY_MS === undefined ? ALL_MODES : ['off', 'on']

interface Turn {
  mode: Mode
  perSecond: number
  cpuMicros: number
  tasksPerFrame?: number
  apiResolvable: boolean
  spans: number
  durations: number
}

/** The compiled library where @opentelemetry/api cannot be found: its three dependencies only. */
function withoutApi(build: string): { dir: string; lib: string } {
  const dir = mkdtempSync(join(tmpdir(), 'runware-bench-no-otel-'))
  cpSync(build, join(dir, 'lib'), { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
  mkdirSync(join(dir, 'node_modules'))
  for (const name of ['ws', 'eventemitter3', 'nanoid']) symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name))
  return { dir, lib: join(dir, 'lib') }
}

async function turn(mode: Mode, url: string, lib: string): Promise<Turn> {
  const node = [process.execPath, '--import', 'tsx', join(ROOT, 'bench', 'telemetry-turn.ts'), mode, url, String(TASKS), String(CONCURRENCY), lib]
  const [command = '', ...args] = PIN ? ['taskset', '-c', '0', ...node] : node
  const env = { ...process.env, BENCH_TELEMETRY_PRELOAD: PRELOAD ? '1' : '0' }
  const { stdout } = await promisify(execFile)(command, args, { cwd: ROOT, maxBuffer: 1 << 20, env })
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Turn
}

const build = await buildLib()
const absent = withoutApi(build)
const sim = await SimControl.launch()
if (PIN) execFileSync('taskset', ['-a', '-cp', '1', String(sim.pid)], { stdio: 'ignore' })
const url = await sim.start(LATENCY_MS === undefined ? { floor: true } : { latencyMs: LATENCY_MS })
const turns: Turn[] = []
try {
  for (const mode of MODES) await turn(mode, url, mode === 'absent' ? absent.lib : build) // warm-up, not counted
  for (let round = 0; round < TURNS; round++) {
    // A different mode first each round: none always follows the same one.
    for (let i = 0; i < MODES.length; i++) {
      const mode = MODES[(round + i) % MODES.length] ?? 'off'
      turns.push(await turn(mode, url, mode === 'absent' ? absent.lib : build))
    }
  }
} finally {
  await sim.shutdown()
  rmSync(absent.dir, { recursive: true, force: true })
}

const of = (mode: Mode) => turns.filter((t) => t.mode === mode)
const base = median(of('off').map((t) => t.perSecond))
const server = LATENCY_MS === undefined ? 'the floor server' : `the simulator at ${LATENCY_MS} ms a task`
const pinned = (PIN ? ', the client on CPU 0 and the server on CPU 1' : '') + (PRELOAD ? ", every turn with the SDK's modules loaded" : '')
console.log(`telemetry, ${TASKS} tasks at ${CONCURRENCY} in flight on ${server}, a fresh process per turn, ${TURNS} turns each${pinned}`)
const columns = [
  'telemetry',
  'tasks/s (median)',
  'turns',
  '× off',
  'client CPU µs per task (median)',
  'tasks per frame sent (median)',
  '@opentelemetry/api resolvable',
  'spans, durations recorded (per turn, warm-up included)',
]
console.log(`| ${columns.join(' | ')} |`)
console.log('|---|---|---|---|---|---|---|---|')
for (const mode of MODES) {
  const rows = of(mode)
  const perSecond = median(rows.map((t) => t.perSecond))
  const recorded = `${median(rows.map((t) => t.spans))}, ${median(rows.map((t) => t.durations))}`
  const all = rows.map((t) => t.perSecond.toFixed(0)).join(', ')
  const cpu = median(rows.map((t) => t.cpuMicros)).toFixed(2)
  const perFrame = mode === 'sdk' ? '' : median(rows.map((t) => t.tasksPerFrame ?? 0)).toFixed(1)
  const resolvable = rows.every((t) => t.apiResolvable) ? 'yes' : 'no'
  console.log(`| ${mode} | ${perSecond.toFixed(0)} | ${all} | ${(perSecond / base).toFixed(3)} | ${cpu} | ${perFrame} | ${resolvable} | ${recorded} |`)
}
if (MODES.includes('sdk')) {
  // Side by side, not a sum: the client also waits on the server, and the heap's state moves its CPU per task.
  const cpu = (mode: Mode) => median(of(mode).map((t) => t.cpuMicros)).toFixed(2)
  console.log(
    `CPU µs per task: the SDK alone ${cpu('sdk')} (a span started, its attempts set, ended; one duration recorded); off ${cpu('off')}; on ${cpu('on')}`,
  )
}
console.log('targets: on ≥ 0.9× off; absent and default within noise of off')
