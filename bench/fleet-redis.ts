/**
 * What the fleet costs and risks in Redis, measured (`npx tsx bench/fleet-redis.ts`):
 *
 * 1. memory: Redis memory per completed job kept for `result()` (two image results each), from
 *    `used_memory` before and after 10,000 jobs went through one worker;
 * 2. durability: a Redis without persistence killed (SIGKILL) and started again mid-run: how
 *    many jobs the producer can no longer find, and how many of those the simulator had already
 *    run (and Runware would have billed). The same with AOF: none.
 *
 * Each part has its own redis-server and simulator; nothing is shared with the other benches.
 */
import { Redis } from 'ioredis'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RunwareQueue, startRunwareWorker } from '../lib/queue/index.js'
import { startSimulator } from '../lib/simulator/index.js'
import { freeRedisPort, startRedis } from '../spec/helpers/redis-server.js'
import { API_KEY } from './clients/types.js'

const task = (i: number) =>
  ({ taskType: 'imageInference', model: 'runware:101@1', positivePrompt: `a heron at dusk, take ${i}`, width: 512, height: 512, numberResults: 2 }) as const

async function usedMemory(url: string): Promise<number> {
  const client = new Redis(url)
  try {
    const info = await client.info('memory')
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN)
  } finally {
    client.disconnect()
  }
}

async function memoryPerJob(jobs: number): Promise<void> {
  const redis = await startRedis()
  const sim = await startSimulator()
  const connection = { url: redis.url }
  const queue = new RunwareQueue({ connection, name: 'memory' })
  const worker = startRunwareWorker({ connection, name: 'memory', concurrency: 200, client: { apiKey: API_KEY, url: sim.url } })
  try {
    await queue.queue.waitUntilReady()
    const before = await usedMemory(redis.url)
    for (let i = 0; i < jobs; i += 1_000) await queue.addBulk(Array.from({ length: Math.min(1_000, jobs - i) }, (_, k) => task(i + k)))
    while ((await queue.queue.getJobCountByTypes('completed')) < jobs) await new Promise((resolve) => setTimeout(resolve, 200))
    const after = await usedMemory(redis.url)
    const perJob = (after - before) / jobs
    console.log(
      `| memory | ${jobs} completed jobs kept (2 results each) | ${(perJob / 1024).toFixed(2)} KB per job | ${((perJob * 1e6) / 1024 ** 3).toFixed(2)} ` +
        `GB per million kept |`,
    )
  } finally {
    await worker.close()
    await queue.close()
    await sim.close()
    await redis.stop()
  }
}

async function restartMidRun(jobs: number, aof: boolean): Promise<void> {
  const port = await freeRedisPort()
  const dir = mkdtempSync(join(tmpdir(), 'runware-durability-'))
  let redis = await startRedis({ port, dir, aof })
  const sim = await startSimulator({ latencyMs: { min: 50, max: 400 }, seed: 11 })
  const connection = { url: redis.url, maxRetriesPerRequest: null }
  const queue = new RunwareQueue({ connection, name: 'durability' })
  const worker = startRunwareWorker({ connection, name: 'durability', concurrency: 50, client: { apiKey: API_KEY, url: sim.url }, lockDurationMs: 5_000 })
  try {
    const added = await queue.addBulk(Array.from({ length: jobs }, (_, i) => task(i)))
    while ((await queue.queue.getJobCountByTypes('completed')) < jobs / 3) await new Promise((resolve) => setTimeout(resolve, 50))
    // A crash, not a shutdown: nothing is flushed on the way down.
    const killed = new Redis(redis.url)
    await killed.call('DEBUG', 'SEGFAULT').catch(() => undefined)
    killed.disconnect()
    await redis.stop()
    redis = await startRedis({ port, dir, aof })
    let lost = 0
    let lostRun = 0
    for (const { jobId, taskUUID } of added) {
      try {
        await queue.result(jobId, { timeoutMs: 60_000 })
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'jobNotFound') throw error
        lost += 1
        if ((sim.stats.executions.get(taskUUID) ?? 0) > 0) lostRun += 1
      }
    }
    console.log(
      `| durability | Redis ${aof ? 'with AOF (appendonly yes)' : 'without persistence'} killed after ${Math.round(jobs / 3)} ` +
        `of ${jobs} jobs, started again | ${lost} jobs lost | ${lostRun} of them already run (billed) |`,
    )
  } finally {
    await worker.close()
    await queue.close()
    await sim.close()
    await redis.stop()
  }
}

console.log('| what | setting | figure | |')
console.log('|---|---|---|---|')
await memoryPerJob(10_000)
await restartMidRun(300, false)
await restartMidRun(300, true)
