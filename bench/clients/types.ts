/** What every client under test offers the scenarios, and the one task they all run. */
import type { Task } from '../../lib/index.js'

export type ClientName = 'rawBatched' | 'rawPerMessage' | 'ours' | 'sdk'

/** Every client, in the table's column order. */
export const CLIENT_NAMES: readonly ClientName[] = ['rawBatched', 'rawPerMessage', 'ours', 'sdk']

export const CLIENT_LABELS: Readonly<Record<ClientName, string>> = {
  rawBatched: 'raw ws, batched (the floor)',
  rawPerMessage: 'raw ws, a frame per task',
  ours: 'runware-socket',
  sdk: '@runware/sdk-js',
}

export interface BenchClient {
  readonly name: ClientName
  /** Opens and authenticates the socket (not timed by throughput scenarios). */
  connect(): Promise<void>
  /** Runs one task; resolves with its result items. */
  run(task: BenchTask): Promise<readonly unknown[]>
  /** Settles or abandons everything pending and releases the socket. */
  close(): Promise<void>
}

/** The task every client runs: same fields, same size, one result item. */
export interface BenchTask extends Task {
  taskType: 'imageInference'
  model: string
  positivePrompt: string
  width: number
  height: number
  numberResults: number
}

/** A fresh object per call, so no client can benefit from reusing one (each allocates its own). */
export function benchTask(): BenchTask {
  return { taskType: 'imageInference', model: 'runware:101@1', positivePrompt: 'a red fox in the snow', width: 512, height: 512, numberResults: 1 }
}

export const API_KEY = 'bench-api-key-0123456789'
