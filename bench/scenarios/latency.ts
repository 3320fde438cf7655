/** Latency: the time of each task at concurrency 1 (one task in flight), p50 and p99 per run. */
import { CLIENT_NAMES, createClient, type ClientName } from '../clients/index.js'
import { timeEach } from '../drive.js'
import { collect } from '../heap.js'
import { measured, type Scenario, type ScenarioContext, type ScenarioResult } from '../report.js'
import { median, quantile } from '../stats.js'

interface Runs {
  p50: number[]
  p99: number[]
  count: number[]
}

export const latency: Scenario = {
  name: 'latency',
  async run({ sim, config, log }: ScenarioContext): Promise<ScenarioResult> {
    const repeats = config.latency
    const { tasks, sdkLimitMs } = repeats
    const runs: Record<ClientName, Runs> = { raw: { p50: [], p99: [], count: [] }, ours: { p50: [], p99: [], count: [] }, sdk: { p50: [], p99: [], count: [] } }
    for (let round = 0; round < repeats.warmups + repeats.runs; round++) {
      const p50: Partial<Record<ClientName, number>> = {}
      const url = await sim.start({ latencyMs: 0 })
      for (const name of CLIENT_NAMES) {
        const client = createClient(name, url)
        await client.connect()
        collect()
        const times = await timeEach(client, tasks, name === 'sdk' ? performance.now() + sdkLimitMs : Infinity)
        await client.close()
        p50[name] = quantile(times, 0.5)
        if (round < repeats.warmups) continue
        runs[name].p50.push(quantile(times, 0.5))
        runs[name].p99.push(quantile(times, 0.99))
        runs[name].count.push(times.length)
      }
      log(`  round ${round + 1}/${repeats.warmups + repeats.runs}${round < repeats.warmups ? ' (warm-up)' : ''}: ${CLIENT_NAMES.map((n) => `${n} p50 ${(p50[n] ?? NaN).toFixed(3)} ms`).join(', ')}`)
    }
    const p50Gap = median(runs.ours.p50) - median(runs.raw.p50)
    const p99Gap = median(runs.ours.p99) - median(runs.raw.p99)
    return {
      rows: [
        {
          scenario: 'latency',
          metric: 'p50 ms per task, concurrency 1',
          cells: { raw: measured(runs.raw.p50, 'ms'), ours: measured(runs.ours.p50, 'ms'), sdk: measured(runs.sdk.p50, 'ms') },
          ratio: { key: 'latency.p50.ours-raw.ms', value: p50Gap, text: `ours − raw = ${p50Gap >= 0 ? '+' : ''}${p50Gap.toFixed(3)} ms` },
          target: { key: 'latency.p50.ours-raw', text: '≤ +0.2 ms', pass: p50Gap <= 0.2, measured: p50Gap },
        },
        {
          scenario: 'latency',
          metric: 'p99 ms per task, concurrency 1',
          cells: { raw: measured(runs.raw.p99, 'ms'), ours: measured(runs.ours.p99, 'ms'), sdk: measured(runs.sdk.p99, 'ms') },
          ratio: { key: 'latency.p99.ours-raw.ms', value: p99Gap, text: `ours − raw = ${p99Gap >= 0 ? '+' : ''}${p99Gap.toFixed(3)} ms` },
        },
      ],
      data: { tasksPerRun: { raw: tasks, ours: tasks, sdk: median(runs.sdk.count) }, runs },
      notes: [
        `latency: ${tasks.toLocaleString('en-US')} sequential tasks per run for raw and runware-socket; sdk-js for ${sdkLimitMs.toLocaleString('en-US')} ms per run (median ${median(runs.sdk.count)} tasks: each waits for its 100 ms poll).`,
      ],
    }
  },
}
