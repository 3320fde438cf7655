/**
 * RunwareSocket: the public face (options, `connect`, `run`, `stream`, `close`, events). Beneath
 * it: tasks/ (admission, the engine, the receiver), connection/ (one socket's lifecycle, never
 * tasks), support/report.ts (the monitor: caller code runs only when the library is at rest).
 */
import { nanoid } from 'nanoid'
import { checkRunOptions, fixedOf, prepareTask, type Admission } from './tasks/admit.js'
import { Durability } from './durable/durability.js'
import { budgetError } from './tasks/outputs.js'
import type { DrainOptions, DrainResult, RecoveredTask } from './api/journal.js'
import { Connection } from './connection/connection.js'
import { TaskEngine } from './tasks/engine.js'
import { describeThrown, libraryError, RunwareError, Scrubber, taskError } from './support/errors.js'
import type { ConnectionState, RunwareSocketEvents, StateEvent } from './api/events.js'
import type { AbortSignalLike, ResolvedOptions, RunOptions, RunwareSocketOptions } from './api/options.js'
import { resolveOptions } from './support/resolve-options.js'
import { ErrorPolicy } from './recovery/policy.js'
import type { ResultItem, Task } from './protocol/protocol.js'
import { monitoredClock, Monitor, Reporter } from './support/report.js'
import { startTelemetry, traced, type ClientTelemetry } from './telemetry/client-telemetry.js'
import { Schedule } from './support/schedule.js'
import { STATES } from './machines/states.js'
import { streamOf } from './stream.js'
import type { KnownTaskType, ResultOf, TaskOf, TextDelta, TextInferenceResult, TextStreamTask, UntypedTask } from './api/task-types.js'

type StreamOptions<R extends ResultItem = ResultItem> = Omit<RunOptions<R>, 'onResult' | 'onDelta'>

type Listener<E extends keyof RunwareSocketEvents> = (...args: RunwareSocketEvents[E]) => void

interface ConnectWaiter {
  resolve(): void
  reject(error: RunwareError): void
}

export class RunwareSocket {
  /** Correlates this client's log lines. */
  readonly id = nanoid(10)
  readonly #options: ResolvedOptions
  readonly #admission: Admission
  readonly #monitor: Monitor
  readonly #reporter: Reporter
  readonly #connection: Connection
  readonly #engine: TaskEngine
  readonly #durable: Durability
  readonly #telemetry: ClientTelemetry | undefined
  /** connect() calls waiting for ready, failed or closed: the library's own, never on the caller's emitter. */
  readonly #waiters = new Set<ConnectWaiter>()
  #closing: Promise<void> | undefined
  readonly #isPending = (taskUUID: string): boolean => this.#engine.ledger.has(taskUUID)

  constructor(options: RunwareSocketOptions = {}) {
    const resolved = resolveOptions(options)
    this.#options = resolved
    this.#admission = { includeCost: resolved.includeCost, streams: resolved.transport === 'http' }
    const scrubber = new Scrubber(resolved.apiKey)
    const monitor = (this.#monitor = new Monitor((error) => this.#bug(error)))
    const reporter = (this.#reporter = new Reporter(monitor, resolved.logger, scrubber, { client: this.id }))
    const clock = monitoredClock(resolved.clock, monitor)
    const run = (work: () => void): void => monitor.run(work)
    this.#connection = new Connection({
      settings: resolved,
      clock,
      scrubber,
      run,
      log: (level, message, fields) => reporter.log(level, message, fields),
      hooks: {
        state: (event) => this.#onState(event),
        ready: (resumed) => this.#engine.ready(resumed),
        envelope: (envelope, text) => this.#engine.receive(envelope, text),
        frameError: (error) => this.#engine.frameError(error),
        problem: (error) => reporter.error(error),
        lost: () => this.#engine.lost(),
        failed: (error) => this.#engine.rejectAll(error),
      },
    })
    const policy = new ErrorPolicy(resolved.errorPolicy, (error) => reporter.thrown('errorPolicy.classify', error))
    const thrown = (what: string, error: unknown): void => reporter.thrown(what, error)
    const telemetry = (this.#telemetry = startTelemetry({ option: resolved.telemetry, clock, thrown, counts: () => this.#engine.ledger }))
    const schedule = new Schedule(clock)
    this.#engine = new TaskEngine({ options: resolved, policy, reporter, scrubber, schedule, clock, wire: this.#connection, run, observer: telemetry?.tasks })
    this.#durable = new Durability(resolved.journal, this.#engine, {
      run,
      enter: (work) => monitor.enter(work),
      problem: (error) => reporter.error(error),
      connect: () => {
        if (this.#connection.state === 'idle') this.#connection.connect()
      },
    })
  }

  /** The connection's state (see the state table in docs/recovery.md). */
  get state(): ConnectionState {
    return this.#connection.state
  }

