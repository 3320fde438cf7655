/** How much each scenario does: the full set, and the reduced `--quick` set (under a minute). */

/** Measured runs per figure, after `warmups` discarded ones. */
export interface Repeats {
  runs: number
  warmups: number
}

export interface Config {
  quick: boolean
  throughput: Repeats & {
    /** Tasks each client runs once per process before anything is measured (V8 warm-up). */
    warmupTasks: number
    concurrencies: readonly number[]
    /** Tasks per run for raw and ours. */
    tasks: number
    /** sdk-js: a run stops starting tasks after this long (its in-flight ones still finish). */
    sdkLimitMs: number
    sdkMaxTasks: number
  }
  latency: Repeats & { tasks: number; sdkLimitMs: number; warmupTasks: number }
  /** Each run also warms the client up with `warmupTasks` before measuring. */
  memory: Repeats & { pending: number; warmupTasks: number }
  /** `runs` fresh clients, each measured `reps` times per level. */
  scaling: { runs: number; reps: number; small: number; large: number; measured: number; concurrency: number }
  recovery: Repeats & { inFlight: number; sdkInFlight: number; latencyMs: number; initialDelayMs: number; limitMs: number; sdkLimitMs: number }
  /** Batches of `tasks`, each compared with the heap after the warm-up; raw only as the noise yardstick. */
  churn: { tasks: number; batches: number; concurrency: number; warmupTasks: number; withRaw: boolean }
  /** Tasks on the wire aborted in one loop, beside the same number of bare aborts. */
  aborts: Repeats & { tasks: number }
  /** Jobs through the BullMQ queue with each number of worker processes, beside one socket. */
  fleet: Repeats & { jobs: number; workerCounts: readonly number[]; concurrency: number; latencyMs: number }
}

/** The full run: every figure docs/benchmarks.md's table reports. */
const FULL: Omit<Config, 'quick'> = {
  throughput: { runs: 5, warmups: 1, warmupTasks: 400_000, concurrencies: [100, 1000], tasks: 150_000, sdkLimitMs: 5_000, sdkMaxTasks: 20_000 },
  latency: { runs: 5, warmups: 1, tasks: 5_000, sdkLimitMs: 3_000, warmupTasks: 400_000 },
  memory: { runs: 5, warmups: 1, pending: 100_000, warmupTasks: 5_000 },
  scaling: { runs: 3, reps: 3, small: 1_000, large: 100_000, measured: 5_000, concurrency: 100 },
  recovery: { runs: 5, warmups: 2, inFlight: 10_000, sdkInFlight: 1_000, latencyMs: 50, initialDelayMs: 200, limitMs: 10_000, sdkLimitMs: 70_000 },
  churn: { tasks: 100_000, batches: 10, concurrency: 1_000, warmupTasks: 10_000, withRaw: true },
  fleet: { runs: 3, warmups: 1, jobs: 5_000, workerCounts: [1, 2, 4], concurrency: 100, latencyMs: 50 },
  aborts: { runs: 5, warmups: 1, tasks: 100_000 },
}

/** `--quick`: the same scenarios, smaller (under a minute); only what differs from FULL. */
const QUICK: { [S in keyof typeof FULL]?: Partial<(typeof FULL)[S]> } = {
  throughput: { runs: 3, warmupTasks: 20_000, tasks: 5_000, sdkLimitMs: 300, sdkMaxTasks: 2_000 },
  latency: { runs: 3, tasks: 1_000, sdkLimitMs: 300, warmupTasks: 20_000 },
  memory: { runs: 1, warmups: 0, warmupTasks: 2_000 },
  scaling: { runs: 1, measured: 2_000 },
  recovery: { runs: 3, inFlight: 2_000, limitMs: 5_000, sdkLimitMs: 2_000 },
  churn: { batches: 1, warmupTasks: 5_000, withRaw: false },
  fleet: { runs: 1, warmups: 0, jobs: 1_000 },
  aborts: { runs: 3, warmups: 1, tasks: 20_000 },
}

export function configFor(quick: boolean): Config {
  if (!quick) return { quick, ...FULL }
  return {
    quick,
    throughput: { ...FULL.throughput, ...QUICK.throughput },
    latency: { ...FULL.latency, ...QUICK.latency },
    memory: { ...FULL.memory, ...QUICK.memory },
    scaling: { ...FULL.scaling, ...QUICK.scaling },
    recovery: { ...FULL.recovery, ...QUICK.recovery },
    churn: { ...FULL.churn, ...QUICK.churn },
    fleet: { ...FULL.fleet, ...QUICK.fleet },
    aborts: { ...FULL.aborts, ...QUICK.aborts },
  }
}
