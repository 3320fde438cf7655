/**
 * The producer side of a fleet: tasks into a BullMQ queue, results out. A task's taskUUID is fixed
 * when it is enqueued (the caller's, or a fresh one) and stored in the job, so whichever worker
 * runs it, and however often workers die under it, it goes out under an id the job knows.
 */
import { Job, Queue, type ConnectionOptions, type JobsOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import { prepareTask } from '../tasks/admit.js'
import { libraryError, RunwareError } from '../support/errors.js'
import type { Logger } from '../api/options.js'
import type { ContextLike } from '../api/telemetry.js'
import { traceCarrierOf } from '../telemetry/propagation.js'
import type { ResultItem, Task } from '../protocol/protocol.js'
import { Completions, type Finish } from './completions.js'
import { RedisHealth } from './health.js'
import { DEFAULT_QUEUE, JOB_NAME, readJobData, readJobError, restoreError, type RunwareJobData } from './job-data.js'
import { queueLog, type QueueLog } from './log.js'
import { ownConnection } from './redis.js'
import { sameTask } from './same-task.js'

/** How long finished jobs stay in Redis (and their results readable by `result()`). */
export interface Retention {
  /** Seconds after it finished. */
  readonly ageSeconds?: number | undefined
  /** At most this many of them (the newest kept). */
  readonly count?: number | undefined
}

export interface RunwareQueueOptions {
  /** Redis, as BullMQ takes it: `{ url }`, `{ host, port }`, or an ioredis instance. */
  readonly connection: ConnectionOptions
  /** @default "runware" */
  readonly name?: string | undefined
  /** Defaults for every job (BullMQ's JobsOptions), merged under each add's own. */
  readonly jobOptions?: JobsOptions | undefined
  /**
   * Completed jobs kept for `result()` and `enqueue` to collect. Each costs about 2 KB of Redis
   * memory (with two results), so a million jobs a day kept a day is about 2 GB (docs/fleet.md).
   * @default { ageSeconds: 86_400 } (a day)
   */
  readonly keepCompleted?: Retention | undefined
  /** Failed jobs, kept to be read and retried by hand. @default { ageSeconds: 604_800 } (a week) */
  readonly keepFailed?: Retention | undefined
  /** Redis outages (once when one starts, once when it ends) and errors, as the client logs. */
  readonly logger?: Logger | undefined
}

export interface AddOptions {
  /** The job's id; defaults to the taskUUID, so adding the same task twice enqueues it once. */
  readonly jobId?: string | undefined
  /** BullMQ attempts: how many times a retryable failure may run again under a fresh taskUUID. @default 3 */
  readonly attempts?: number | undefined
  readonly priority?: number | undefined
  readonly delayMs?: number | undefined
  /**
   * The OpenTelemetry context the worker's task span becomes a child of, carried in the job as W3C
   * trace context. @default the active context (nothing is carried when there is no span)
   */
  readonly parentContext?: ContextLike | undefined
}

export interface Enqueued {
  readonly jobId: string
  readonly taskUUID: string
}

/**
 * A job's attempts back off exponentially from 1 s; finished jobs are kept a day (results stay
 * readable), failed ones a week. Every one of them can be overridden.
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
}

type Removal = NonNullable<JobsOptions['removeOnComplete']>

function keep(what: string, retention: Retention | undefined, fallback: Removal | undefined): Removal {
  if (retention === undefined) return fallback ?? false
  const { ageSeconds, count } = retention
  for (const [field, value] of [
    ['ageSeconds', ageSeconds],
    ['count', count],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0))
      throw new RangeError(`${what}.${field} must be a whole number ≥ 0, got ${String(value)}`)
  }
  if (ageSeconds !== undefined) return count === undefined ? { age: ageSeconds } : { age: ageSeconds, count }
  if (count !== undefined) return { count }
  throw new RangeError(`${what} needs ageSeconds, count or both`)
}

interface Entry {
  taskUUID: string
  /** The task's taskUUID was the caller's, not made up here. */
  given: boolean
  data: RunwareJobData
  opts: JobsOptions & { jobId: string }
}

export class RunwareQueue {
  /** The BullMQ queue underneath, for what this class does not wrap (counts, pausing, cleaning). */
  readonly queue: Queue<RunwareJobData, ResultItem[]>
  readonly #jobOptions: JobsOptions
  readonly #connection: ConnectionOptions
  readonly #health: RedisHealth
  readonly #completions: Completions
  readonly #log: QueueLog
  #redis: Redis | undefined

