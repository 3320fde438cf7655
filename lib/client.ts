/**
 * RunwareSocket: the public face. It admits tasks into the ledger, routes every inbound item to
 * its task with one Map lookup, and makes every recovery decision from the error policy:
 *
 *   an error names a task   → that task only: reject, retry under a fresh id, or reconcile
 *   an error names no task  → never broadcast: reported as `error`, and the connection acts
 *   the socket dies         → tasks on the wire keep their promise and are reconciled
 */
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'eventemitter3'
import { nanoid } from 'nanoid'
import { backoffDelay } from './backoff.js'
import { Connection } from './connection.js'
import { libraryError, RunwareError } from './errors.js'
import type { ConnectionState, RunwareSocketEvents, StateEvent, TaskEvent } from './events.js'
import { Ledger, TaskRecord, type RecordOwner } from './ledger.js'
import { resolveOptions, tagLogger, type ResolvedOptions, type RunwareSocketOptions } from './options.js'
import { Outbox } from './outbox.js'
import { ErrorPolicy, type Classification } from './policy.js'
import { Poller } from './poller.js'
import { encodeTask, flatten, isAuthReply, isPong, normaliseErrorItem, type DataItem, type Envelope, type ErrorItem, type FrameError, type ResultItem, type Task } from './protocol.js'
import { Reconciler } from './reconcile.js'
import { Schedule } from './schedule.js'
import { countField, POLL_STATUSES, type ResultOf } from './tasks.js'
import { checkRunOptions, prepareTask, type RunOptions } from './validate.js'

type Listener<E extends keyof RunwareSocketEvents> = (...args: RunwareSocketEvents[E]) => void

export class RunwareSocket {
  /** Correlates this client's log lines. */
  readonly id = nanoid(10)
  readonly #options: ResolvedOptions
  readonly #events = new EventEmitter<RunwareSocketEvents>()
  readonly #policy: ErrorPolicy
  readonly #ledger = new Ledger()
  readonly #schedule: Schedule
  readonly #outbox: Outbox
  readonly #poller: Poller
  readonly #reconciler: Reconciler
  readonly #connection: Connection
  /** Original ids of retried tasks: still the caller's, so still "pending" to `run`. */
  readonly #retiredIds = new Set<string>()
  #rateLimitPauses = 0
  #closing: Promise<void> | undefined
  readonly #apiKey: string

