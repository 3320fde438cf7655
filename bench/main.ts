/** Runs the scenarios in turn against one simulator process, prints the table, writes latest.json. */
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { libChoice, libRevision } from './build-lib.js'
import { configFor } from './config.js'
import { markdownTable, ratiosOf, rowsJson, targetsOf, type Row, type Scenario } from './report.js'
import { aborts } from './scenarios/aborts.js'
import { churn } from './scenarios/churn.js'
import { fleet } from './scenarios/fleet.js'
import { latency } from './scenarios/latency.js'
import { memory } from './scenarios/memory.js'
import { recovery } from './scenarios/recovery.js'
import { scaling } from './scenarios/scaling.js'
import { throughput } from './scenarios/throughput.js'
import { SdkRunner } from './sdk-runner.js'
import { SimControl } from './sim-control.js'

/**
 * Latency runs first: a round trip at concurrency 1 is the most sensitive to what ran before it
 * (sdk-js's rounds, even in their own process, slow the next ones down). Recovery runs last:
 * sdk-js leaves its abandoned requests polling until their own timeout.
 */
const SCENARIOS: readonly Scenario[] = [latency, throughput, memory, scaling, churn, aborts, fleet, recovery]

const RESULTS = new URL('./results/', import.meta.url)

function log(line: string): void {
  process.stderr.write(`${line}\n`)
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, out: { type: 'string' } } })
  const quick = values.quick
  const only = values.only?.split(',').map((name) => name.trim())
  const unknown = only?.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name)) ?? []
  if (unknown.length > 0) {
    log(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`)
    return 2
  }
  const selected = SCENARIOS.filter((scenario) => only === undefined || only.includes(scenario.name))
  const config = configFor(quick)
  const began = performance.now()
  const sim = await SimControl.launch()
  const sdk = await SdkRunner.launch()
  const rows: Row[] = []
  const notes: string[] = []
  const scenarios: Record<string, unknown> = {}
  try {
    for (const scenario of selected) {
      const start = performance.now()
      log(`${scenario.name}…`)
      const result = await scenario.run({ sim, sdk, config, log })
      rows.push(...result.rows)
      notes.push(...result.notes)
      scenarios[scenario.name] = { durationMs: Math.round(performance.now() - start), rows: rowsJson(result.rows), detail: result.data }
      log(`${scenario.name} done in ${((performance.now() - start) / 1000).toFixed(1)} s`)
    }
  } finally {
    sdk.shutdown()
    await sim.shutdown()
  }
  const lib = libChoice()
  const revision = process.env.BENCH_LIB_REVISION ?? libRevision()
  const machine =
    `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, runware-socket ${revision} from ` +
    `${lib === 'build' ? 'lib/ compiled as tsc emits it' : lib}${quick ? ', --quick' : ''}`
  const table = markdownTable(rows, notes)
  process.stdout.write(`\n${machine}\n\n${table}\n`)
  const report = {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    quick,
    only: only ?? null,
    lib,
    libRevision: revision,
    durationMs: Math.round(performance.now() - began),
    config,
    scenarios,
    ratios: ratiosOf(rows),
    targets: targetsOf(rows),
    table,
  }
  await mkdir(RESULTS, { recursive: true })
  // Only a full run replaces the committed results; a quick or partial one goes to a git-ignored file.
  const partial = quick || only !== undefined
  const out = new URL(values.out ?? (partial ? 'quick.tmp.json' : 'latest.json'), RESULTS)
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`)
  log(`\nwrote ${out.pathname} (${((performance.now() - began) / 1000).toFixed(1)} s in all)`)
  // sdk-js's abandoned requests keep timers alive; the bench is over.
  process.exit(0)
}
