/**
 * Throughput: tasks/s at concurrency C (C workers each awaiting `run` in a loop) against the
 * floor server (floor-server.ts) in its own process, which costs less CPU per task than any
 * client: what differs between clients is their own cost. Each client's CPU µs per task is
 * reported beside its rate, since CPU is what a client controls. The headline ratio is against
 * raw-batched, the floor.
 */
import { CLIENT_NAMES, type ClientName } from '../clients/index.js'
import { drive } from '../drive.js'
import { measured, text, type Row, type Scenario, type ScenarioContext, type ScenarioResult } from '../report.js'
import { turnOrder, warmUp, withClient } from '../rounds.js'
import { median } from '../stats.js'

interface Runs {
  rate: number[]
  cpuUs: number[]
  /** The server's CPU per task while serving this client. */
  serverCpuUs: number[]
  completed: number[]
  failed: number
}

const fresh = (): Runs => ({ rate: [], cpuUs: [], serverCpuUs: [], completed: [], failed: 0 })

/** sdk-js polls every 100 ms per request: at C=1 and C=1,000 it adds nothing but minutes. */
const SDK_AT = new Set([100])

export const throughput: Scenario = {
  name: 'throughput',
  async run({ sim, sdk, config, log }: ScenarioContext): Promise<ScenarioResult> {
    const repeats = config.throughput
    const { concurrencies, tasks, sdkLimitMs, sdkMaxTasks } = repeats
    await warmUp(sim, CLIENT_NAMES, repeats.warmupTasks, log)
    const rows: Row[] = []
    const data: Record<string, Partial<Record<ClientName, Runs>>> = {}
    for (const concurrency of concurrencies) {
      const names = CLIENT_NAMES.filter((name) => name !== 'sdk' || SDK_AT.has(concurrency))
      const runs: Partial<Record<ClientName, Runs>> = Object.fromEntries(names.map((name) => [name, fresh()]))
      // sdk-js's rounds come after everyone else's: what it leaves behind slows the others down.
      const raw = names.filter((name) => name !== 'sdk')
      const perPass = repeats.warmups + repeats.runs
      const passes = names.includes('sdk') ? 2 : 1
      for (let step = 0; step < passes * perPass; step++) {
        const round = step % perPass
        const rates: Partial<Record<ClientName, number>> = {}
        const url = await sim.start({ floor: true })
        for (const name of step >= perPass ? (['sdk'] as const) : turnOrder(raw, round)) {
          const isSdk = name === 'sdk'
          const serverBefore = await sim.cpu()
          const result = isSdk
            ? await sdk.drive(url, sdkMaxTasks, concurrency, sdkLimitMs)
            : await withClient(name, url, (client) => drive(client, { total: tasks, concurrency }))
          const serverUs = (await sim.cpu()) - serverBefore
          rates[name] = (result.completed / result.elapsedMs) * 1000
          if (round < repeats.warmups) continue
          const entry = runs[name] ?? fresh()
          entry.rate.push(rates[name])
          entry.cpuUs.push(result.cpuUs / Math.max(1, result.completed))
          entry.serverCpuUs.push(serverUs / Math.max(1, result.completed))
          entry.completed.push(result.completed)
          entry.failed += result.failed
          if (result.failed > 0) log(`  ${name} c=${concurrency}: ${result.failed} failed (${result.firstError})`)
        }
        log(
          `  c=${concurrency} round ${round + 1}/${perPass}${round < repeats.warmups ? ' (warm-up)' : ''}: ${Object.entries(rates)
            .map(([n, v]) => `${n} ${Math.round(v)}/s`)
            .join(', ')}`,
        )
      }
      if (passes === 2) await sdk.restart()
      data[`c${concurrency}`] = runs
      rows.push(...rowsFor(concurrency, runs))
    }
    return {
      rows,
      data: { tasksPerRun: tasks, warmupTasks: repeats.warmupTasks, sdk: `≤ ${sdkMaxTasks} tasks, starts stop after ${sdkLimitMs} ms`, runs: data },
      notes: [
        `throughput: ${tasks.toLocaleString('en-US')} tasks per run, against the floor server (a minimal Runware-protocol ` +
          `server in its own process that answers every frame at once); each client first ran ${repeats.warmupTasks.toLocaleString('en-US')} ` +
          `warm-up tasks in this process, and the clients take turns in a rotating order. sdk-js runs only at concurrency 100, ` +
          `for ${sdkLimitMs.toLocaleString('en-US')} ms a run (it checks for results by polling every 100 ms per request), ` +
          `in a process of its own and in rounds after everyone else's (the polling timers it leaves behind slow down whatever ` +
          `runs after it); its client CPU is that process's. Client CPU is the bench process's user+system time per completed ` +
          `task; server CPU is the floor server's, over the same run: it must stay well below the client's for the rate to ` +
          `measure the client.`,
      ],
    }
  },
}

