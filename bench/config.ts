/** How much each scenario does: the full set, and the reduced `--quick` set (under a minute). */

/** Measured runs per figure, after `warmups` discarded ones. */
export interface Repeats {
  runs: number
  warmups: number
}

export interface Config {
  quick: boolean
  throughput: Repeats & {
    concurrencies: readonly number[]
    /** Tasks per run for raw and ours. */
    tasks: number
    /** sdk-js: a run stops starting tasks after this long (its in-flight ones still finish). */
    sdkLimitMs: number
    sdkMaxTasks: number
  }
  latency: Repeats & { tasks: number; sdkLimitMs: number }
  /** Each run also warms the client up with `warmupTasks` before measuring. */
  memory: Repeats & { pending: number; warmupTasks: number }
  /** `runs` fresh clients, each measured `reps` times per level. */
  scaling: { runs: number; reps: number; small: number; large: number; measured: number; concurrency: number }
  recovery: Repeats & { inFlight: number; latencyMs: number; initialDelayMs: number; limitMs: number; sdkLimitMs: number }
  /** Batches of `tasks`, each compared with the heap after the warm-up; raw only as the noise yardstick. */
  churn: { tasks: number; batches: number; concurrency: number; warmupTasks: number; withRaw: boolean }
}

export function configFor(quick: boolean): Config {
  if (quick) {
    return {
      quick,
      throughput: { runs: 3, warmups: 1, concurrencies: [1, 100, 1000], tasks: 2_000, sdkLimitMs: 300, sdkMaxTasks: 2_000 },
      latency: { runs: 3, warmups: 1, tasks: 1_000, sdkLimitMs: 300 },
      memory: { runs: 1, warmups: 0, pending: 100_000, warmupTasks: 2_000 },
      scaling: { runs: 1, reps: 3, small: 1_000, large: 100_000, measured: 2_000, concurrency: 100 },
      recovery: { runs: 3, warmups: 1, inFlight: 1_000, latencyMs: 50, initialDelayMs: 200, limitMs: 5_000, sdkLimitMs: 2_000 },
      churn: { tasks: 100_000, batches: 1, concurrency: 1_000, warmupTasks: 5_000, withRaw: false },
    }
  }
  return {
    quick,
    throughput: { runs: 5, warmups: 1, concurrencies: [1, 100, 1000], tasks: 20_000, sdkLimitMs: 5_000, sdkMaxTasks: 20_000 },
    latency: { runs: 5, warmups: 1, tasks: 10_000, sdkLimitMs: 3_000 },
    memory: { runs: 5, warmups: 1, pending: 100_000, warmupTasks: 5_000 },
    scaling: { runs: 3, reps: 3, small: 1_000, large: 100_000, measured: 5_000, concurrency: 100 },
    recovery: { runs: 5, warmups: 1, inFlight: 1_000, latencyMs: 50, initialDelayMs: 200, limitMs: 10_000, sdkLimitMs: 70_000 },
    churn: { tasks: 100_000, batches: 3, concurrency: 1_000, warmupTasks: 10_000, withRaw: true },
  }
}
