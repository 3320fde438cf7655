/**
 * Capacity (`npx tsx bench/capacity.ts [--quick] [--per-model] [--adaptive-only]`): what a user's throughput really depends on.
 * The simulator gives two models finite capacity (capacity.ts): `slow` has 8 slots, a queue of 16
 * and 30–300 ms per task (about 48 results/s at most); `fast` has 32 slots, a queue of 64 and
 * 20–60 ms (about 800/s). The client keeps a backlog of both and runs for a warm-up, then a
 * measured window, under each fixed `maxInFlight` of the sweep and under `concurrency: 'adaptive'`
 * (no tuning). Per setting: goodput (results/s) per model, p50/p99 of the time on the wire (sent →
 * settled), capacity errors (codes the server sent) and retries, as a share of tasks. Then `fast`
 * alone (is the unsaturated model's goodput unchanged beside a saturated one?), and when the
 * adaptive limits settled (settling(), below: a sawtooth is judged by its 5-s mean); an adaptive
 * run goes on 30 s past its measured window (nothing counted) so that settling is seen to hold.
 * `--per-model` adds each model alone under every fixed setting: the sum of each one's best is
 * what two hand-tuned clients could reach, a fairer bar than one shared `maxInFlight`.
 */
import { startSimulator } from '../lib/simulator/index.js'
import { API_KEY } from './clients/types.js'
import { capacityClient, FAST_CAPACITY, FAST_MODEL, SLOW_CAPACITY, SLOW_MODEL } from './capacity-setup.js'

const quick = process.argv.includes('--quick')
const WARM_MS = quick ? 5_000 : 10_000
const MEASURE_MS = quick ? 10_000 : 20_000
const BACKLOG = 400
const SETTLE_TAIL_MS = quick ? 10_000 : 30_000
const SWEEP = [1, 4, 8, 16, 32, 64, 128, 256]
const MODELS = { slow: SLOW_MODEL, fast: FAST_MODEL } as const
type Model = keyof typeof MODELS

interface Row {
  setting: string
  goodput: Record<Model, number>
  p50: number
  p99: number
  capacityErrors: number
  retries: number
  rejected: number
  tasks: number
  limits?: Record<string, number>
  settledAtS?: Record<string, number>
  level?: Record<string, number>
}

/**
 * When a limit settled: it moves in a sawtooth (grow, cut, probe), so not each step but its 5-s
 * mean is compared with its level (the mean over the second half of the run); settled is the
 * first time after which that mean stays within ±25 % of the level. Sampled every 100 ms.
 */
function settling(trace: readonly { at: number; limit: number }[], endMs: number): { level: number; settledMs: number } {
  const samples: number[] = []
  let next = 0
  let current = trace[0]?.limit ?? Number.NaN
  for (let t = 0; t <= endMs; t += 100) {
    while (next < trace.length && (trace[next]?.at ?? Infinity) <= t) current = trace[next++]?.limit ?? current
    samples.push(current)
  }
  const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)
  const level = mean(samples.slice(Math.floor(samples.length / 2)))
  let settledMs = 0
  for (let k = 50; k <= samples.length; k++) if (Math.abs(mean(samples.slice(k - 50, k)) - level) > 0.25 * level) settledMs = k * 100
  return { level, settledMs }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}

async function measure(setting: string, options: { maxInFlight?: number; adaptive?: boolean }, models: readonly Model[]): Promise<Row> {
  const sim = await startSimulator({
    apiKeys: [API_KEY],
    seed: 7,
    capacity: { [MODELS.slow]: SLOW_CAPACITY, [MODELS.fast]: FAST_CAPACITY },
  })
  const client = capacityClient(sim.url, options)
  const sentAt = new Map<string, number>()
  const latencies: number[] = []
  let measuring = false
  let capacityErrors = 0
  let retries = 0
  const limitTrace: { at: number; model: string; limit: number; reason: string }[] = []
  const started = performance.now()
  client.on('task', (event) => {
    if (event.type === 'sent') sentAt.set(event.taskUUID, performance.now())
    else if (event.type === 'retry' && measuring) {
      retries += 1
      if (event.code === 'rateLimitExceeded' || event.code === 'queueWaitTimeout') capacityErrors += 1
    } else if (event.type === 'settled') {
      const at = sentAt.get(event.taskUUID)
      sentAt.delete(event.taskUUID)
      if (measuring && at !== undefined && event.outcome === 'resolved') latencies.push(performance.now() - at)
      if (measuring && event.outcome === 'rejected' && (event.code === 'rateLimitExceeded' || event.code === 'queueWaitTimeout')) capacityErrors += 1
    }
  })
  client.on('limit', ({ model, limit, reason }) => limitTrace.push({ at: performance.now() - started, model, limit, reason }))
  await client.connect()
  const done: Record<Model, number> = { slow: 0, fast: 0 }
  let rejected = 0
  let tasks = 0
  let stop = false
  const feed = async (model: Model): Promise<void> => {
    let i = 0
    const one = async (): Promise<void> => {
      // What settles inside the measured window counts, whenever it was submitted.
      while (!stop) {
        try {
          await client.run({ taskType: 'imageInference', model: MODELS[model], positivePrompt: `capacity ${model} ${i++}`, width: 512, height: 512 })
          if (measuring) done[model] += 1
        } catch {
          if (measuring) rejected += 1
        }
        if (measuring) tasks += 1
      }
    }
    await Promise.all(Array.from({ length: BACKLOG }, one))
  }
  const feeding = Promise.all(models.map(feed))
  await new Promise((resolve) => setTimeout(resolve, WARM_MS))
  measuring = true
  await new Promise((resolve) => setTimeout(resolve, MEASURE_MS))
  measuring = false
  // Adaptive runs on past the window (nothing counted) so that "settled" is seen to hold.
  if (options.adaptive === true) await new Promise((resolve) => setTimeout(resolve, SETTLE_TAIL_MS))
  stop = true
  await client.close()
  await feeding
  await sim.close()
  latencies.sort((a, b) => a - b)
  const row: Row = {
    setting,
    goodput: { slow: done.slow / (MEASURE_MS / 1_000), fast: done.fast / (MEASURE_MS / 1_000) },
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    capacityErrors,
    retries,
    rejected,
    tasks,
  }
  if (options.adaptive === true) {
    const end = WARM_MS + MEASURE_MS + SETTLE_TAIL_MS
    const final: Record<string, number> = {}
    for (const { model, limit } of limitTrace) final[model] = limit
    row.limits = final
    row.level = {}
    row.settledAtS = {}
    for (const model of Object.keys(final)) {
      const { level, settledMs } = settling(
        limitTrace.filter((entry) => entry.model === model),
        end,
      )
      row.level[model] = Math.round(level * 10) / 10
      row.settledAtS[model] = Math.round(settledMs / 100) / 10
    }
  }
  return row
}