  constructor(options: RunwareQueueOptions) {
    this.#connection = options.connection
    this.#jobOptions = {
      ...DEFAULT_JOB_OPTIONS,
      ...options.jobOptions,
      removeOnComplete: keep('keepCompleted', options.keepCompleted, options.jobOptions?.removeOnComplete ?? DEFAULT_JOB_OPTIONS.removeOnComplete),
      removeOnFail: keep('keepFailed', options.keepFailed, options.jobOptions?.removeOnFail ?? DEFAULT_JOB_OPTIONS.removeOnFail),
    }
    const name = options.name ?? DEFAULT_QUEUE
    this.#log = queueLog(options.logger, { queue: name })
    this.#health = new RedisHealth(options.connection, this.#log)
    // The version check is checkRedis()'s: BullMQ's own prints to the console.
    this.queue = new Queue<RunwareJobData, ResultItem[]>(name, { connection: options.connection, skipVersionCheck: true })
    this.#health.watch(this.queue)
    this.#completions = new Completions(this.queue, options.connection, () => this.#client(), this.#health)
  }

  get name(): string {
    return this.queue.name
  }

  /**
   * Enqueues one task; a malformed one rejects with `invalidTask` before anything reaches Redis.
   * The same task added again (under the same job id) is the same job; a different task under a
   * job id already taken rejects with `jobConflict`.
   */
  async add(task: Task, options: AddOptions = {}): Promise<Enqueued> {
    const [enqueued] = await this.#add(this.#entries([task], options))
    if (enqueued === undefined) throw libraryError('internalError', 'no job to add')
    return enqueued
  }

  /** Enqueues many at once (one round trip); all are checked before any is added. */
  async addBulk(tasks: readonly Task[], options: Omit<AddOptions, 'jobId'> = {}): Promise<Enqueued[]> {
    return this.#add(this.#entries(tasks, options))
  }

  /**
   * The job's result items once it completes; rejects with its RunwareError (code, category and
   * message as the worker saw them) if it failed for good, `resultTimeout` if it has not finished
   * within `timeoutMs`, `jobNotFound` if there is no such job (or it was removed). A job that
   * finishes at any moment, even while this call starts, is never missed (completions.ts).
   */
  async result(jobId: string, options: { timeoutMs?: number | undefined } = {}): Promise<ResultItem[]> {
    const timeoutMs = options.timeoutMs ?? 300_000
    // Whether the job was ever there: a job removed while waited for is not one never added.
    const seen = { job: false }
    // The state first, the job after: a job read before it completed holds no return value yet.
    const read = async (): Promise<Finish | undefined> => {
      const state = await this.queue.getJobState(jobId)
      if (state === 'unknown') return { state: 'missing' }
      seen.job = true
      if (state !== 'completed' && state !== 'failed') return undefined
      const job = await Job.fromId<RunwareJobData, ResultItem[]>(this.queue, jobId)
      if (job === undefined) return { state: 'missing' }
      return state === 'completed' ? { state, value: job.returnvalue } : { state, reason: job.failedReason }
    }
    const finish = await this.#completions.wait(jobId, timeoutMs, read)
    if (finish === undefined) throw libraryError('resultTimeout', `job ${jobId} did not finish within ${timeoutMs} ms`)
    if (finish.state === 'completed') return finish.value as ResultItem[]
    if (finish.state === 'failed') throw await this.#failure(jobId, finish.reason)
    throw libraryError(
      'jobNotFound',
      seen.job ? `job ${jobId} was removed from queue ${this.name} before it finished` : `no job ${jobId} in queue ${this.name}`,
    )
  }

  async close(): Promise<void> {
    this.#health.close()
    await this.#completions.close()
    await this.queue.close()
    this.#redis?.disconnect()
  }

  /** The library's own connection (stream positions, job data read back): made on first use. */
  #client(): Promise<Redis> {
    this.#redis ??= ownConnection(this.#connection, {
      lazyConnect: false,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 20,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    })
    return Promise.resolve(this.#redis)
  }

  async #failure(jobId: string, reason: string | undefined): Promise<RunwareError> {
    const job = await Job.fromId(this.queue, jobId)
    const stored = readJobError(job?.data)
    if (stored !== undefined) return restoreError(stored)
    return libraryError('jobFailed', `job ${jobId} failed: ${reason ?? 'no reason given'}`)
  }

  /**
   * Adds, then reads back what each job id holds: BullMQ keeps the first job under an id and says
   * nothing, so a different task under a taken id would silently get the first one's results.
   */
  async #add(entries: readonly Entry[]): Promise<Enqueued[]> {
    if (entries.length === 0) return []
    await this.queue.addBulk(entries.map((entry) => ({ name: JOB_NAME, data: entry.data, opts: entry.opts })))
    const client = await this.#client()
    const stored = await Promise.all(entries.map((entry) => client.hget(this.queue.toKey(entry.opts.jobId), 'data')))
    return entries.map((entry, i) => {
      const text = stored[i]
      const held = typeof text === 'string' ? readJobData(parse(text)) : undefined
      // Gone already (finished and removed): it was ours a moment ago.
      if (held === undefined) return { jobId: entry.opts.jobId, taskUUID: entry.taskUUID }
      if (typeof held === 'string' || !sameTask(held.task, entry.data.task, entry.given)) {
        throw libraryError(
          'jobConflict',
          `job ${entry.opts.jobId} already holds a different task: a job id names one task (use another id, or leave it to the taskUUID)`,
          { taskUUID: entry.taskUUID, taskType: entry.data.task.taskType },
        )
      }
      return { jobId: entry.opts.jobId, taskUUID: held.taskUUIDs[0] ?? entry.taskUUID }
    })
  }

  #entries(tasks: readonly Task[], options: AddOptions): Entry[] {
    return tasks.map((task) => {
      // The same checks as run(): a task the client would refuse never reaches Redis.
      const prepared = prepareTask(task, () => false)
      if (prepared instanceof RunwareError) throw prepared
      const fixed = (typeof prepared.wire === 'string' ? JSON.parse(prepared.wire) : { ...prepared.wire }) as Task
      const opts: JobsOptions & { jobId: string } = { ...this.#jobOptions, jobId: options.jobId ?? prepared.taskUUID }
      if (options.attempts !== undefined) opts.attempts = options.attempts
      if (options.priority !== undefined) opts.priority = options.priority
      if (options.delayMs !== undefined) opts.delay = options.delayMs
      const trace = traceCarrierOf(options.parentContext)
      const data: RunwareJobData =
        trace === undefined ? { task: fixed, taskUUIDs: [prepared.taskUUID] } : { task: fixed, taskUUIDs: [prepared.taskUUID], trace }
      return { taskUUID: prepared.taskUUID, given: !prepared.generated, data, opts }
    })
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
