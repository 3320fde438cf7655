/**
 * Throughput: tasks/s at concurrency C (C workers each awaiting `run` in a loop) against a
 * zero-latency simulator in its own process, so what differs between clients is their own cost.
 * Also the client process's CPU time per task, which the simulator's speed cannot mask.
 */
import { CLIENT_NAMES, createClient, type ClientName } from '../clients/index.js'
import { drive } from '../drive.js'
import { collect } from '../heap.js'
import { measured, text, type Row, type Scenario, type ScenarioContext, type ScenarioResult } from '../report.js'
import { median } from '../stats.js'

interface Runs {
  rate: number[]
  cpuUs: number[]
  /** The simulator's CPU per task while serving this client. */
  simCpuUs: number[]
  completed: number[]
  failed: number
}

const fresh = (): Runs => ({ rate: [], cpuUs: [], simCpuUs: [], completed: [], failed: 0 })

export const throughput: Scenario = {
  name: 'throughput',
  async run({ sim, config, log }: ScenarioContext): Promise<ScenarioResult> {
    const repeats = config.throughput
    const { concurrencies, tasks, sdkLimitMs, sdkMaxTasks } = repeats
    const rows: Row[] = []
    const data: Record<string, Record<ClientName, Runs>> = {}
    for (const concurrency of concurrencies) {
      const runs: Record<ClientName, Runs> = { raw: fresh(), ours: fresh(), sdk: fresh() }
      for (let round = 0; round < repeats.warmups + repeats.runs; round++) {
        const rates: Partial<Record<ClientName, number>> = {}
        // A fresh simulator per round; within it the clients take turns.
        const url = await sim.start({ latencyMs: 0 })
        for (const name of CLIENT_NAMES) {
          const client = createClient(name, url)
          await client.connect()
          collect()
          const isSdk = name === 'sdk'
          const simBefore = await sim.cpu()
          const result = await drive(client, {
            total: isSdk ? sdkMaxTasks : tasks,
            concurrency,
            ...(isSdk ? { deadline: performance.now() + sdkLimitMs } : {}),
          })
          const simUs = (await sim.cpu()) - simBefore
          await client.close()
          rates[name] = (result.completed / result.elapsedMs) * 1000
          if (round < repeats.warmups) continue
          const entry = runs[name]
          entry.rate.push((result.completed / result.elapsedMs) * 1000)
          entry.cpuUs.push(result.cpuUs / Math.max(1, result.completed))
          entry.simCpuUs.push(simUs / Math.max(1, result.completed))
          entry.completed.push(result.completed)
          entry.failed += result.failed
          if (result.failed > 0) log(`  ${name} c=${concurrency}: ${result.failed} failed (${result.firstError})`)
        }
        log(`  c=${concurrency} round ${round + 1}/${repeats.warmups + repeats.runs}${round < repeats.warmups ? ' (warm-up)' : ''}: ${CLIENT_NAMES.map((n) => `${n} ${Math.round(rates[n] ?? 0)}/s`).join(', ')}`)
      }
      data[`c${concurrency}`] = runs
      const oursVsRaw = median(runs.ours.rate) / median(runs.raw.rate)
      const oursVsSdk = median(runs.ours.rate) / median(runs.sdk.rate)
      const row: Row = {
        scenario: 'throughput',
        metric: `tasks/s, concurrency ${concurrency.toLocaleString('en-US')}`,
        cells: { raw: measured(runs.raw.rate, 'rate'), ours: measured(runs.ours.rate, 'rate'), sdk: measured(runs.sdk.rate, 'rate') },
      }
      if (concurrency === 100) {
        row.ratio = { key: `throughput.c${concurrency}.ours/sdk`, value: oursVsSdk, text: `${oursVsSdk.toFixed(1)}× sdk-js (${oursVsRaw.toFixed(2)}× raw)` }
        row.target = { key: 'throughput.c100.ours/sdk', text: '≥ 20× sdk-js', pass: oursVsSdk >= 20, measured: oursVsSdk }
      } else {
        row.ratio = { key: `throughput.c${concurrency}.ours/raw`, value: oursVsRaw, text: `${oursVsRaw.toFixed(2)}× raw` }
      }
      if (concurrency === 1000) row.target = { key: 'throughput.c1000.ours/raw', text: '≥ 0.8× raw (aim ≥ 1.0×)', pass: oursVsRaw >= 0.8, measured: oursVsRaw }
      rows.push(row)
      const cpuRatio = median(runs.ours.cpuUs) / median(runs.raw.cpuUs)
      rows.push({
        scenario: 'throughput',
        metric: `client CPU µs/task, concurrency ${concurrency.toLocaleString('en-US')}`,
        cells: {
          raw: measured(runs.raw.cpuUs, 'us'),
          ours: measured(runs.ours.cpuUs, 'us'),
          sdk: runs.sdk.completed.length > 0 ? measured(runs.sdk.cpuUs, 'us') : text('n/a'),
        },
        ratio: { key: `throughput.c${concurrency}.cpu.ours/raw`, value: cpuRatio, text: `${cpuRatio.toFixed(2)}× raw` },
      })
      const simRatio = median(runs.ours.simCpuUs) / median(runs.raw.simCpuUs)
      rows.push({
        scenario: 'throughput',
        metric: `simulator CPU µs/task, concurrency ${concurrency.toLocaleString('en-US')}`,
        cells: { raw: measured(runs.raw.simCpuUs, 'us'), ours: measured(runs.ours.simCpuUs, 'us'), sdk: measured(runs.sdk.simCpuUs, 'us') },
        ratio: { key: `throughput.c${concurrency}.simCpu.ours/raw`, value: simRatio, text: `${simRatio.toFixed(2)}× raw` },
      })
    }
    const sdkCompleted = concurrencies.map((c) => `${median(data[`c${c}`]!.sdk.completed).toLocaleString('en-US')} at c=${c}`).join(', ')
    return {
      rows,
      data: { tasksPerRun: { raw: tasks, ours: tasks, sdk: `≤ ${sdkMaxTasks}, starts stop after ${sdkLimitMs} ms` }, runs: data },
      notes: [
        `throughput: ${tasks.toLocaleString('en-US')} tasks per run for raw and runware-socket; sdk-js runs until ${sdkLimitMs.toLocaleString('en-US')} ms have passed (median tasks completed per run: ${sdkCompleted}), as it checks for results by polling every 100 ms per request. Client CPU is the bench process's user+system time per completed task; simulator CPU is the simulator process's, over the same run. Where the simulator needs as much CPU per task as the client (2 cores, shared), tasks/s is bounded by both, and client CPU per task is the cleaner measure of the client.`,
      ],
    }
  },
}
