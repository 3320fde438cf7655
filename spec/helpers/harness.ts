/** Per-spec setup: simulators and clients opened through here are closed after each test. */
import { randomUUID } from 'node:crypto'
import { afterEach } from 'vitest'
import type { Task } from '../../lib/protocol.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../lib/simulator/index.js'
import { TestClient } from './test-client.js'

export interface Harness {
  start(options?: SimulatorOptions): Promise<Simulator>
  connect(sim: Simulator): Promise<TestClient>
  /** Connects and authenticates. */
  authed(sim: Simulator, apiKey?: string): Promise<{ client: TestClient; sessionUUID: string }>
}

export function useHarness(): Harness {
  const sims: Simulator[] = []
  const clients: TestClient[] = []
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()))
    await Promise.all(sims.splice(0).map((sim) => sim.close()))
  })
  const harness: Harness = {
    async start(options) {
      const sim = await startSimulator(options)
      sims.push(sim)
      return sim
    },
    async connect(sim) {
      const client = await TestClient.connect(sim.url)
      clients.push(client)
      return client
    },
    async authed(sim, apiKey) {
      const client = await harness.connect(sim)
      const sessionUUID = await client.auth(apiKey)
      return { client, sessionUUID }
    },
  }
  return harness
}

/** A valid imageInference task with a fresh taskUUID. */
export function imageTask(overrides: Record<string, unknown> = {}): Task & { taskUUID: string } {
  return {
    taskType: 'imageInference',
    taskUUID: randomUUID(),
    model: 'runware:101@1',
    positivePrompt: 'a lighthouse at dusk',
    width: 512,
    height: 512,
    ...overrides,
  }
}

/**
 * Resolves after the simulator's pending "later this turn" work (zero-latency completions, result
 * flushes) has run: that work is queued with setImmediate, which runs in FIFO order.
 */
export function afterTick(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve)
  })
}
