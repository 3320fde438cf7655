/** A Runware-protocol WebSocket server with fault injection, for tests, demos and benchmarks. */
export { startSimulator, type Simulator, type SimulatorEvents } from './server.js'
export type { ChaosOptions, Framing, SimulatorOptions } from './options.js'
export { DEFAULT_PERMANENT_CODES, DEFAULT_RETRYABLE_CODES } from './options.js'
export type { FaultStats, SimulatorStats } from './stats.js'
export type { FailOptions, FailTasksRule } from './faults.js'
export { MALFORMED_FRAMES } from './faults.js'
export { FAKE_ORIGIN } from './replies.js'