function rowsFor(concurrency: number, runs: Partial<Record<ClientName, Runs>>): Row[] {
  const at = concurrency.toLocaleString('en-US')
  const med = (name: ClientName, key: 'rate' | 'cpuUs'): number => median(runs[name]?.[key] ?? [])
  const cells = (key: 'rate' | 'cpuUs' | 'serverCpuUs', format: 'rate' | 'us') =>
    Object.fromEntries(CLIENT_NAMES.map((name) => [name, runs[name] === undefined ? text('n/a') : measured(runs[name][key], format)]))
  const vsFloor = med('ours', 'rate') / med('rawBatched', 'rate')
  const vsPerMessage = med('ours', 'rate') / med('rawPerMessage', 'rate')
  const rateRow: Row = {
    scenario: 'throughput',
    metric: `tasks/s, concurrency ${at}`,
    cells: cells('rate', 'rate'),
    ratio: {
      key: `throughput.c${concurrency}.ours/rawBatched`,
      value: vsFloor,
      text: `${vsFloor.toFixed(2)}× raw-batched (${vsPerMessage.toFixed(2)}× raw-per-message)`,
    },
  }
  if (concurrency >= 100)
    rateRow.target = { key: `throughput.c${concurrency}.ours/rawBatched`, text: '≥ 0.9× raw-batched (aim 1.0×)', pass: vsFloor >= 0.9, measured: vsFloor }
  const rows: Row[] = [rateRow]
  if (runs.sdk !== undefined) {
    const vsSdk = med('ours', 'rate') / med('sdk', 'rate')
    rows.push({
      scenario: 'throughput',
      metric: `tasks/s vs sdk-js, concurrency ${at}`,
      cells: { ours: measured(runs.ours?.rate ?? [], 'rate'), sdk: measured(runs.sdk.rate, 'rate') },
      ratio: { key: `throughput.c${concurrency}.ours/sdk`, value: vsSdk, text: `${vsSdk.toFixed(1)}× sdk-js` },
      target: { key: `throughput.c${concurrency}.ours/sdk`, text: '≥ 50× sdk-js', pass: vsSdk >= 50, measured: vsSdk },
    })
  }
  const cpuRatio = med('ours', 'cpuUs') / med('rawBatched', 'cpuUs')
  rows.push({
    scenario: 'throughput',
    metric: `client CPU µs/task, concurrency ${at}`,
    cells: cells('cpuUs', 'us'),
    ratio: { key: `throughput.c${concurrency}.cpu.ours/rawBatched`, value: cpuRatio, text: `${cpuRatio.toFixed(2)}× raw-batched` },
    ...(concurrency >= 100
      ? { target: { key: `throughput.c${concurrency}.cpu.ours/rawBatched`, text: '≤ 1.15× raw-batched', pass: cpuRatio <= 1.15, measured: cpuRatio } }
      : {}),
  })
  rows.push({ scenario: 'throughput', metric: `server CPU µs/task, concurrency ${at}`, cells: cells('serverCpuUs', 'us') })
  return rows
}
