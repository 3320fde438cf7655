/**
 * HTTP against WebSocket (`npx tsx bench/transports.ts [--quick]`): throughput at 100 tasks in
 * flight (closed loop) against the same simulator, in a process of its own, which serves both on
 * one port; the transports take turns in the same run, and the ratio is of medians. Two server
 * latencies: 0 (what each transport itself costs) and 20 ms (a task that takes time).
 */
import { RunwareSocket } from '../lib/client.js'
import { buildLib } from './build-lib.js'
import { API_KEY } from './clients/types.js'
import { SimControl } from './sim-control.js'

const quick = process.argv.includes('--quick')
const TASKS = quick ? 2_000 : 10_000
const TURNS = quick ? 2 : 3
const CONCURRENCY = 100
const task = (i: number) => ({ taskType: 'imageInference', model: 'runware:101@1', positivePrompt: `a heron, take ${i}`, width: 512, height: 512 }) as const

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

async function closedLoop(url: string, transport: 'websocket' | 'http'): Promise<number> {
  const client = new RunwareSocket({ apiKey: API_KEY, url, transport })
  await client.connect()
  let next = 0
  const started = performance.now()
  const lane = async (): Promise<void> => {
    while (next < TASKS) await client.run(task(next++))
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane))
  const seconds = (performance.now() - started) / 1_000
  await client.close()
  return TASKS / seconds
}

// The simulator's process loads lib/ as compiled (lib-under-test.ts): compiled now, so it serves HTTP too.
await buildLib()
const sim = await SimControl.launch()
console.log(`${TASKS} tasks at ${CONCURRENCY} in flight against the simulator (its own process), ${TURNS} turns each, taking turns`)
console.log('| server latency | WebSocket tasks/s (median) | HTTP tasks/s (median) | HTTP / WebSocket | turns (ws; http) |')
console.log('|---|---|---|---|---|')
try {
  for (const latencyMs of [0, 20]) {
    const url = await sim.start({ latencyMs })
    await closedLoop(url, 'websocket')
    await closedLoop(url, 'http')
    const ws: number[] = []
    const http: number[] = []
    for (let turn = 0; turn < TURNS; turn++) {
      ws.push(await closedLoop(url, 'websocket'))
      http.push(await closedLoop(url, 'http'))
    }
    const turns = `${ws.map((v) => v.toFixed(0)).join(', ')}; ${http.map((v) => v.toFixed(0)).join(', ')}`
    console.log(`| ${latencyMs} ms | ${median(ws).toFixed(0)} | ${median(http).toFixed(0)} | ${(median(http) / median(ws)).toFixed(2)}× | ${turns} |`)
  }
} finally {
  await sim.shutdown()
}
