/**
 * The fleet-wide slow-down, measured (`npx tsx bench/capacity-fleet.ts [--quick]`): four workers
 * (`startRunwareWorker`, adaptive concurrency, 50 jobs each) on one queue and one Redis, against
 * the `slow` model of bench/capacity.ts (8 slots, a queue of 16, 30–300 ms: about 48 results/s),
 * a backlog of jobs enqueued at once; 3 s in, the model's capacity falls to 2 slots and a queue of
 * 4 for 8 s (sim.setCapacity: a provider losing machines), then returns. With `shareCapacity` on, a capacity code one worker meets
 * cuts that model's limit in all four; off, each learns alone. In turns (on, off, on, off), each
 * run on a fresh queue: the time until every job completed, goodput, the capacity codes the
 * simulator sent (refusals past the queue and waits past maxWaitMs), the signals sent and applied,
 * and the jobs failed for good.
 */
import { RunwareQueue, startRunwareWorker, type RunwareWorker } from '../lib/queue/index.js'
import { startSimulator } from '../lib/simulator/index.js'
import { startRedis } from '../spec/helpers/redis-server.js'
import { API_KEY } from './clients/types.js'
import { SLOW_CAPACITY, SLOW_MODEL } from './capacity-setup.js'

const quick = process.argv.includes('--quick')
const JOBS = quick ? 600 : 1_500
const WORKERS = 4
const MODEL = SLOW_MODEL
const FULL = SLOW_CAPACITY
const DROP_MS = 3_000
const LOW_MS = 8_000

interface Outcome {
  seconds: number
  codes: number
  sent: number
  received: number
  failed: number
}

async function run(share: boolean, round: number, redisUrl: string): Promise<Outcome> {
  const sim = await startSimulator({
    apiKeys: [API_KEY],
    seed: 5 + round,
    capacity: { [MODEL]: FULL },
  })
  const connection = { url: redisUrl }
  const name = `capacity-fleet-${round}-${share ? 'on' : 'off'}`
  const queue = new RunwareQueue({ connection, name, jobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 200 } } })
  const workers: RunwareWorker[] = Array.from({ length: WORKERS }, () =>
    startRunwareWorker({
      connection,
      name,
      concurrency: 50,
      shareCapacity: share,
      client: { apiKey: API_KEY, url: sim.url, concurrency: 'adaptive', retry: { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 2_000 } },
    }),
  )
  try {
    await queue.queue.waitUntilReady()
    await Promise.all(workers.map((worker) => worker.client.connect()))
    const started = performance.now()
    for (let i = 0; i < JOBS; i += 500)
      await queue.addBulk(
        Array.from({ length: Math.min(500, JOBS - i) }, (_, k) => ({
          taskType: 'imageInference',
          model: MODEL,
          positivePrompt: `fleet ${round} ${i + k}`,
          width: 512,
          height: 512,
        })),
      )
    const drop = setTimeout(() => sim.setCapacity(MODEL, { ...FULL, slots: 2, queue: 4 }), DROP_MS)
    const back = setTimeout(() => sim.setCapacity(MODEL, FULL), DROP_MS + LOW_MS)
    const finished = (): number => workers.reduce((total, worker) => total + worker.counts.completed + worker.counts.failed, 0)
    while (finished() < JOBS) await new Promise((resolve) => setTimeout(resolve, 50))
    const seconds = (performance.now() - started) / 1_000
    clearTimeout(drop)
    clearTimeout(back)
    return {
      seconds,
      codes: sim.stats.capacityRefusals + sim.stats.queueWaitTimeouts,
      sent: workers.reduce((total, worker) => total + worker.counts.capacitySent, 0),
      received: workers.reduce((total, worker) => total + worker.counts.capacityReceived, 0),
      failed: workers.reduce((total, worker) => total + worker.counts.failed, 0),
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.close()))
    await queue.close()
    await sim.close()
  }
}

const redis = await startRedis()
try {
  console.log(
    `capacity-fleet: ${WORKERS} workers, adaptive, ${JOBS} jobs of ${MODEL} per run ` +
      `(8 slots, queue 16, 30–300 ms; 2 and 4 from ${DROP_MS / 1_000} s for ${LOW_MS / 1_000} s)`,
  )
  console.log('| shareCapacity | round | seconds | results/s | capacity codes (per 100 jobs) | signals sent | signals applied | failed |')
  console.log('|---|---|---|---|---|---|---|---|')
  const totals = { on: { seconds: 0, codes: 0 }, off: { seconds: 0, codes: 0 } }
  for (let round = 1; round <= 2; round++) {
    for (const share of [true, false]) {
      const outcome = await run(share, round, redis.url)
      const key = share ? 'on' : 'off'
      totals[key].seconds += outcome.seconds
      totals[key].codes += outcome.codes
      const cells = [
        key,
        round,
        outcome.seconds.toFixed(1),
        (JOBS / outcome.seconds).toFixed(1),
        `${outcome.codes} (${((100 * outcome.codes) / JOBS).toFixed(1)})`,
        outcome.sent,
        outcome.received,
        outcome.failed,
      ]
      console.log(`| ${cells.join(' | ')} |`)
    }
  }
  console.log(
    `\nshared ÷ alone: capacity codes ${(totals.on.codes / Math.max(1, totals.off.codes)).toFixed(2)}, ` +
      `time ${(totals.on.seconds / totals.off.seconds).toFixed(2)}`,
  )
} finally {
  await redis.stop()
}
