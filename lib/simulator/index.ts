/**
 * A Runware-protocol WebSocket server with fault injection, for tests, demos and benchmarks.
 * Everything it returns is clearly fake (example.invalid URLs); it never pretends to be Runware.
 *
 *   const sim = await startSimulator({ latencyMs: 50, chaos: { failRate: 0.1 } })
 *   // point a client at sim.url, script faults with sim.dropAll(), sim.failNext(2, 'timeoutProvider'), …
 *   await sim.close()
 *
 * Layout: api.ts (the controls and events), server.ts (wiring, listen, close), sockets.ts +
 * socket.ts (client sockets, cut, silence, idle timeout), router.ts (inbound frames: auth, ping,
 * getResponse, work tasks), tasks.ts + fields.ts (per-type validation and fake results), engine.ts
 * (latency, completion, hold), registry.ts (account-wide accepted tasks, getResponse), sessions.ts
 * (buffers, resume window), outbound.ts + framing.ts (frames and frame-level faults), faults.ts
 * (scripted and seeded faults), http.ts + http-exchange.ts (REST on the same port: a request is a
 * link with a session of its own; statuses, streams, HTTP faults), model.ts (the shared types),
 * alarms.ts (clock timers), random.ts (seeded PRNG), stats.ts (counters).
 *
 * How to extend it, most common first:
 *   a task type           a Planner in planners/ and a row in tasks.ts' table (validation with Fields, fake outputs)
 *   a model               an entry in models.ts (its limits, whether it reports progress)
 *   an error code         a row in codes.ts (where it comes from: wire, classifier, pattern, invented)
 *   an error message      MESSAGES in replies.ts
 *   a scripted fault      a queue in faults.ts, its control in api.ts and server.ts
 *   a chaos rate          ChaosOptions in options.ts, its draw in faults.ts
 *   a frame-level fault   Outbound.send in outbound.ts
 */
export { startSimulator } from './server.js'
export type { Simulator, SimulatorEvents } from './api.js'
export type { AuthErrorShape, ChaosOptions, Framing, SimulatorOptions } from './options.js'
export { DEFAULT_PERMANENT_CODES, DEFAULT_RETRYABLE_CODES } from './options.js'
export type { FaultStats, SimulatorStats } from './stats.js'
export type { FailOptions, FailTasksRule } from './faults.js'
export type { CapacitySpec } from './capacity.js'
export { MALFORMED_FRAMES } from './faults.js'
export { FAKE_ORIGIN } from './replies.js'
export { HTTP_STATUS_BY_CODE, httpStatusOf, SIMULATOR_CODES, sourceOf, type CodeSource } from './codes.js'
export type { HttpControls } from './api.js'
export { DEFAULT_LIMITS, type ImageLimits, type ModelEntry } from './models.js'
