/**
 * The producer side of a fleet: tasks into a BullMQ queue, results out. A task's taskUUID is fixed
 * when it is enqueued (the caller's, or a fresh one) and stored in the job, so whichever worker
 * runs it, and however often workers die under it, it goes out under an id the job knows.
 */
import { Job, Queue, QueueEvents, type ConnectionOptions, type JobsOptions } from 'bullmq'
import { prepareTask } from '../admit.js'
import { libraryError, RunwareError } from '../errors.js'
import type { ResultItem, Task } from '../protocol.js'
import { DEFAULT_QUEUE, JOB_NAME, readJobError, restoreError, type RunwareJobData } from './job-data.js'

export interface RunwareQueueOptions {
  /** Redis, as BullMQ takes it: `{ url }`, `{ host, port }`, or an ioredis instance. */
  readonly connection: ConnectionOptions
  /** @default "runware" */
  readonly name?: string | undefined
  /** Defaults for every job (BullMQ's JobsOptions), merged under each add's own. */
  readonly jobOptions?: JobsOptions | undefined
}

export interface AddOptions {
  /** The job's id; defaults to the taskUUID, so adding the same task twice enqueues it once. */
  readonly jobId?: string | undefined
  /** BullMQ attempts: how many times a retryable failure may run again under a fresh taskUUID. @default 3 */
  readonly attempts?: number | undefined
  readonly priority?: number | undefined
  readonly delayMs?: number | undefined
}

export interface Enqueued {
  readonly jobId: string
  readonly taskUUID: string
}

/**
 * Finished jobs are kept a day (results stay readable), failed ones a week; a job's attempts
 * back off exponentially from 1 s. Every one of them can be overridden.
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
}

export class RunwareQueue {
  /** The BullMQ queue underneath, for what this class does not wrap (counts, pausing, cleaning). */
  readonly queue: Queue<RunwareJobData, ResultItem[]>
  readonly #connection: ConnectionOptions
  readonly #jobOptions: JobsOptions
  #events: QueueEvents | undefined

  constructor(options: RunwareQueueOptions) {
    this.#connection = options.connection
    this.#jobOptions = { ...DEFAULT_JOB_OPTIONS, ...options.jobOptions }
    this.queue = new Queue<RunwareJobData, ResultItem[]>(options.name ?? DEFAULT_QUEUE, { connection: options.connection })
  }

  get name(): string {
    return this.queue.name
  }

  /** Enqueues one task; a malformed one rejects with `invalidTask` before anything reaches Redis. */
  async add(task: Task, options: AddOptions = {}): Promise<Enqueued> {
    const [entry] = this.#entries([task], options)
    if (entry === undefined) throw libraryError('internalError', 'no job to add')
    await this.queue.add(JOB_NAME, entry.data, entry.opts)
    return { jobId: entry.opts.jobId, taskUUID: entry.taskUUID }
  }

  /** Enqueues many at once (one round trip); all are checked before any is added. */
  async addBulk(tasks: readonly Task[], options: Omit<AddOptions, 'jobId'> = {}): Promise<Enqueued[]> {
    const entries = this.#entries(tasks, options)
    await this.queue.addBulk(entries.map((entry) => ({ name: JOB_NAME, data: entry.data, opts: entry.opts })))
    return entries.map((entry) => ({ jobId: entry.opts.jobId, taskUUID: entry.taskUUID }))
  }

  /**
   * The job's result items once it completes; rejects with its RunwareError (code, category and
   * message as the worker saw them) if it failed for good, `resultTimeout` if it has not finished
   * within `timeoutMs`, `jobNotFound` if there is no such job (or it was removed).
   */
  async result(jobId: string, options: { timeoutMs?: number | undefined } = {}): Promise<ResultItem[]> {
    const timeoutMs = options.timeoutMs ?? 300_000
    const job = await Job.fromId<RunwareJobData, ResultItem[]>(this.queue, jobId)
    if (job === undefined) throw libraryError('jobNotFound', `no job ${jobId} in queue ${this.name}`)
    const state = await job.getState()
    if (state === 'completed') return job.returnvalue
    if (state === 'failed') throw await this.#failure(jobId, job.failedReason)
    try {
      return await job.waitUntilFinished(this.#queueEvents(), timeoutMs)
    } catch (error) {
      const finished = await Job.fromId<RunwareJobData, ResultItem[]>(this.queue, jobId)
      const now = await finished?.getState()
      if (now === 'completed' && finished !== undefined) return finished.returnvalue
      if (now === 'failed') throw await this.#failure(jobId, finished?.failedReason)
      if (finished === undefined) throw libraryError('jobNotFound', `job ${jobId} was removed from queue ${this.name} before it finished`)
      throw libraryError('resultTimeout', `job ${jobId} did not finish within ${timeoutMs} ms`, { cause: error })
    }
  }

  async close(): Promise<void> {
    await this.#events?.close()
    await this.queue.close()
  }

  #queueEvents(): QueueEvents {
    return (this.#events ??= new QueueEvents(this.name, { connection: this.#connection }))
  }

  async #failure(jobId: string, reason: string | undefined): Promise<RunwareError> {
    const job = await Job.fromId(this.queue, jobId)
    const stored = readJobError(job?.data)
    if (stored !== undefined) return restoreError(stored)
    return libraryError('jobFailed', `job ${jobId} failed: ${reason ?? 'no reason given'}`)
  }

  #entries(tasks: readonly Task[], options: AddOptions): { taskUUID: string; data: RunwareJobData; opts: JobsOptions & { jobId: string } }[] {
    return tasks.map((task) => {
      // The same checks as run(): a task the client would refuse never reaches Redis.
      const prepared = prepareTask(task, () => false)
      if (prepared instanceof RunwareError) throw prepared
      const fixed = (typeof prepared.wire === 'string' ? JSON.parse(prepared.wire) : { ...prepared.wire }) as Task
      const opts: JobsOptions & { jobId: string } = { ...this.#jobOptions, jobId: options.jobId ?? prepared.taskUUID }
      if (options.attempts !== undefined) opts.attempts = options.attempts
      if (options.priority !== undefined) opts.priority = options.priority
      if (options.delayMs !== undefined) opts.delay = options.delayMs
      return { taskUUID: prepared.taskUUID, data: { task: fixed, taskUUIDs: [prepared.taskUUID] }, opts }
    })
  }
}
