/**
 * What the capacity benches share (capacity.ts, capacity-shift.ts, capacity-fleet.ts): the two
 * models' capacity in the simulator, and the client each setting runs.
 */
import { RunwareSocket } from '../lib/client.js'
import type { CapacitySpec } from '../lib/simulator/index.js'
import { API_KEY } from './clients/types.js'

export const SLOW_MODEL = 'sim:slow@1'
export const FAST_MODEL = 'sim:fast@1'
/** At most about 48 results/s. */
export const SLOW_CAPACITY: CapacitySpec = { slots: 8, queue: 16, serviceMs: { min: 30, max: 300 }, maxWaitMs: 10_000 }
/** About 800 results/s. */
export const FAST_CAPACITY: CapacitySpec = { slots: 32, queue: 64, serviceMs: { min: 20, max: 60 }, maxWaitMs: 10_000 }

/** A fixed `maxInFlight`, or adaptive concurrency with no tuning; retries as a worker would set them. */
export function capacityClient(url: string, options: { maxInFlight?: number | undefined; adaptive?: boolean | undefined }): RunwareSocket {
  return new RunwareSocket({
    apiKey: API_KEY,
    url,
    maxInFlight: options.maxInFlight,
    concurrency: options.adaptive === true ? 'adaptive' : undefined,
    retry: { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 2_000 },
    taskTimeoutMs: 120_000,
  })
}
