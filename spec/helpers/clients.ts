/** Per-spec setup for client specs: every client, simulator and scripted server is closed after each test. */
import { afterEach } from 'vitest'
import { RunwareSocket } from '../../lib/client.js'
import type { RunwareError } from '../../lib/errors.js'
import type { RunwareSocketEvents, StateEvent, TaskEvent } from '../../lib/events.js'
import type { RunwareSocketOptions } from '../../lib/options.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../lib/simulator/index.js'
import { startScripted, type ScriptedServer, type ScriptOptions } from './scripted-server.js'

const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout

export const API_KEY = 'spec-key-0123456789abcdef'

export interface ClientHarness {
  simulator(options?: SimulatorOptions): Promise<Simulator>
  scripted(options?: ScriptOptions): Promise<ScriptedServer>
  client(url: string, options?: RunwareSocketOptions): RunwareSocket
}

export function useClients(): ClientHarness {
  const closers: (() => Promise<void>)[] = []
  afterEach(async () => {
    // Clients first (they reject their tasks), then the servers they talk to.
    for (const close of closers.splice(0).reverse()) await close()
  })
  return {
    async simulator(options) {
      const sim = await startSimulator(options)
      closers.unshift(() => sim.close())
      return sim
    },
    async scripted(options) {
      const server = await startScripted(options)
      closers.unshift(() => server.close())
      return server
    },
    client(url, options = {}) {
      const client = new RunwareSocket({ apiKey: API_KEY, url, ...options })
      closers.push(() => client.close())
      return client
    },
  }
}

/** Resolves with the first event that matches, or rejects after `timeoutMs` of real time. */
export function waitFor<E extends keyof RunwareSocketEvents>(
  client: RunwareSocket,
  event: E,
  predicate: (...args: RunwareSocketEvents[E]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<RunwareSocketEvents[E]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: RunwareSocketEvents[E]): void => {
      if (!predicate(...args)) return
      realClearTimeout(timer)
      client.off(event, listener)
      resolve(args)
    }
    const timer = realSetTimeout(() => {
      client.off(event, listener)
      reject(new Error(`no matching ${event} event within ${timeoutMs} ms`))
    }, timeoutMs)
    client.on(event, listener)
  })
}

export function waitForState(client: RunwareSocket, to: StateEvent['to'], timeoutMs?: number): Promise<StateEvent> {
  return waitFor(client, 'state', (event) => event.to === to, timeoutMs).then(([event]) => event)
}

/** Records every event of a kind, for assertions after the fact. */
export function record<E extends keyof RunwareSocketEvents>(client: RunwareSocket, event: E): RunwareSocketEvents[E][0][] {
  const seen: RunwareSocketEvents[E][0][] = []
  client.on(event, ((first: RunwareSocketEvents[E][0]) => seen.push(first)))
  return seen
}

export function taskEvents(client: RunwareSocket): TaskEvent[] {
  return record(client, 'task')
}

/** Waits until `condition` holds, checking after each macrotask; for counters that move with I/O. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const started = performance.now()
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** The error a promise rejects with; fails the spec if it resolves instead. */
export function failure(promise: Promise<unknown>): Promise<RunwareError> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`)
    },
    (error: unknown) => error as RunwareError,
  )
}
