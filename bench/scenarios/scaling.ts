/**
 * Scaling: time per task while 1,000 vs 100,000 other tasks are pending. The background tasks get
 * 10 minutes of extra latency from the simulator (`delay(ms, n)` applies to the next n tasks), so
 * they stay pending while the measured ones complete at zero latency. A client that scans its
 * pending tasks per result would slow down 100-fold; a Map lookup does not.
 *
 * Each run is a fresh simulator and client measured at 1,000 and then at 100,000 pending, so the
 * two levels are compared close together in time (this machine's load drifts); within a level the
 * measured batch is repeated `reps` times.
 */
import { OursClient, RawBatchedClient, benchTask, type BenchClient } from '../clients/index.js'
import { drive } from '../drive.js'
import { measured, text, type Row, type Scenario, type ScenarioContext, type ScenarioResult } from '../report.js'
import { median } from '../stats.js'

const BACKGROUND_DELAY_MS = 600_000

type Kind = 'rawBatched' | 'ours'
type Level = 'small' | 'large'

interface Samples {
  /** Wall time per measured task, µs (every repetition of every run). */
  timeUs: Record<Level, number[]>
  /** Client process CPU per measured task, µs. */
  cpuUs: Record<Level, number[]>
  /** Per run: median time at large / median time at small. */
  runRatios: number[]
}

async function oneRun(kind: Kind, context: ScenarioContext, into: Samples): Promise<void> {
  const { sim, config } = context
  const { small, large, measured: count, concurrency, reps } = config.scaling
  const url = await sim.start({ latencyMs: 0 })
  const client: BenchClient = kind === 'rawBatched' ? new RawBatchedClient(url) : new OursClient(url, { maxInFlight: Infinity, maxQueued: Infinity })
  await client.connect()
  await drive(client, { total: 2_000, concurrency })
  const background: Promise<unknown>[] = []
  const medians: Partial<Record<Level, number>> = {}
  for (const [level, pending] of [
    ['small', small],
    ['large', large],
  ] as const) {
    const add = pending - background.length
    const received = (await sim.stats()).tasksReceived
    await sim.delay(BACKGROUND_DELAY_MS, add)
    for (let i = 0; i < add; i++) background.push(client.run(benchTask()).catch(() => undefined))
    await sim.waitReceived(received + add)
    // One discarded batch at each level: the first after a big submission pays its GC debt. No
    // forced GC between batches: its concurrent sweeping of a large heap would land in the next
    // batch, and the collector's own pace, with what is live, is part of what is measured.
    const times: number[] = []
    for (let rep = 0; rep <= reps; rep++) {
      const result = await drive(client, { total: count, concurrency })
      if (result.failed > 0) throw new Error(`${kind}: ${result.failed} measured tasks failed (${result.firstError})`)
      if (rep === 0) continue
      times.push((result.elapsedMs * 1000) / count)
      into.cpuUs[level].push(result.cpuUs / count)
    }
    into.timeUs[level].push(...times)
    medians[level] = median(times)
  }
  into.runRatios.push(medians.large! / medians.small!)
  await client.close()
  await Promise.all(background)
}

export const scaling: Scenario = {
  name: 'scaling',
  async run(context: ScenarioContext): Promise<ScenarioResult> {
    const { config, log, sim } = context
    const { small, large, measured: count, concurrency, runs, reps } = config.scaling
    const samples: Record<Kind, Samples> = {
      rawBatched: { timeUs: { small: [], large: [] }, cpuUs: { small: [], large: [] }, runRatios: [] },
      ours: { timeUs: { small: [], large: [] }, cpuUs: { small: [], large: [] }, runRatios: [] },
    }
    for (let run = 0; run < runs; run++) {
      for (const kind of ['rawBatched', 'ours'] as const) {
        await oneRun(kind, context, samples[kind])
        log(`  run ${run + 1}/${runs} ${kind}: ${samples[kind].runRatios.at(-1)?.toFixed(2)}× the time per task at ${large.toLocaleString('en-US')} pending`)
      }
    }
    await sim.stop()
    const ratio = (kind: Kind, of: 'timeUs' | 'cpuUs'): number => median(samples[kind][of].large) / median(samples[kind][of].small)
    const oursRatio = ratio('ours', 'timeUs')
    const rawRatio = ratio('rawBatched', 'timeUs')
    const na = text('n/a (see memory)')
    const level = (pending: number): string => pending.toLocaleString('en-US')
    const rows: Row[] = [
      {
        scenario: 'scaling',
        metric: `µs per task, ${level(small)} pending`,
        cells: { rawBatched: measured(samples.rawBatched.timeUs.small, 'us'), ours: measured(samples.ours.timeUs.small, 'us'), sdk: na },
      },
      {
        scenario: 'scaling',
        metric: `µs per task, ${level(large)} pending`,
        cells: { rawBatched: measured(samples.rawBatched.timeUs.large, 'us'), ours: measured(samples.ours.timeUs.large, 'us'), sdk: na },
      },
      {
        scenario: 'scaling',
        metric: `time per task, ${large / 1000}k / ${small / 1000}k pending`,
        cells: { rawBatched: text(rawRatio.toFixed(2)), ours: text(oursRatio.toFixed(2)), sdk: na },
        ratio: { key: 'scaling.ours.time.large/small', value: oursRatio, text: `ours ${oursRatio.toFixed(2)} (raw ${rawRatio.toFixed(2)})` },
        target: { key: 'scaling.ours.large/small', text: '≤ 1.5', pass: oursRatio <= 1.5, measured: oursRatio },
      },
      {
        scenario: 'scaling',
        metric: `client CPU per task, ${large / 1000}k / ${small / 1000}k pending`,
        cells: { rawBatched: text(ratio('rawBatched', 'cpuUs').toFixed(2)), ours: text(ratio('ours', 'cpuUs').toFixed(2)), sdk: na },
        ratio: {
          key: 'scaling.ours.cpu.large/small',
          value: ratio('ours', 'cpuUs'),
          text: `ours ${ratio('ours', 'cpuUs').toFixed(2)} (raw ${ratio('rawBatched', 'cpuUs').toFixed(2)})`,
        },
      },
    ]
    return {
      rows,
      data: { small, large, measuredTasks: count, concurrency, runs, reps, samples },
      notes: [
        `scaling: ${runs} run(s) per client, each with a fresh client measured at ${level(small)} then ${level(large)} pending ` +
          `(${reps} batches of ${count.toLocaleString('en-US')} tasks at concurrency ${concurrency} per level, after a discarded ` +
          `one); the background tasks are delayed ${BACKGROUND_DELAY_MS / 60_000} minutes by the simulator. runware-socket ` +
          `with maxInFlight and maxQueued unbounded, so the background is on the wire. The ratio of medians is the figure; ` +
          `the client's CPU per task is shown too, as wall time on this machine moves with its load.`,
      ],
    }
  },
}
