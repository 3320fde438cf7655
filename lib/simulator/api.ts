/** The simulator's public surface: its controls and events (server.ts implements them). */
import type { EventEmitter } from 'eventemitter3'
import type { CapacitySpec } from './capacity.js'
import type { FailOptions, FailTasksRule } from './faults.js'
import type { ChaosOptions } from './options.js'
import type { SimulatorStats } from './stats.js'

/** Events for tests to wait on instead of sleeping. */
export interface SimulatorEvents {
  /** A socket was accepted; `path` is the request path with its query string. */
  connection: (info: { id: number; path: string }) => void
  /** A socket closed (for any reason). */
  close: (info: { id: number; code: number }) => void
  /** A frame was received and fully processed; `discarded` when its socket was silent. */
  frame: (info: { id: number; discarded: boolean }) => void
  /** The server closed a socket for inactivity. */
  idleTimeout: (info: { id: number }) => void
  /** A session's resume window ran out; its buffered results are gone. */
  sessionExpired: (info: { sessionUUID: string }) => void
  /** A bug in the simulator, caught so it never reaches the event loop. */
  internalError: (error: unknown) => void
}

export interface Simulator {
  /** `ws://127.0.0.1:<port>/v1` (any path is accepted). */
  readonly url: string
  /** `http://127.0.0.1:<port>/v1`: the same server over REST (POST, any path; docs/simulator.md). */
  readonly httpUrl: string
  readonly port: number
  /** HTTP faults: statuses, resets after a request was accepted, slow bodies, cut streams, refused upgrades. */
  readonly http: HttpControls
  /** Live counters. */
  readonly stats: SimulatorStats
  readonly events: EventEmitter<SimulatorEvents>
  /** Releases every socket, timer and the server. Idempotent. */
  close(): Promise<void>
  /** Terminates every open socket now, like a network cut (HTTP requests in flight too). */
  dropAll(): void
  /** Terminates every socket once the server has written n more frames (of any kind) in total; 0 = now. */
  dropAfterFrames(n: number): void
  /** Every open socket goes half-open: stays open, sends nothing, discards what it receives (an HTTP request in flight hangs). New sockets are normal. */
  silence(): void
  /** The next n tasks (not getResponse, ping or auth) fail at completion with `code`. */
  failNext(n: number, code: string, options?: FailOptions): void
  /** Fails a seeded-random fraction of tasks, or those matching a predicate, at most `count` of them. */
  failTasks(rule: FailTasksRule, code: string): void
  /** The next n authentications are refused with `code`. */
  failAuth(code: string, n?: number): void
  /**
   * A key revoked mid-run: the sockets authenticated with it are cut, and every later login with
   * it is refused with `code` (default invalidApiKey). Other keys go on as before.
   */
  revokeKey(apiKey: string, code?: string): void
  /** The next n tasks are refused with `code` and not executed. */
  rateLimit(n: number, code?: string): void
  /** The next n result frames are each sent twice. */
  duplicateNext(n: number): void
  /** A malformed frame goes out before each of the next n result frames. */
  malformedNext(n: number): void
  /** The next n async acknowledgements are never sent: the tasks run, only the replies are lost. */
  loseAcks(n: number): void
  /** The next n getResponse answers are never sent. */
  loseAnswers(n: number): void
  /** Adds `ms` of latency to the next n tasks, or to every task until `delay(0)` when n is omitted. */
  delay(ms: number, n?: number): void
  /** Holds every result back (tasks stay pending) until releaseResults(). */
  holdResults(): void
  /** Completes every held task now. */
  releaseResults(): void
  /** Cancels every pending scripted fault (held results stay held). */
  clearFaults(): void
  /**
   * Changes a model's capacity while it runs (only a model given `capacity` at start): more slots
   * start waiting tasks at once; fewer let the running finish. Throws a RangeError otherwise.
   */
  setCapacity(model: string, spec: CapacitySpec): void
  /** Replaces the seeded chaos settings (undefined turns chaos off). */
  setChaos(chaos?: ChaosOptions): void
}

/** The simulator's HTTP controls (`sim.http`): scripted faults, each for the next n requests or streams. */
export interface HttpControls {
  /** Answered with `status` and an error `code` (or, without one, a body in HTML as a proxy sends), nothing run. */
  failRequests(n: number, status: number, code?: string): void
  /** Run (the tasks are accepted and billed), then the connection destroyed before the answer. */
  resetAfterAccept(n: number): void
  /** The answer's body sent in two halves, `ms` apart. */
  slowBodies(n: number, ms: number): void
  /** Text streams cut after half of their events, without [DONE]. */
  cutStreams(n: number): void
  /** WebSocket upgrades answered 403 from now on (false lets them through again). */
  refuseUpgrades(refuse?: boolean): void
}
