/**
 * Fleet: jobs/s through runware-socket/queue (BullMQ on a private redis-server) with 1, 2 and 4
 * worker processes against the same simulator, beside one RunwareSocket in one process running
 * the same tasks at the same total concurrency per process. The workers are the built CLI
 * (`runware-socket worker`), so a job pays what it pays in production: Redis round trips for
 * the job's moves, its lock and its result.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { startRedis } from '../../spec/helpers/redis-server.js'
import { BUILD } from '../build-lib.js'
import { benchTask, OursClient } from '../clients/index.js'
import { API_KEY } from '../clients/types.js'
import { drive } from '../drive.js'
import { measured, text, type Row, type Scenario, type ScenarioContext, type ScenarioResult } from '../report.js'
import { median } from '../stats.js'

type QueueModule = typeof import('../../lib/queue/index.js')

async function queueModule(): Promise<QueueModule> {
  return (await import(new URL(`file://${join(BUILD, 'queue', 'index.js')}`).href)) as QueueModule
}

function startWorker(redis: string, queue: string, url: string, concurrency: number): Promise<ChildProcess> {
  // The built CLI (the same compile as the bench's lib): what a fleet runs in production.
  const child = spawn(
    process.execPath,
    [join(BUILD, 'cli.js'), 'worker', '--redis', redis, '--queue', queue, '--url', url, '--concurrency', String(concurrency), '--drain-ms', '5000'],
    {
      env: { ...process.env, RUNWARE_API_KEY: API_KEY },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  return new Promise((resolve, reject) => {
    let said = ''
    child.stderr.on('data', (chunk: Buffer) => {
      said += chunk.toString()
      if (said.includes('worker: ready')) resolve(child)
    })
    child.once('exit', (code) => reject(new Error(`worker exited (${String(code)}) before it was ready: ${said}`)))
  })
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const gone = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await gone
}

export const fleet: Scenario = {
  name: 'fleet',
  async run({ sim, config, log }: ScenarioContext): Promise<ScenarioResult> {
    const { jobs, runs, warmups, workerCounts, concurrency, latencyMs } = config.fleet
    const redis = await startRedis()
    const { RunwareQueue } = await queueModule()
    const url = await sim.start({ latencyMs })
    const fleetRates = new Map<number, number[]>(workerCounts.map((n) => [n, []]))
    // One socket at one worker's concurrency, and at the largest fleet's total.
    const singleAt = [concurrency, concurrency * Math.max(...workerCounts)]
    const single = new Map<number, number[]>(singleAt.map((c) => [c, []]))
    let round = 0
    try {
      for (let r = 0; r < warmups + runs; r++) {
        const measuredRun = r >= warmups
        const shown: string[] = []
        for (const c of singleAt) {
          // One socket in one process: the same tasks, no queue.
          const client = new OursClient(url, { maxInFlight: c })
          await client.connect()
          const direct = await drive(client, { total: jobs, concurrency: c })
          await client.close()
          const rate = (direct.completed / direct.elapsedMs) * 1000
          if (measuredRun) single.get(c)?.push(rate)
          shown.push(`one socket at ${c} ${Math.round(rate)}/s`)
        }
        for (const n of workerCounts) {
          const name = `bench-fleet-${process.pid}-${++round}`
          const workers = await Promise.all(Array.from({ length: n }, () => startWorker(redis.url, name, url, concurrency)))
          const queue = new RunwareQueue({ connection: { url: redis.url }, name })
          const begin = performance.now()
          for (let added = 0; added < jobs; added += 500) await queue.addBulk(Array.from({ length: Math.min(500, jobs - added) }, () => benchTask()))
          while ((await queue.queue.getJobCountByTypes('completed')) < jobs) await new Promise((resolve) => setTimeout(resolve, 20))
          const rate = (jobs / (performance.now() - begin)) * 1000
          if (measuredRun) fleetRates.get(n)?.push(rate)
          shown.push(`${n} worker${n > 1 ? 's' : ''} ${Math.round(rate)}/s`)
          await Promise.all(workers.map(stopWorker))
          await queue.queue.obliterate({ force: true })
          await queue.close()
        }
        log(`  round ${r + 1}/${warmups + runs}${measuredRun ? '' : ' (warm-up)'}: ${shown.join(', ')}`)
      }
    } finally {
      await redis.stop()
      await sim.stop()
    }
    const base = median(single.get(concurrency) ?? [])
    const rows: Row[] = [
      ...singleAt.map((c): Row => ({
        scenario: 'fleet',
        metric: `tasks/s, one RunwareSocket in one process (no queue), concurrency ${c}`,
        cells: { ours: measured(single.get(c) ?? [], 'rate'), rawBatched: text('n/a'), sdk: text('n/a') },
      })),
      ...workerCounts.map((n): Row => {
        const rates = fleetRates.get(n) ?? []
        return {
          scenario: 'fleet',
          metric: `jobs/s through the queue, ${n} worker process${n > 1 ? 'es' : ''} × concurrency ${concurrency}`,
          cells: { ours: measured(rates, 'rate'), rawBatched: text('n/a'), sdk: text('n/a') },
          ratio: {
            key: `fleet.workers${n}.vsOneSocket`,
            value: median(rates) / base,
            text: `${(median(rates) / base).toFixed(2)}× one socket at ${concurrency}`,
          },
        }
      }),
    ]
    return {
      rows,
      data: { jobs, runs, concurrency, latencyMs, single: Object.fromEntries(single), fleet: Object.fromEntries(fleetRates) },
      notes: [
        `fleet: ${jobs.toLocaleString('en-US')} jobs per run, enqueued in bulks of 500 while the workers run, timed from ` +
          `the first add to the last completion; a private redis-server (Debian's, no persistence), the simulator with ${latencyMs} ` +
          `ms latency in its own process, each worker the built \`runware-socket worker\` with --concurrency ${concurrency}. ` +
          `The one-socket rows run the same tasks through one RunwareSocket in the bench process, at one worker's concurrency ` +
          `(bound by the latency: ${concurrency} in flight / ${latencyMs} ms) and at the largest fleet's total. All on this ` +
          `2-core machine: redis, the simulator, the bench and every worker share it, so more workers compete for the same ` +
          `cores; on separate machines the fleet scales with them.`,
      ],
    }
  },
}