  /** The server's connectionSessionUUID of the current (or last) session. */
  get sessionUUID(): string | undefined {
    return this.#connection.sessionUUID
  }

  /** Tasks not yet settled: queued, on the wire, retrying or being reconciled. */
  get pending(): number {
    return this.#engine.ledger.size
  }

  /** What results have cost so far (USD, from their `cost` fields: `includeCost`), in all and by model. */
  get cost(): { totalUSD: number; byModel: Record<string, number> } {
    return { totalUSD: this.#engine.costs.totalUSD, byModel: this.#engine.costs.byModel() }
  }

  /** Tasks counted against maxInFlight. */
  get inFlight(): number {
    return this.#engine.ledger.inFlight
  }

  on<E extends keyof RunwareSocketEvents>(event: E, listener: Listener<E>): this {
    this.#reporter.on(event, listener)
    return this
  }

  once<E extends keyof RunwareSocketEvents>(event: E, listener: Listener<E>): this {
    this.#reporter.on(event, listener, true)
    return this
  }

  off<E extends keyof RunwareSocketEvents>(event: E, listener?: Listener<E>): this {
    this.#reporter.off(event, listener)
    return this
  }

  listenerCount(event: keyof RunwareSocketEvents): number {
    return this.#reporter.listenerCount(event)
  }

  /** Opens and authenticates the socket; optional, `run` connects lazily. */
  connect(): Promise<void> {
    // A close already asked for wins, even while its work waits behind a listener (the state may still say ready).
    if (this.#closing !== undefined) return Promise.reject(libraryError('connectionClosed', 'the client is closed'))
    if (this.#durable.draining) return Promise.reject(this.#durable.drainingError())
    if (STATES[this.#connection.state].connect === 'resolve') return Promise.resolve()
    // With a journal, it is opened first: a journal another process holds fails here, before any task.
    return this.#durable.journaled ? this.#durable.open().then(() => this.#connectNow()) : this.#connectNow()
  }

  #connectNow(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // Decided when it runs: a call deferred behind a listener may find the client ready, or closed.
      this.#monitor.enter(() => {
        const now = this.#closing === undefined ? STATES[this.#connection.state].connect : 'reject'
        if (now === 'resolve') resolve()
        else if (now === 'reject') reject(libraryError('connectionClosed', 'the client is closed'))
        else {
          this.#waiters.add({ resolve, reject })
          this.#connection.connect()
        }
      })
    })
  }