function line(row: Row): string {
  const total = row.goodput.slow + row.goodput.fast
  const share = (n: number): string => `${((100 * n) / Math.max(1, row.tasks)).toFixed(2)} %`
  const cells = [row.setting, row.goodput.slow.toFixed(1), row.goodput.fast.toFixed(1), total.toFixed(1), row.p50.toFixed(0), row.p99.toFixed(0)]
  return `| ${[...cells, `${row.capacityErrors} (${share(row.capacityErrors)})`, row.retries, row.rejected].join(' | ')} |`
}

const rows: Row[] = []
const adaptiveOnly = process.argv.includes('--adaptive-only')
console.log(`capacity: warm-up ${WARM_MS / 1_000} s, measured ${MEASURE_MS / 1_000} s, backlog ${BACKLOG} per model`)
console.log('| setting | slow results/s | fast results/s | total | p50 ms | p99 ms | capacity errors | retries | rejected |')
console.log('|---|---|---|---|---|---|---|---|---|')
for (const maxInFlight of adaptiveOnly ? [] : SWEEP) {
  const row = await measure(`maxInFlight ${maxInFlight}`, { maxInFlight }, ['slow', 'fast'])
  rows.push(row)
  console.log(line(row))
}
const adaptive = await measure('adaptive', { adaptive: true }, ['slow', 'fast'])
console.log(line(adaptive))
const alone = await measure('adaptive, fast alone', { adaptive: true }, ['fast'])
console.log(line(alone))
if (process.argv.includes('--per-model')) {
  // The fairer "best fixed": each model alone, its own best maxInFlight (what two tuned clients could do).
  const bestAlone: Record<Model, number> = { slow: 0, fast: 0 }
  for (const model of ['slow', 'fast'] as const) {
    for (const maxInFlight of SWEEP) {
      const row = await measure(`${model} alone, maxInFlight ${maxInFlight}`, { maxInFlight }, [model])
      console.log(line(row))
      bestAlone[model] = Math.max(bestAlone[model], row.goodput[model])
    }
  }
  const sum = bestAlone.slow + bestAlone.fast
  console.log(`each model alone at its own best fixed setting: ${bestAlone.slow.toFixed(1)} + ${bestAlone.fast.toFixed(1)} = ${sum.toFixed(1)} results/s`)
  console.log(`adaptive (both at once, no tuning) ÷ that sum: ${((adaptive.goodput.slow + adaptive.goodput.fast) / sum).toFixed(3)}`)
}
const total = (row: Row): number => row.goodput.slow + row.goodput.fast
const best = rows.length === 0 ? undefined : rows.reduce((a, b) => (total(b) > total(a) ? b : a))
if (best !== undefined) {
  console.log(`\nbest fixed: ${best.setting} (${total(best).toFixed(1)} results/s, p99 ${best.p99.toFixed(0)} ms)`)
  console.log(`adaptive ÷ best fixed goodput: ${(total(adaptive) / total(best)).toFixed(3)} (target ≥ 0.95)`)
  console.log(`adaptive p99 ÷ best fixed p99: ${(adaptive.p99 / best.p99).toFixed(2)} (target ≤ 1.5)`)
}
console.log(`adaptive capacity errors: ${((100 * adaptive.capacityErrors) / Math.max(1, adaptive.tasks)).toFixed(2)} % of tasks (target ≤ 1 %)`)
console.log(`fast beside slow ÷ fast alone: ${(adaptive.goodput.fast / alone.goodput.fast).toFixed(3)}`)
console.log(`adaptive limits at the end: ${JSON.stringify(adaptive.limits)}; level (mean, second half): ${JSON.stringify(adaptive.level)}`)
console.log(`settled (s from start; its 5-s mean stays within ±25 % of the level from then on): ${JSON.stringify(adaptive.settledAtS)}`)
