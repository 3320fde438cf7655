/**
 * The consumer side of a fleet: one RunwareSocket per worker process, BullMQ's concurrency as the
 * tasks in flight. The rules that carry "never executed or paid twice" across processes:
 *
 * - a task goes out under the job's current taskUUID; a fresh one is recorded in the job (and
 *   Redis has it) before anything is sent under it, so a job resumed after its worker died runs
 *   under the id it was last sent with: the server answers conflictTaskUUID and the client
 *   collects the results with getResponse;
 * - a permanent error fails the job at once (no BullMQ retry);
 * - a retryable error the server reported is tried again under a fresh id, first by the worker
 *   (the client's `retry` settings), then by BullMQ's attempts; an error that says nothing about
 *   the task's fate (a timeout, a lost socket) is tried again under the same id.
 *
 * The client's own per-task retries are off: they would mint ids the job does not know.
 */
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq'
import { backoffDelay } from '../backoff.js'
import { RunwareSocket } from '../client.js'
import { FATE_UNKNOWN_CODES } from '../codes.js'
import { libraryError, RunwareError } from '../errors.js'
import type { RunwareSocketOptions } from '../options.js'
import { resolveOptions } from '../resolve-options.js'
import type { ResultItem } from '../protocol.js'
import { untyped } from '../task-types.js'
import { randomTaskUUID } from '../uuid.js'
import { currentTaskUUID, DEFAULT_QUEUE, readJobData, storeError, type RunwareJobData } from './job-data.js'

export interface RunwareWorkerOptions {
  /** Redis, as BullMQ takes it: `{ url }`, `{ host, port }`, or an ioredis instance. */
  readonly connection: ConnectionOptions
  /** @default "runware" */
  readonly name?: string | undefined
  /** Jobs (tasks) in flight at once in this process. @default 100 */
  readonly concurrency?: number | undefined
  /** The RunwareSocket's options (apiKey, url, …). Its `retry` settings drive the worker's own tries. */
  readonly client: RunwareSocketOptions
  /** How long `close()` lets jobs in flight finish; the rest are left to other workers. @default 30_000 */
  readonly drainTimeoutMs?: number | undefined
  /** BullMQ's lockDuration: a dead worker's jobs are resumed by another after about this long. @default 30_000 */
  readonly lockDurationMs?: number | undefined
  /** How often this worker looks for stalled jobs. @default lockDurationMs */
  readonly stalledIntervalMs?: number | undefined
  /** Times a job may be resumed after its worker died before BullMQ fails it. @default 5 */
  readonly maxStalledCount?: number | undefined
}

export interface WorkerCounts {
  active: number
  completed: number
  failed: number
  /** Jobs taken over after the worker that had them died (BullMQ's stalled-job recovery). */
  resumed: number
}

export interface RunwareWorker {
  /** The BullMQ worker underneath (its events: completed, failed, progress, …). */
  readonly worker: Worker<RunwareJobData, ResultItem[]>
  /** The worker's socket (its events: state, task, error, …). */
  readonly client: RunwareSocket
  readonly counts: Readonly<WorkerCounts>
  /** Stops taking jobs, lets those in flight finish within drainTimeoutMs, closes the socket. */
  close(): Promise<void>
}

/** A promise that never settles: a job left to stalled-job recovery must not be reported as failed. */
const abandoned = (): Promise<never> => new Promise<never>(() => undefined)

export function startRunwareWorker(options: RunwareWorkerOptions): RunwareWorker {
  // Checked as the client checks them (a bad option throws here, before any job is taken).
  const { retry, random } = resolveOptions(options.client)
  const client = new RunwareSocket({ ...options.client, retry: { ...retry, maxAttempts: 1 }, maxInFlight: Math.max(options.client.maxInFlight ?? 0, options.concurrency ?? 100) })
  const counts: WorkerCounts = { active: 0, completed: 0, failed: 0, resumed: 0 }
  // Read through a function: it changes while a job's promise waits, and narrowing must not assume otherwise.
  const shutdown = { leaving: false }
  const leaving = (): boolean => shutdown.leaving
  const lockDuration = options.lockDurationMs ?? 30_000
  const logger = options.client.logger

  const process = async (job: Job<RunwareJobData, ResultItem[]>): Promise<ResultItem[]> => {
    const data = readJobData(job.data)
    if (typeof data === 'string') {
      const error = libraryError('invalidTask', data)
      await job.updateData({ ...(job.data as object), error: storeError(error) } as RunwareJobData)
      throw new UnrecoverableError(`${error.code}: ${error.message}`)
    }
    // Started more often than it failed: a worker died with it (BullMQ's stalled-job recovery).
    if (job.attemptsStarted > job.attemptsMade + 1) counts.resumed += 1
    let taskUUIDs = [...data.taskUUIDs]
    for (let tries = 1; ; tries++) {
      const taskUUID = currentTaskUUID({ ...data, taskUUIDs })
      try {
        return await client.run(untyped({ ...data.task, taskUUID }), {
          onProgress: (progress) => void job.updateProgress(progress).catch(() => undefined),
        })
      } catch (caught) {
        if (leaving()) return abandoned()
        const error = caught instanceof RunwareError ? caught : libraryError('internalError', caught instanceof Error ? caught.message : String(caught))
        // The server answered about this task: trying again means a fresh id.
        const fateKnown = !FATE_UNKNOWN_CODES.has(error.code)
        if (!error.retryable) {
          await job.updateData({ ...data, taskUUIDs, error: storeError(error) })
          throw new UnrecoverableError(`${error.code}: ${error.message}`)
        }
        if (fateKnown && tries < retry.maxAttempts) {
          taskUUIDs = [...taskUUIDs, randomTaskUUID()]
          // Recorded before it is sent: whoever resumes this job uses it.
          await job.updateData({ ...data, taskUUIDs, error: storeError(error) })
          await sleep(backoffDelay(tries - 1, retry, random))
          if (leaving()) return abandoned()
          continue
        }
        // BullMQ's attempts decide now; its next one runs under a fresh id only if the fate is known.
        const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
        if (fateKnown && !last) taskUUIDs = [...taskUUIDs, randomTaskUUID()]
        await job.updateData({ ...data, taskUUIDs, error: storeError(error) })
        throw new Error(`${error.code}: ${error.message}`, { cause: caught })
      }
    }
  }

  const worker = new Worker<RunwareJobData, ResultItem[]>(options.name ?? DEFAULT_QUEUE, process, {
    connection: options.connection,
    concurrency: options.concurrency ?? 100,
    lockDuration,
    stalledInterval: options.stalledIntervalMs ?? lockDuration,
    maxStalledCount: options.maxStalledCount ?? 5,
  })
  worker.on('active', () => (counts.active += 1))
  worker.on('completed', () => {
    counts.active -= 1
    counts.completed += 1
  })
  worker.on('failed', (job) => {
    if (job !== undefined) counts.active -= 1
    counts.failed += 1
  })
  // A Redis hiccup is BullMQ's to retry; an 'error' with no listener would crash the process.
  worker.on('error', (error) => {
    try {
      logger?.warn?.(`runware-socket/queue: ${error.message}`, { queue: worker.name })
    } catch {
      // A throwing logger changes nothing.
    }
  })

  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const drainTimeoutMs = options.drainTimeoutMs ?? 30_000
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs)))
      // No new jobs; those in flight may finish within the bound.
      await Promise.race([worker.pause(false), timedOut])
      clearTimeout(timer)
      // What is still running is left to another worker (its lock lapses; it resumes under the same id).
      shutdown.leaving = true
      await worker.close(true)
      await client.close()
    })())

  return { worker, client, counts, close }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