  // The typed signature comes last: TypeScript 7 explains a failed call by the last overload only,
  // so a misspelt field reads "did you mean 'width'", not a missing untyped brand (spec/packaging).
  /** The untyped path: `run(untyped(task))` for a task type or a field the catalog does not know. */
  run<const T extends UntypedTask>(task: T, options?: RunOptions<ResultOf<T>>): Promise<ResultOf<T>[]>
  /**
   * Runs one task and resolves with its result items (`numberResults` of them, `promptVersions`
   * for promptEnhance, …), or rejects with a RunwareError. Fills in `taskUUID` when absent.
   */
  run<K extends KnownTaskType>(task: TaskOf<K> & { taskType: K }, options?: RunOptions<ResultOf<TaskOf<K>>>): Promise<ResultOf<TaskOf<K>>[]>
  run(task: Task, options: RunOptions = {}): Promise<ResultItem[]> {
    const optionsError = checkRunOptions(options)
    if (optionsError !== undefined) return Promise.reject(optionsError)
    const fixed = fixedOf(options, this.#options.idempotencyNamespace)
    if (fixed instanceof RunwareError) return Promise.reject(fixed)
    // Read now, whatever happens next: what is sent is fixed when run is called.
    const prepared = prepareTask(task, this.#isPending, fixed, this.#admission)
    if (prepared instanceof RunwareError) return Promise.reject(prepared)
    const runOptions = this.#telemetry === undefined ? options : traced(options, this.#telemetry)
    return new Promise<ResultItem[]>((resolve, reject) => {
      this.#monitor.enter(() => {
        const refused = this.#refusal(prepared.taskUUID, prepared.taskType, options.signal, prepared.generated)
        if (refused !== undefined) {
          reject(refused)
          return
        }
        this.#engine.admit(prepared, runOptions, resolve, reject)
        if (this.#connection.state === 'idle') this.#connection.connect()
      })
    })
  }

  /**
   * Runs one task and yields its result items as they arrive; ends when the task completes and
   * throws its error. Leaving the loop early aborts the task and stops listening. A streamed text
   * (`deliveryMethod: 'stream'`, transport `http`) yields its pieces (TextDelta) first.
   */
  stream(task: TextStreamTask, options?: StreamOptions): AsyncGenerator<TextDelta | TextInferenceResult, void, undefined>
  stream<const T extends UntypedTask>(task: T, options?: StreamOptions<ResultOf<T>>): AsyncGenerator<ResultOf<T>, void, undefined>
  stream<K extends KnownTaskType>(
    task: TaskOf<K> & { taskType: K },
    options?: StreamOptions<ResultOf<TaskOf<K>>>,
  ): AsyncGenerator<ResultOf<TaskOf<K>>, void, undefined>
  stream(task: Task | TextStreamTask, options: StreamOptions = {}): AsyncGenerator<ResultItem | TextDelta, void, undefined> {
    return streamOf<ResultItem>((t, o) => this.run(t as UntypedTask, o), task as Task, options)
  }

  /**
   * What the previous process left in flight in the journal, each task reconciled (collected from
   * the server, or sent again under the same taskUUID) and yielded once with its items or its
   * error. An entry is closed when the loop asks for the next one; leaving early keeps the rest for
   * the next process. Yields nothing without a journal, or on a second call.
   */
  recover(): AsyncGenerator<RecoveredTask, void, undefined> {
    return this.#durable.recover()
  }

  /**
   * A capacity code seen elsewhere for `model` (another worker of a fleet saw it): with adaptive
   * concurrency the model's limit is cut as one of this client's own codes would cut it, at most
   * once per round trip, and `limit` reports reason `fleet`. Nothing happens otherwise.
   */
  reportCapacity(model: string): void {
    if (typeof model === 'string') this.#monitor.enter(() => void this.#engine.capacitySignal(model))
  }

  /**
   * A graceful stop: nothing new is admitted (`draining`), pending tasks may finish within
   * `timeoutMs`, then the client closes. What is left rejects with `connectionClosed` and, with a
   * journal, stays in it for the next process's `recover()`.
   */
  drain(options?: DrainOptions): Promise<DrainResult> {
    const pending = (): number => this.#engine.ledger.size
    return this.#durable.drain(options, pending, () => this.close())
  }

  /**
   * Rejects every pending task with `connectionClosed`, terminates the socket and releases every
   * timer and listener; the process can exit afterwards. With a journal, entries of tasks that were
   * sent stay open for the next process, and the journal is let go.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing
    let closed!: () => void
    // Set before any work runs: a listener that hears of the close sees a closing client.
    this.#closing = new Promise<void>((resolve) => (closed = resolve))
    this.#monitor.enter(() => {
      const gone = this.#connection.close()
      this.#engine.close(taskError('connectionClosed', 'the client was closed'))
      void gone
        .then(() => this.#durable.release())
        .then(() => {
          this.#reporter.removeAll()
          closed()
        })
    })
    return this.#closing
  }

  /** Why a new task cannot be admitted now, if it cannot. */
  #refusal(taskUUID: string, taskType: string, signal: AbortSignalLike | undefined, generated: boolean): RunwareError | undefined {
    if (this.#durable.draining) return this.#durable.drainingError(taskUUID, taskType)
    const sends = STATES[this.#connection.state].sends
    if (sends === 'failure' || sends === 'closed') {
      const failure = this.#connection.failure
      return sends === 'failure' && failure !== undefined
        ? failure.forTask(taskUUID, taskType)
        : libraryError('connectionClosed', 'the client is closed', { taskUUID, taskType })
    }
    // Checked again at admission: a call deferred behind a listener may meet another with the same
    // id. An id generated by prepareTask is new to everyone.
    if (!generated && this.#engine.ledger.has(taskUUID)) return libraryError('invalidTask', `taskUUID ${taskUUID} is already pending`, { taskUUID, taskType })
    if (signal?.aborted === true) return libraryError('aborted', 'the signal was already aborted', { taskUUID, taskType, cause: signal.reason })
    const budget = this.#options.budget
    if (budget !== undefined && this.#engine.costs.totalUSD >= budget.maxUSD) return budgetError(budget.maxUSD, taskUUID, taskType)
    const queued = this.#engine.ledger.queued
    if (queued >= this.#options.maxQueued)
      return libraryError('queueFull', `${queued} tasks are already waiting to be sent (maxQueued)`, { taskUUID, taskType })
    return undefined
  }

  /** The library's own bookkeeping first (connect() waiters), then the caller's listeners. */
  #onState(event: StateEvent): void {
    const waiters = STATES[event.to].waiters
    if (waiters !== 'keep') {
      const settling = [...this.#waiters]
      this.#waiters.clear()
      const failure = STATES[event.to].sends === 'failure' ? (this.#connection.failure ?? libraryError('reconnectFailed', 'connection failed')) : undefined
      for (const waiter of settling) {
        if (waiters === 'resolve') waiter.resolve()
        else waiter.reject(failure ?? libraryError('connectionClosed', 'the client was closed while connecting'))
      }
    }
    this.#telemetry?.state(event)
    this.#reporter.emit('state', event)
  }

  /** A bug in this library, caught by the monitor: reported, never thrown into the event loop. */
  #bug(error: unknown): void {
    this.#reporter.error(libraryError('internalError', `runware-socket hit a bug and carried on: ${describeThrown(error)}`))
  }
}
