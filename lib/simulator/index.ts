/**
 * A Runware-protocol WebSocket server with fault injection, for tests, demos and benchmarks.
 * Everything it returns is clearly fake (example.invalid URLs); it never pretends to be Runware.
 *
 *   const sim = await startSimulator({ latencyMs: 50, chaos: { failRate: 0.1 } })
 *   // point a client at sim.url, script faults with sim.dropAll(), sim.failNext(2, 'timeoutProvider'), …
 *   await sim.close()
 *
 * Layout: server.ts (sockets, controls, wiring), router.ts (inbound frames: auth, ping, getResponse,
 * work tasks), tasks.ts + fields.ts (per-type validation and fake results), engine.ts (latency,
 * completion, hold), registry.ts (account-wide task records, getResponse), sessions.ts (buffers,
 * resume window), outbound.ts + framing.ts (frames and frame-level faults), faults.ts (scripted and
 * seeded faults), scheduler.ts (clock timers), random.ts (seeded PRNG), stats.ts (counters).
 * To add a task type, add a Planner to the table in tasks.ts.
 */
export { startSimulator, type Simulator, type SimulatorEvents } from './server.js'
export type { ChaosOptions, Framing, SimulatorOptions } from './options.js'
export { DEFAULT_PERMANENT_CODES, DEFAULT_RETRYABLE_CODES } from './options.js'
export type { FaultStats, SimulatorStats } from './stats.js'
export type { FailOptions, FailTasksRule } from './faults.js'
export { MALFORMED_FRAMES } from './faults.js'
export { FAKE_ORIGIN } from './replies.js'
