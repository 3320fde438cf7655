/**
 * Latency: the round trip of each task at concurrency 1 (one task in flight) against the floor
 * server, p50, p99 and mean per run. At this concurrency the machine's own wake-up dominates, so
 * the figure is the gap to raw-batched within the same round (the clients interleaved), in µs.
 */
import { CLIENT_NAMES, createClient, type BenchClient, type ClientName } from '../clients/index.js'
import { timeEach } from '../drive.js'
import { collect } from '../heap.js'
import { measured, type Scenario, type ScenarioContext, type ScenarioResult } from '../report.js'
import { turnOrder, warmUp } from '../rounds.js'
import { median, quantile } from '../stats.js'

/**
 * A round's tasks go in slices, the clients taking turns slice by slice: the machine drifts
 * between a fast and a slow wake-up state over seconds, and every client must see the same mix.
 */
const SLICES = 50

/** One round of the clients other than sdk-js: all connected at once, interleaved slice by slice. */
async function interleaved(names: readonly ClientName[], url: string, tasks: number, round: number): Promise<Map<ClientName, number[]>> {
  const clients = new Map<ClientName, BenchClient>()
  const times = new Map<ClientName, number[]>()
  try {
    for (const name of names) {
      const client = createClient(name, url)
      await client.connect()
      clients.set(name, client)
      times.set(name, [])
    }
    collect()
    const perSlice = Math.max(1, Math.round(tasks / SLICES))
    for (let slice = 0; slice < SLICES; slice++) {
      for (const name of turnOrder(names, round + slice)) {
        const client = clients.get(name)
        if (client !== undefined) times.get(name)?.push(...(await timeEach(client, perSlice)))
      }
    }
  } finally {
    for (const client of clients.values()) await client.close()
  }
  return times
}

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
    // The gap to raw-batched, round by round: both measured over the same seconds.
    const gaps: Record<'p50' | 'p99' | 'mean', number[]> = { p50: [], p99: [], mean: [] }
    for (let round = 0; round < 2 * (repeats.warmups + repeats.runs); round++) {
      const sdkRound = round >= repeats.warmups + repeats.runs
      const warm = round % (repeats.warmups + repeats.runs) < repeats.warmups
      const p50: Partial<Record<ClientName, number>> = {}
      const url = await sim.start({ floor: true })
      const byClient: Map<ClientName, number[]> = sdkRound
        ? new Map([['sdk', await sdk.timeEach(url, tasks, sdkLimitMs)]])
        : await interleaved(raw, url, tasks, round)
      const figures = new Map<ClientName, { p50: number; p99: number; mean: number }>()
      for (const [name, times] of byClient) {
        const figure = { p50: quantile(times, 0.5), p99: quantile(times, 0.99), mean: times.reduce((sum, time) => sum + time, 0) / Math.max(1, times.length) }
        figures.set(name, figure)
        p50[name] = figure.p50
        if (warm) continue
        runs[name].p50.push(figure.p50)
        runs[name].p99.push(figure.p99)
        runs[name].mean.push(figure.mean)
        runs[name].count.push(times.length)
      }
      const ours = figures.get('ours')
      const floor = figures.get('rawBatched')
      if (!warm && ours !== undefined && floor !== undefined) for (const key of ['p50', 'p99', 'mean'] as const) gaps[key].push((ours[key] - floor[key]) * 1000)
      const shown = Object.entries(p50).map(([n, v]) => `${n} p50 ${(v * 1000).toFixed(0)} µs`)
      log(`  round ${round + 1}/${2 * (repeats.warmups + repeats.runs)}${warm ? ' (warm-up)' : ''}: ${shown.join(', ')}`)
    }
    await sdk.restart()
    const gapUs = (key: 'p50' | 'p99' | 'mean'): number => median(gaps[key])
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
        {
          scenario: 'latency',
          metric: 'p99 ms per task, concurrency 1',
          cells: cells('p99'),
          ratio: { key: 'latency.p99.ours-rawBatched.us', value: gapUs('p99'), text: `ours − raw-batched = ${signed(gapUs('p99'))}` },
        },
        {
          scenario: 'latency',
          metric: 'mean ms per task, concurrency 1',
          cells: cells('mean'),
          ratio: { key: 'latency.mean.ours-rawBatched.us', value: gapUs('mean'), text: `ours − raw-batched = ${signed(gapUs('mean'))}` },
        },
      ],
      data: { tasksPerRun: tasks, slices: SLICES, sdkTasks: median(runs.sdk.count), runs, gapsUs: gaps },
      notes: [
        `latency: ${tasks.toLocaleString('en-US')} sequential tasks per run against the floor server, after the warm-up; ` +
          `sdk-js for ${sdkLimitMs.toLocaleString('en-US')} ms per run in a process of its own, in rounds after everyone else's ` +
          `(the timers it leaves behind slow other clients down) (median ${median(runs.sdk.count)} tasks: each waits for its ` +
          `100 ms poll). The clients other than sdk-js are connected together and take turns in ${SLICES} slices per run (the ` +
          `machine drifts between a fast and a slow wake-up state over seconds, so each must see the same mix); at one task ` +
          `in flight the round trip is mostly the machine waking up, so the figure is the gap to raw-batched within each run, ` +
          `median over the runs.`,
      ],
    }
  },
}
