/**
 * Run as a child process by close.spec.ts: exercises the simulator (latency timers, async tasks,
 * held results, a dead session in its resume window, silence), closes it, and then must exit on
 * its own. If anything the simulator armed were still alive, the process would hang.
 */
import { randomUUID } from 'node:crypto'
import { startSimulator } from '../../lib/simulator/index.js'
import { TestClient } from './test-client.js'

const sim = await startSimulator({ latencyMs: 60_000, asyncDurationMs: 60_000, resumeWindowMs: 60_000, idleTimeoutMs: 60_000 })
const task = (extra: Record<string, unknown>): Record<string, unknown> => ({
  taskType: 'imageInference',
  taskUUID: randomUUID(),
  model: 'runware:101@1',
  positivePrompt: 'probe',
  width: 512,
  height: 512,
  ...extra,
})
const dropped = await TestClient.connect(sim.url)
await dropped.auth()
dropped.send([task({})])
await dropped.ping()
sim.dropAll()
await dropped.closed
const client = await TestClient.connect(sim.url)
await client.auth()
sim.holdResults()
client.send([task({}), task({ deliveryMethod: 'async' })])
await client.ping()
sim.silence()
await sim.close()
await client.closed
process.stdout.write('closed\n')
