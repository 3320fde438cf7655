/**
 * HTTP against WebSocket (`npx tsx bench/transports.ts [--quick]`): throughput at 100 tasks in
 * flight (closed loop) against the same simulator, in a process of its own, which serves both on
 * one port; the transports take turns in the same run, and the ratio is of medians. Two server
 * latencies: 0 (what each transport itself costs) and 20 ms (a task that takes time).
 */
import { RunwareSocket } from '../lib/client.js'
import { buildLib } from './build-lib.js'
import { API_KEY } from './clients/types.js'
import { closedLoop } from './drive.js'
import { SimControl } from './sim-control.js'
import { median } from './stats.js'

const quick = process.argv.includes('--quick')
const TASKS = quick ? 2_000 : 10_000
const TURNS = quick ? 2 : 3
const CONCURRENCY = 100
const task = (i: number) => ({ taskType: 'imageInference', model: 'runware:101@1', positivePrompt: `a heron, take ${i}`, width: 512, height: 512 }) as const

async function throughputTurn(url: string, transport: 'websocket' | 'http'): Promise<number> {
  const client = new RunwareSocket({ apiKey: API_KEY, url, transport })
  await client.connect()
  const seconds = await closedLoop((i) => client.run(task(i)), TASKS, CONCURRENCY)
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
    await throughputTurn(url, 'websocket')
    await throughputTurn(url, 'http')
    const ws: number[] = []
    const http: number[] = []
    for (let turn = 0; turn < TURNS; turn++) {
      ws.push(await throughputTurn(url, 'websocket'))
      http.push(await throughputTurn(url, 'http'))
    }
    const turns = `${ws.map((v) => v.toFixed(0)).join(', ')}; ${http.map((v) => v.toFixed(0)).join(', ')}`
    console.log(`| ${latencyMs} ms | ${median(ws).toFixed(0)} | ${median(http).toFixed(0)} | ${(median(http) / median(ws)).toFixed(2)}× | ${turns} |`)
  }
} finally {
  await sim.shutdown()
}
