/**
 * Latency: the round trip of each task at concurrency 1 (one task in flight) against the floor
 * server, p50, p99 and mean per run. At this concurrency the machine's own wake-up dominates, so
 * the figure is the gap to raw-batched in the same round, in µs.
 */
import { CLIENT_NAMES, type ClientName } from '../clients/index.js'
import { timeEach } from '../drive.js'
import { measured, type Scenario, type ScenarioContext, type ScenarioResult } from '../report.js'
import { turnOrder, warmUp, withClient } from '../rounds.js'
import { median, quantile } from '../stats.js'

interface Runs {
  p50: number[]
  p99: number[]
  mean: number[]
  count: number[]
}

const fresh = (): Runs => ({ p50: [], p99: [], mean: [], count: [] })

export const latency: Scenario = {
  name: 'latency',
  async run({ sim, sdk, config, log }: ScenarioContext): Promise<ScenarioResult> {
    const repeats = config.latency
    const { tasks, sdkLimitMs } = repeats
    await warmUp(sim, CLIENT_NAMES, repeats.warmupTasks, log)
    const runs = Object.fromEntries(CLIENT_NAMES.map((name) => [name, fresh()])) as Record<ClientName, Runs>
    // sdk-js's rounds come after everyone else's: what it leaves behind slows the others down.
    const raw = CLIENT_NAMES.filter((name) => name !== 'sdk')
    for (let round = 0; round < 2 * (repeats.warmups + repeats.runs); round++) {
      const sdkRound = round >= repeats.warmups + repeats.runs
      const p50: Partial<Record<ClientName, number>> = {}
      const url = await sim.start({ floor: true })
      for (const name of sdkRound ? (['sdk'] as const) : turnOrder(raw, round)) {
        const times = name === 'sdk' ? await sdk.timeEach(url, tasks, sdkLimitMs) : await withClient(name, url, (client) => timeEach(client, tasks))
        p50[name] = quantile(times, 0.5)
        if (round % (repeats.warmups + repeats.runs) < repeats.warmups) continue
        runs[name].p50.push(quantile(times, 0.5))
        runs[name].p99.push(quantile(times, 0.99))
        runs[name].mean.push(times.reduce((sum, time) => sum + time, 0) / Math.max(1, times.length))
        runs[name].count.push(times.length)
      }
      const shown = Object.entries(p50).map(([n, v]) => `${n} p50 ${(v * 1000).toFixed(0)} µs`)
      log(`  round ${round + 1}/${2 * (repeats.warmups + repeats.runs)}${round % (repeats.warmups + repeats.runs) < repeats.warmups ? ' (warm-up)' : ''}: ${shown.join(', ')}`)
    }
    await sdk.restart()
    const gapUs = (key: keyof Runs): number => (median(runs.ours[key]) - median(runs.rawBatched[key])) * 1000
    const cells = (key: keyof Runs) => Object.fromEntries(CLIENT_NAMES.map((name) => [name, measured(runs[name][key], 'ms')]))
    const signed = (us: number): string => `${us >= 0 ? '+' : ''}${us.toFixed(1)} µs`
    return {
      rows: [
        {
          scenario: 'latency',
          metric: 'p50 ms per task, concurrency 1',
          cells: cells('p50'),
          ratio: { key: 'latency.p50.ours-rawBatched.us', value: gapUs('p50'), text: `ours − raw-batched = ${signed(gapUs('p50'))}` },
          target: { key: 'latency.p50.ours-rawBatched', text: '≤ +10 µs', pass: gapUs('p50') <= 10, measured: gapUs('p50') },
        },
        { scenario: 'latency', metric: 'p99 ms per task, concurrency 1', cells: cells('p99'), ratio: { key: 'latency.p99.ours-rawBatched.us', value: gapUs('p99'), text: `ours − raw-batched = ${signed(gapUs('p99'))}` } },
        { scenario: 'latency', metric: 'mean ms per task, concurrency 1', cells: cells('mean'), ratio: { key: 'latency.mean.ours-rawBatched.us', value: gapUs('mean'), text: `ours − raw-batched = ${signed(gapUs('mean'))}` } },
      ],
      data: { tasksPerRun: tasks, sdkTasks: median(runs.sdk.count), runs },
      notes: [
        `latency: ${tasks.toLocaleString('en-US')} sequential tasks per run against the floor server, after the warm-up; sdk-js for ${sdkLimitMs.toLocaleString('en-US')} ms per run in a process of its own, in rounds after everyone else's (the timers it leaves behind slow other clients down) (median ${median(runs.sdk.count)} tasks: each waits for its 100 ms poll). At one task in flight the round trip is mostly the machine waking up, so the gap to raw-batched in the same rounds is the figure.`,
      ],
    }
  },
}