  constructor(options: RunwareSocketOptions = {}) {
    const given = resolveOptions(options)
    const resolved: ResolvedOptions = { ...given, logger: tagLogger(given.logger, { client: this.id }) }
    this.#options = resolved
    this.#apiKey = resolved.apiKey
    this.#policy = new ErrorPolicy(resolved.errorPolicy)
    this.#schedule = new Schedule(resolved.clock)
    this.#connection = new Connection(resolved.apiKey, resolved, this.#policy, {
      state: (event) => this.#onState(event),
      ready: (resumed) => this.#onReady(resumed),
      envelope: (envelope) => this.#route(envelope),
      frameError: (error) => this.#onFrameError(error),
      lost: () => this.#onLost(),
      failed: (error) => this.#rejectAll(error),
    })
    this.#outbox = new Outbox(this.#ledger, resolved, {
      ready: () => this.#connection.state === 'ready',
      write: (frame) => this.#connection.send(frame),
      sent: (batch) => this.#onSent(batch),
    }, this.#schedule, resolved.clock)
    this.#poller = new Poller(this.#outbox, this.#schedule, resolved.clock, resolved.poll, () => this.#connection.state === 'ready')
    this.#reconciler = new Reconciler(
      this.#outbox,
      this.#schedule,
      resolved.clock,
      { resumeGraceMs: resolved.resumeGraceMs, roundTimeoutMs: resolved.poll.timeoutMs, roundSize: Math.max(resolved.maxBatchSize, 500) },
      { resend: (record) => this.#resend(record), ping: () => this.#connection.ping() },
    )
  }

  /** The connection's state (see the state table in the README). */
  get state(): ConnectionState {
    return this.#connection.state
  }

  /** The server's connectionSessionUUID of the current (or last) session. */
  get sessionUUID(): string | undefined {
    return this.#connection.sessionUUID
  }

  /** Tasks not yet settled: queued, on the wire, retrying or being reconciled. */
  get pending(): number {
    return this.#ledger.size
  }

  /** Tasks counted against maxInFlight. */
  get inFlight(): number {
    return this.#ledger.inFlight
  }

  on<E extends keyof RunwareSocketEvents>(event: E, listener: Listener<E>): this {
    this.#events.on(event, listener)
    return this
  }

  once<E extends keyof RunwareSocketEvents>(event: E, listener: Listener<E>): this {
    this.#events.once(event, listener)
    return this
  }

  off<E extends keyof RunwareSocketEvents>(event: E, listener?: Listener<E>): this {
    this.#events.off(event, listener)
    return this
  }

  listenerCount(event: keyof RunwareSocketEvents): number {
    return this.#events.listenerCount(event)
  }

  /** Opens and authenticates the socket; optional, `run` connects lazily. */
  connect(): Promise<void> {
    const state = this.#connection.state
    if (state === 'ready') return Promise.resolve()
    if (state === 'closed') return Promise.reject(libraryError('connectionClosed', 'the client is closed'))
    return new Promise<void>((resolve, reject) => {
      const onState = (event: StateEvent): void => {
        if (event.to === 'ready') resolve()
        else if (event.to === 'failed') reject(this.#connection.failure ?? libraryError('reconnectFailed', 'connection failed'))
        else if (event.to === 'closed') reject(libraryError('connectionClosed', 'the client was closed while connecting'))
        else return
        this.#events.off('state', onState)
      }
      this.#events.on('state', onState)
      this.#connection.connect()
    })
  }

  /**
   * Runs one task and resolves with its result items (`numberResults` of them, `promptVersions`
   * for promptEnhance, …), or rejects with a RunwareError. Fills in `taskUUID` when absent.
   */
  run<const T extends Task>(task: T, options?: RunOptions<ResultOf<T>>): Promise<ResultOf<T>[]>
  run(task: Task, options: RunOptions = {}): Promise<ResultItem[]> {
    const optionsError = checkRunOptions(options)
    if (optionsError !== undefined) return Promise.reject(optionsError)
    const prepared = prepareTask(task, (uuid) => this.#ledger.has(uuid) || this.#retiredIds.has(uuid))
    if (prepared instanceof RunwareError) return Promise.reject(prepared)
    const { taskUUID, taskType, encoded, completion } = prepared
    const refused = this.#refusal(taskUUID, taskType, options.signal)
    if (refused !== undefined) return Promise.reject(refused)

    let resolve!: (items: ResultItem[]) => void
    let reject!: (error: RunwareError) => void
    const promise = new Promise<ResultItem[]>((res, rej) => {
      resolve = res
      reject = rej
    })
    const timeoutMs = options.timeoutMs ?? this.#options.taskTimeoutMs
    const record = new TaskRecord(
      taskUUID,
      taskType,
      encoded,
      completion.kind === 'count' ? completion.count : 0,
      prepared.async,
      timeoutMs,
      options.onResult,
      options.onProgress,
      resolve,
      reject,
      this.#recordOwner,
    )
    this.#ledger.admit(record)
    if (Number.isFinite(timeoutMs)) this.#schedule.add(record, this.#options.clock.now() + timeoutMs)
    const signal = options.signal
    if (signal !== undefined) this.#watchSignal(record, signal)
    this.#emitTask(record, 'queued')
    if (this.#connection.state === 'idle') this.#connection.connect()
    this.#outbox.wake()
    return promise
  }

  #recordOwner: RecordOwner = {
    deadlineReached: (record) => {
      this.#reject(record, libraryError('taskTimeout', `task timed out after ${record.timeoutMs} ms`, { taskUUID: record.id, taskType: record.taskType }))
    },
    woken: (record) => this.#onWake(record),
  }

  #watchSignal(record: TaskRecord, signal: AbortSignal): void {
    const onAbort = (): void => {
      this.#reject(record, libraryError('aborted', 'the task was aborted', { taskUUID: record.id, taskType: record.taskType, cause: signal.reason }))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    record.detach = () => signal.removeEventListener('abort', onAbort)
  }

  /**
   * Runs one task and yields its result items as they arrive; ends when the task completes and
   * throws its error. Leaving the loop early aborts the task and stops listening.
   */
  async *stream<const T extends Task>(task: T, options: Omit<RunOptions<ResultOf<T>>, 'onResult'> = {}): AsyncGenerator<ResultOf<T>, void, undefined> {
    const controller = new AbortController()
    const outer = options.signal
    const forward = (): void => controller.abort(outer?.reason)
    if (outer?.aborted === true) forward()
    else outer?.addEventListener('abort', forward, { once: true })
    const arrived: ResultOf<T>[] = []
    // Written by the callbacks below, read by the loop: one object so both see the same fields.
    const sink: { settled: boolean; failure: RunwareError | undefined; wake: (() => void) | undefined } = {
      settled: false,
      failure: undefined,
      wake: undefined,
    }
    this.run(task, {
      ...options,
      signal: controller.signal,
      onResult: (item) => {
        arrived.push(item)
        sink.wake?.()
      },
    }).then(
      () => {
        sink.settled = true
        sink.wake?.()
      },
      (error: unknown) => {
        sink.settled = true
        sink.failure = error as RunwareError
        sink.wake?.()
      },
    )
    try {
      for (;;) {
        const item = arrived.shift()
        if (item !== undefined) {
          yield item
          continue
        }
        if (sink.settled) {
          if (sink.failure !== undefined) throw sink.failure
          return
        }
        await new Promise<void>((resolve) => (sink.wake = resolve))
        sink.wake = undefined
      }
    } finally {
      outer?.removeEventListener('abort', forward)
      if (!sink.settled) controller.abort()
    }
  }

  /**
   * Rejects every pending task with `connectionClosed`, terminates the socket and releases every
   * timer and listener; the process can exit afterwards.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = this.#connection.close()
      this.#rejectAll(libraryError('connectionClosed', 'the client was closed'))
      this.#schedule.clear()
      this.#outbox.clear()
      this.#reconciler.clear()
      await closed
      this.#events.removeAllListeners()
    })()
    return this.#closing
  }

  /** Why a new task cannot be admitted now, if it cannot. */
  #refusal(taskUUID: string, taskType: string, signal: AbortSignal | undefined): RunwareError | undefined {
    const fields = { taskUUID, taskType }
    const state = this.#connection.state
    if (state === 'closed') return libraryError('connectionClosed', 'the client is closed', fields)
    const failure = this.#connection.failure
    if (state === 'failed' && failure !== undefined) return this.#forTask(failure, taskUUID, taskType)
    if (signal?.aborted === true) return libraryError('aborted', 'the signal was already aborted', { ...fields, cause: signal.reason })
    if (this.#ledger.queued >= this.#options.maxQueued) {
      return libraryError('queueFull', `${this.#ledger.queued} tasks are already waiting to be sent (maxQueued)`, fields)
    }
    return undefined
  }

  // ---- inbound ------------------------------------------------------------------------------

  #route(envelope: Envelope): void {
    if (envelope.issues.length > 0) this.#reportIssues(envelope)
    let answers: Map<TaskRecord, ResultItem[]> | undefined
    for (const item of envelope.data) {
      const uuid = item.taskUUID
      if (uuid === undefined) {
        if (isPong(item)) this.#reconciler.pong()
        else if (!isAuthReply(item)) this.#orphan(undefined, item)
        continue
      }
      const status = item.status
      const polled = typeof status === 'string' && POLL_STATUSES.has(status)
      const record = this.#ledger.get(uuid)
      if (polled) this.#reconciler.named(uuid)
      if (record === undefined) {
        this.#orphan(uuid, item)
      } else if (polled) {
        answers ??= new Map()
        const items = answers.get(record)
        if (items === undefined) answers.set(record, [item as ResultItem])
        else items.push(item as ResultItem)
      } else {
        this.#onPushed(record, item as ResultItem)
      }
    }
    if (answers !== undefined) for (const [record, items] of answers) this.#onPollAnswer(record, items)
    if (envelope.data.length === 0 && envelope.errors.length === 0) this.#reconciler.empty()
    for (const error of envelope.errors) {
      const uuid = error.taskUUID
      if (uuid === undefined) {
        this.#onUnaddressedError(error)
        continue
      }
      this.#reconciler.named(uuid)
      const record = this.#ledger.get(uuid)
      if (record === undefined) this.#orphan(uuid, undefined, error)
      else this.#onTaskError(record, error)
    }
  }

  /** A result item pushed by the server (or, for an async task, its acknowledgement). */
  #onPushed(record: TaskRecord, item: ResultItem): void {
    if (record.async) {
      if (record.phase === 'sent') {
        this.#poller.start(record)
        this.#emitTask(record, 'polling')
      }
      return
    }
    this.#deliver(record, item)
    if (record.settled) return
    if (record.expected === 0 && item.status === 'failed') {
      this.#onTaskError(record, this.#nestedError(record, item, 'modelUploadFailed'))
      return
    }
    if (record.complete) this.#resolve(record)
  }

  /** One getResponse answer: the full current state of the task's generations. */
  #onPollAnswer(record: TaskRecord, items: readonly ResultItem[]): void {
    let progress: number | undefined
    for (const item of items) {
      if (item.status === 'success') {
        this.#deliver(record, item)
      } else if (item.status === 'error') {
        this.#onTaskError(record, this.#nestedError(record, item, 'taskFailed'))
        return
      } else if (typeof item.progress === 'number') {
        progress = Math.max(progress ?? 0, item.progress)
      }
      if (record.settled) return
    }
    if (record.complete) {
      this.#resolve(record)
      return
    }
    if (progress !== undefined) {
      this.#emitProgress(record, progress)
    }
    if (record.phase === 'polling') {
      this.#poller.answered(record)
    } else {
      // Known to the server (a reconciled task, or an async task whose acknowledgement was lost).
      this.#reconciler.forget(record)
      this.#poller.start(record)
      this.#poller.answered(record)
      this.#emitTask(record, 'polling')
    }
  }

  #deliver(record: TaskRecord, item: ResultItem): void {
    if (!record.addItem(item)) return
    const onResult = record.onResult
    if (onResult === undefined) return
    try {
      onResult(item)
    } catch (error) {
      this.#options.logger.error?.('onResult callback threw', { taskUUID: record.id, error: String(error) })
    }
  }

  #onTaskError(record: TaskRecord, item: ErrorItem): void {
    const classification = this.#policy.classify(item)
    const error = this.#serverError(item, classification, record)
    switch (classification.action) {
      case 'reject':
        if (classification.category === 'notFound' && record.phase === 'unknown') {
          // The answer to a probe: the server never got it. Same id, so nothing can run twice.
          this.#resend(record)
          return
        }
        // Even an auth-category code only touches the task it names (a per-model permission, say);
        // the connection stops only for auth errors that name no task.
        this.#reject(record, error)
        return
      case 'retry':
        this.#retry(record, error, classification)
        return
      case 'reconcile':
        // The server already has this id: it was accepted, so collect it instead of resending.
        this.#reconciler.forget(record)
        this.#poller.start(record, 0)
        this.#emitTask(record, 'polling')
        return
    }
  }

  /** The fate is known (the server failed it): try again under a fresh id for what is missing. */
  #retry(record: TaskRecord, error: RunwareError, classification: Classification): void {
    const now = this.#options.clock.now()
    const delay = backoffDelay(Math.max(0, record.submissions - 1), this.#options.retry, this.#options.random)
    if (classification.connection === 'pause') this.#outbox.pause(now + delay)
    const outOfTime = record.index >= 0 && now + delay >= record.at
    if (record.submissions >= this.#options.retry.maxAttempts || outOfTime) {
      this.#reject(record, error)
      return
    }
    const fresh = flatten(randomUUID())
    if (record.wireUUID === record.id) this.#retiredIds.add(record.id)
    this.#poller.stop(record)
    this.#reconciler.forget(record)
    this.#ledger.park(record)
    this.#ledger.rekey(record, fresh)
    const payload = JSON.parse(record.encoded) as Task
    payload.taskUUID = fresh
    if (record.expected > 0) payload[countField(record.taskType)] = record.missing
    record.encoded = encodeTask(payload)
    this.#schedule.add(record.wake, now + delay)
    if (this.#events.listenerCount('task') > 0) {
      this.#emit('task', {
        type: 'retry',
        taskUUID: record.id,
        taskType: record.taskType,
        code: error.code,
        delayMs: delay,
        attempt: record.submissions + 1,
        wireUUID: fresh,
      })
    }
  }

  /** Same id, sent again: the server did not have it (or a probe said so). */
  #resend(record: TaskRecord): void {
    this.#reconciler.forget(record)
    this.#poller.stop(record)
    this.#ledger.requeue(record)
    this.#emitTask(record, 'resubmit')
    this.#outbox.wake()
  }

  #onWake(record: TaskRecord): void {
    if (record.phase === 'waiting') {
      this.#ledger.requeue(record)
      this.#outbox.wake()
    } else if (record.phase === 'polling') {
      this.#poller.due(record)
    }
  }

  /** Never broadcast: report it, and let the connection act on it. */
  #onUnaddressedError(item: ErrorItem): void {
    const classification = this.#policy.classify(item)
    const error = this.#serverError(item, classification)
    this.#emitError(error)
    switch (classification.connection) {
      case 'fail':
        this.#connection.fail(error)
        return
      case 'reconnect':
        this.#connection.reconnect('serverError', item.code)
        return
      case 'pause': {
        const delay = backoffDelay(this.#rateLimitPauses++, this.#options.retry, this.#options.random)
        this.#outbox.pause(this.#options.clock.now() + delay)
        return
      }
      case 'none':
        return
    }
  }

  #nestedError(record: TaskRecord, item: ResultItem, fallbackCode: string): ErrorItem {
    const nested = normaliseErrorItem(item.error ?? { code: fallbackCode, message: `task reported status "${String(item.status)}"` }, [])
    return { ...(nested ?? { code: fallbackCode, message: 'task failed' }), taskUUID: record.wireUUID, taskType: record.taskType }
  }

  // ---- connection events --------------------------------------------------------------------

  #onState(event: StateEvent): void {
    this.#emit('state', event)
  }

  #onReady(resumed: boolean): void {
    this.#rateLimitPauses = 0
    this.#poller.resume()
    this.#reconciler.ready(resumed)
    this.#outbox.wake()
  }

  #onLost(): void {
    this.#outbox.dropControl()
    this.#reconciler.lost()
    this.#poller.lost()
    const lost = libraryError('connectionLost', 'the socket closed while the task was in flight')
    for (const record of [...this.#ledger.records()]) {
      if (this.#options.recover) {
        if (record.phase === 'sent') this.#reconciler.add(record)
      } else if (record.phase === 'sent' || record.phase === 'polling' || record.phase === 'unknown') {
        this.#reject(record, this.#forTask(lost, record.id, record.taskType))
      }
    }
  }

  #onFrameError(error: FrameError): void {
    this.#emitError(libraryError('protocolError', `unreadable frame skipped (${error.reason}): ${error.message}`))
  }

  #reportIssues(envelope: Envelope): void {
    const detail = envelope.issues.map((issue) => issue.message).join('; ')
    this.#emitError(libraryError('protocolError', `malformed parts of a frame skipped: ${detail}`))
  }

  #onSent(batch: readonly TaskRecord[]): void {
    const report = this.#events.listenerCount('task') > 0
    for (const record of batch) {
      // A same-id resend is not a new submission: it cannot run twice.
      if (record.wireUUID !== record.countedAs) {
        record.submissions += 1
        record.countedAs = record.wireUUID
      }
      if (report) {
        this.#emit('task', { type: 'sent', taskUUID: record.id, taskType: record.taskType, wireUUID: record.wireUUID, attempt: record.submissions })
      }
    }
  }

  // ---- settling -----------------------------------------------------------------------------

  #resolve(record: TaskRecord): void {
    if (!this.#release(record)) return
    this.#rateLimitPauses = 0
    if (this.#events.listenerCount('task') > 0) {
      this.#emit('task', { type: 'settled', outcome: 'resolved', taskUUID: record.id, taskType: record.taskType, items: record.received })
    }
    record.fulfil()
  }

  #reject(record: TaskRecord, error: RunwareError): void {
    if (!this.#release(record)) return
    if (this.#events.listenerCount('task') > 0) {
      this.#emit('task', {
        type: 'settled',
        outcome: 'rejected',
        code: error.code,
        taskUUID: record.id,
        taskType: record.taskType,
        items: record.received,
      })
    }
    record.fail(error)
  }

  /** Takes the task out of every structure; false when it had already settled. */
  #release(record: TaskRecord): boolean {
    const phase = record.phase
    if (!this.#ledger.release(record)) return false
    this.#schedule.remove(record)
    const wake = record.wakeIfAny
    if (wake !== undefined) this.#schedule.remove(wake)
    if (phase === 'polling') this.#poller.stop(record)
    else if (phase === 'unknown') this.#reconciler.forget(record)
    if (record.wireUUID !== record.id) this.#retiredIds.delete(record.id)
    record.detach?.()
    record.detach = undefined
    // Room on the wire for whatever waits behind maxInFlight.
    if (this.#ledger.waitingToSend > 0) this.#outbox.wake()
    return true
  }

  #rejectAll(error: RunwareError): void {
    for (const record of [...this.#ledger.records()]) this.#reject(record, this.#forTask(error, record.id, record.taskType))
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** A copy of a shared error (auth failure, close) addressed to one task. */
  #forTask(error: RunwareError, taskUUID: string, taskType: string): RunwareError {
    return new RunwareError({
      code: error.code,
      message: error.message,
      parameter: error.parameter,
      taskType,
      taskUUID,
      documentation: error.documentation,
      raw: error.raw,
      classification: { category: error.category, action: error.retryable ? 'retry' : 'reject', connection: 'none', retryable: error.retryable },
    })
  }

  /** A server error as a RunwareError, with the API key scrubbed should the server echo it. */
  #serverError(item: ErrorItem, classification: Classification, record?: TaskRecord): RunwareError {
    const text = JSON.stringify(item)
    const clean = text.includes(this.#apiKey) ? (JSON.parse(text.split(this.#apiKey).join('[redacted]')) as ErrorItem) : item
    return RunwareError.fromServer(clean, classification, record?.id ?? clean.taskUUID)
  }

  #orphan(taskUUID: string | undefined, item?: DataItem, error?: ErrorItem): void {
    if (this.#events.listenerCount('orphan') === 0) return
    this.#emit('orphan', { taskUUID, ...(item === undefined ? {} : { item }), ...(error === undefined ? {} : { error }) })
  }

  #emitError(error: RunwareError): void {
    this.#options.logger.warn?.(error.message, { code: error.code })
    this.#emit('error', error)
  }

  /** Emits to the user's listeners; one that throws is logged, never let into a frame's routing. */
  #emit<E extends keyof RunwareSocketEvents>(event: E, ...args: RunwareSocketEvents[E]): void {
    try {
      ;(this.#events.emit as (event: E, ...args: RunwareSocketEvents[E]) => boolean)(event, ...args)
    } catch (error) {
      this.#options.logger.error?.(`a '${event}' listener threw`, { error: String(error) })
    }
  }

  #emitProgress(record: TaskRecord, progress: number): void {
    try {
      record.onProgress?.(progress)
    } catch (error) {
      this.#options.logger.error?.('onProgress callback threw', { taskUUID: record.id, error: String(error) })
    }
    if (this.#events.listenerCount('progress') > 0) this.#emit('progress', { taskUUID: record.id, taskType: record.taskType, progress })
  }

  #emitTask(record: TaskRecord, type: 'queued' | 'polling' | 'resubmit'): void {
    if (this.#events.listenerCount('task') === 0) return
    const base = { taskUUID: record.id, taskType: record.taskType }
    const event: TaskEvent = type === 'queued' ? { ...base, type } : { ...base, type, wireUUID: record.wireUUID }
    this.#emit('task', event)
  }
}
