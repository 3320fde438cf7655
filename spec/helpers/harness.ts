/**
 * One harness for every spec that needs servers or clients: whatever is opened through it is
 * closed after each test (clients first, since they reject their tasks, then the servers).
 */
import { WebSocket as UndiciWebSocket } from 'undici'
import { afterEach } from 'vitest'
import { RunwareSocket } from '../../lib/client.js'
import type { RunwareSocketEvents, TaskEvent } from '../../lib/api/events.js'
import type { RunwareSocketOptions } from '../../lib/api/options.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../lib/simulator/index.js'
import { startScripted, type ScriptedServer, type ScriptOptions } from './scripted-server.js'
import { TestClient } from './test-client.js'

export const API_KEY = 'spec-key-0123456789abcdef'

/** The `whatwg` vitest project runs the client specs again over undici's standard WebSocket. */
export const WHATWG = process.env.RUNWARE_SPEC_WEBSOCKET === 'whatwg'
const SOCKET: Pick<RunwareSocketOptions, 'WebSocket'> = WHATWG ? { WebSocket: UndiciWebSocket } : {}

export interface Harness {
  simulator(options?: SimulatorOptions): Promise<Simulator>
  scripted(options?: ScriptOptions): Promise<ScriptedServer>
  /** A RunwareSocket with the spec key. */
  client(url: string, options?: RunwareSocketOptions): RunwareSocket
  /** A raw protocol client, for specs of the simulator itself. */
  connect(sim: Simulator): Promise<TestClient>
  /** Connects and authenticates. */
  authed(sim: Simulator, apiKey?: string): Promise<{ client: TestClient; sessionUUID: string }>
}

export function useHarness(): Harness {
  const clients: (() => Promise<void>)[] = []
  const servers: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const close of clients.splice(0)) await close()
    for (const close of servers.splice(0)) await close()
  })
  const harness: Harness = {
    async simulator(options) {
      const sim = await startSimulator(options)
      servers.push(() => sim.close())
      return sim
    },
    async scripted(options) {
      const server = await startScripted(options)
      servers.push(() => server.close())
      return server
    },
    client(url, options = {}) {
      const client = new RunwareSocket({ apiKey: API_KEY, url, ...SOCKET, ...options })
      clients.push(() => client.close())
      return client
    },
    async connect(sim) {
      const client = await TestClient.connect(sim.url)
      clients.push(() => client.close())
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

/** Records every event of a kind, for assertions after the fact. */
export function record<E extends keyof RunwareSocketEvents>(client: RunwareSocket, event: E): RunwareSocketEvents[E][0][] {
  const seen: RunwareSocketEvents[E][0][] = []
  client.on(event, (first: RunwareSocketEvents[E][0]) => seen.push(first))
  return seen
}

export function taskEvents(client: RunwareSocket): TaskEvent[] {
  return record(client, 'task')
}
