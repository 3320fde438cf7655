/** Ways of pushing tasks through a client: C workers in a loop, or one at a time with timings. */
import { benchTask, type BenchClient } from './clients/index.js'

export interface DriveResult {
  completed: number
  failed: number
  /** First failure's message, for the notes. */
  firstError: string | undefined
  elapsedMs: number
  /** CPU time of this process (user + system) over the run, µs. */
  cpuUs: number
}

export interface DriveOptions {
  total: number
  concurrency: number
  /** No task starts after this time (performance.now()); those already running finish. */
  deadline?: number
}

/** C workers, each awaiting `run` in a loop, until `total` tasks were started (or the deadline). */
export async function drive(client: BenchClient, { total, concurrency, deadline = Infinity }: DriveOptions): Promise<DriveResult> {
  let started = 0
  let completed = 0
  let failed = 0
  let firstError: string | undefined
  const worker = async (): Promise<void> => {
    while (started < total && performance.now() < deadline) {
      started++
      try {
        await client.run(benchTask())
        completed++
      } catch (error) {
        failed++
        firstError ??= error instanceof Error ? error.message : String(error)
      }
    }
  }
  const cpu = process.cpuUsage()
  const begin = performance.now()
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker))
  const elapsedMs = performance.now() - begin
  const used = process.cpuUsage(cpu)
  return { completed, failed, firstError, elapsedMs, cpuUs: used.user + used.system }
}

/** One task at a time; the time of each, ms. */
export async function timeEach(client: BenchClient, count: number, deadline = Infinity): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    const begin = performance.now()
    await client.run(benchTask())
    times.push(performance.now() - begin)
  }
  return times
}

/**
 * `count` tasks through `run`, `concurrency` lanes each starting its next task when its last one
 * settles (a closed loop); seconds from the first to the last.
 */
export async function closedLoop(run: (index: number) => Promise<unknown>, count: number, concurrency: number): Promise<number> {
  let next = 0
  const started = performance.now()
  const lane = async (): Promise<void> => {
    while (next < count) await run(next++)
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  return (performance.now() - started) / 1_000
}
