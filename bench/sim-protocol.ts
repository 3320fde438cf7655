/**
 * Messages between the bench and the simulator's own process. Only JSON-safe values cross the
 * boundary; times are epoch milliseconds with sub-ms precision (`performance.timeOrigin + now`),
 * comparable across the two processes.
 */
import type { Framing } from '../lib/simulator/index.js'

/** The simulator options the bench uses (the JSON-safe subset). */
export interface SimStartOptions {
  /** The minimal server of floor-server.ts instead of the simulator (throughput, latency, churn). */
  floor?: boolean
  latencyMs?: number
  framing?: Framing
  seed?: number
}

export type SimRequest =
  | { op: 'start'; options: SimStartOptions }
  | { op: 'stop' }
  | { op: 'hold' }
  | { op: 'release' }
  | { op: 'dropAll' }
  /** Drops every socket the moment the server has received `total` work tasks. */
  | { op: 'dropWhenReceived'; total: number }
  /** Adds `ms` of latency to the next `n` tasks accepted. */
  | { op: 'delay'; ms: number; n: number }
  /** Resolves once the server has received `total` work tasks (or rejects after `timeoutMs`). */
  | { op: 'waitReceived'; total: number; timeoutMs: number }
  | { op: 'stats' }
  /** The simulator process's CPU time so far (user + system), µs: cheap, unlike stats. */
  | { op: 'cpu' }

export interface SimStats {
  tasksReceived: number
  /** Distinct taskUUIDs executed. */
  executed: number
  /** Executions in all (a taskUUID run twice counts twice). */
  executions: number
  /** taskUUIDs executed more than once. */
  executedTwice: number
  connections: number
  authentications: number
  resumes: number
  replayed: number
  polls: number
  openSockets: number
  /** CPU time of the simulator process so far (user + system), µs. */
  cpuUs: number
}

export interface SimStarted {
  url: string
}

export type SimReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string }

/** Unprompted news from the simulator process. */
export type SimEvent = { event: 'dropped'; at: number; tasksReceived: number }

export type ToSim = SimRequest & { id: number }
export type FromSim = SimReply | SimEvent

/** Epoch ms with sub-ms precision, comparable between processes. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now()
}
