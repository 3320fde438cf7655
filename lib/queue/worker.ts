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
 *   the task's fate (a timeout, a lost socket) is tried again under the same id;
 * - what is about the worker, not the job, never fails a job: a job still running when a drain
 *   runs out, or held when the account refuses work (an auth or quota code), goes back to the
 *   queue under its taskUUIDs (give-back.ts) for another worker.
 *
 * The client's own per-task retries are off: they would mint ids the job does not know.
 */
import { setMaxListeners } from 'node:events'
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq'
import { backoffDelay } from '../support/backoff.js'
import { RunwareSocket } from '../client.js'
import { FATE_UNKNOWN_CODES } from '../recovery/codes.js'
import { describeThrown, libraryError, RunwareError } from '../support/errors.js'
import type { Logger, RunwareSocketOptions } from '../api/options.js'
import { resolveOptions } from '../support/resolve-options.js'
import type { ResultItem } from '../protocol/protocol.js'
import { untyped } from '../api/task-types.js'
import { randomTaskUUID } from '../protocol/protocol.js'
import { Holdings, isAccountRefusal } from './give-back.js'
import { CapacitySignals } from './capacity-signals.js'
import { RedisHealth } from './health.js'
import { parentContextOf } from '../telemetry/propagation.js'
import { currentTaskUUID, DEFAULT_QUEUE, readJobData, storeError, type RunwareJobData } from './job-data.js'
import { queueLog } from './log.js'
import { never, sleep } from './sleep.js'

export interface RunwareWorkerOptions {
  /** Redis, as BullMQ takes it: `{ url }`, `{ host, port }`, or an ioredis instance. */
  readonly connection: ConnectionOptions
  /** @default "runware" */
  readonly name?: string | undefined
  /** Jobs (tasks) in flight at once in this process. @default 100 */
  readonly concurrency?: number | undefined
  /** The RunwareSocket's options (apiKey, url, …). Its `retry` settings drive the worker's own tries. */
  readonly client: RunwareSocketOptions
  /**
   * How long `close()` lets jobs in flight finish; the rest go back to the queue, unfailed, under
   * their taskUUIDs. `close()` ends within this bound, Redis reachable or not. @default 30_000
   */
  readonly drainTimeoutMs?: number | undefined
  /** BullMQ's lockDuration: a dead worker's jobs are resumed by another after about this long. @default 30_000 */
  readonly lockDurationMs?: number | undefined
  /** How often this worker looks for stalled jobs. @default lockDurationMs */
  readonly stalledIntervalMs?: number | undefined
  /** Times a job may be resumed after its worker died before BullMQ fails it. @default 5 */
  readonly maxStalledCount?: number | undefined
  /**
   * With adaptive concurrency (`client.concurrency`): a capacity code this worker meets cuts that
   * model's limit in every worker of the queue, and theirs cut it here (capacity-signals.ts). @default true
   */
  readonly shareCapacity?: boolean | undefined
  /** The worker's own log lines (refusals, Redis outages, jobs failed for good). @default client.logger */
  readonly logger?: Logger | undefined
}

export interface WorkerCounts {
  /** Jobs this worker holds now. */
  readonly active: number
  completed: number
  /** Jobs failed for good: a permanent error, or the last of their attempts. */
  failed: number
  /** Attempts that failed and went back to the queue for another (BullMQ's attempts). */
  retried: number
  /** Jobs handed back to the queue unfailed, under their taskUUIDs (a drain past its bound, a refusal). */
  readonly givenBack: number
  /** Jobs taken over after the worker that had them died or left (BullMQ's stalled-job recovery). */
  resumed: number
  /** Capacity cuts this worker's own codes made and published to the fleet (shareCapacity). */
  readonly capacitySent: number
  /** Capacity signals from other workers applied here. */
  readonly capacityReceived: number
}

export interface RunwareWorker {
  /** The BullMQ worker underneath (its events: completed, failed, progress, …). */
  readonly worker: Worker<RunwareJobData, ResultItem[]>
  /** The worker's socket (its events: state, task, error, …). */
  readonly client: RunwareSocket
  readonly counts: Readonly<WorkerCounts>
  /**
   * Settles once, if the account refuses work (an auth or quota code: a revoked key, no credits):
   * the worker has stopped taking jobs and gives back those it holds. Call `close()` then.
   */
  readonly refused: Promise<RunwareError>
  /** False from the first sign of a Redis outage until Redis answers again. */
  readonly redisReachable: boolean
  /** Stops taking jobs, lets those in flight finish within drainTimeoutMs, gives back the rest, closes the socket. */
  close(): Promise<void>
}

export function startRunwareWorker(options: RunwareWorkerOptions): RunwareWorker {
  // Checked as the client checks them (a bad option throws here, before any job is taken).
  const { retry, random, concurrency } = resolveOptions(options.client)
  const client = new RunwareSocket({
    ...options.client,
    retry: { ...retry, maxAttempts: 1 },
    maxInFlight: Math.max(options.client.maxInFlight ?? 0, options.concurrency ?? 100),
  })
  const name = options.name ?? DEFAULT_QUEUE
  const log = queueLog(options.logger ?? options.client.logger, { queue: name, client: client.id })
  const health = new RedisHealth(options.connection, log)
  const holdings = new Holdings(log)
  const counts = {
    completed: 0,
    failed: 0,
    retried: 0,
    resumed: 0,
    get active() {
      return holdings.size
    },
    get givenBack() {
      return holdings.givenBack
    },
    get capacitySent() {
      return signals?.counts.sent ?? 0
    },
    get capacityReceived() {
      return signals?.counts.received ?? 0
    },
  }
  const lockDuration = options.lockDurationMs ?? 30_000
  // Aborted when the worker stops taking jobs (a drain ran out, or a refusal): sleeps end, jobs go back.
  const stopping = new AbortController()
  // Every job sleeping out a retry listens on it (as many as `concurrency`): not a leak.
  setMaxListeners(0, stopping.signal)
  // Read through a function: it changes while a job's promise waits, and narrowing must not assume otherwise.
  const stopped = (): boolean => stopping.signal.aborted
  let refusal: RunwareError | undefined
  let refusedNow: (error: RunwareError) => void = () => undefined
  const refused = new Promise<RunwareError>((resolve) => (refusedNow = resolve))

  const refuse = (error: RunwareError): void => {
    if (refusal !== undefined) return
    refusal = error
    log('error', `the account refused work (${error.code}: ${error.message}): this worker takes no more jobs and gives back those it holds, unfailed`, {
      code: error.code,
    })
    // Stop fetching at once; jobs already fetched see `stopping` and go back.
    void worker.pause(true).catch(() => undefined)
    stopping.abort()
    refusedNow(error)
  }

  // A job is held while its processor runs (BullMQ then writes its outcome; a graceful close waits for that).
  const process = async (job: Job<RunwareJobData, ResultItem[]>, token?: string): Promise<ResultItem[]> => {
    holdings.take(job, token)
    try {
      return await runJob(job)
    } finally {
      holdings.release(job.id)
    }
  }

  const runJob = async (job: Job<RunwareJobData, ResultItem[]>): Promise<ResultItem[]> => {
    if (stopped()) return giveBack(job)
    const data = readJobData(job.data)
    if (typeof data === 'string') {
      const error = libraryError('invalidTask', data)
      await job.updateData({ ...(job.data as object), error: storeError(error) } as RunwareJobData)
      throw new UnrecoverableError(`${error.code}: ${error.message}`)
    }
    // Started more often than it failed: a worker died with it or left it (stalled-job recovery, a give-back).
    if (job.attemptsStarted > job.attemptsMade + 1) counts.resumed += 1
    let taskUUIDs = [...data.taskUUIDs]
    const parentContext = parentContextOf(data.trace)
    for (let tries = 1; ; tries++) {
      const taskUUID = currentTaskUUID({ ...data, taskUUIDs })
      try {
        return await client.run(untyped({ ...data.task, taskUUID }), {
          onProgress: (progress) => void job.updateProgress(progress).catch(() => undefined),
          parentContext,
        })
      } catch (caught) {
        const error = caught instanceof RunwareError ? caught : libraryError('internalError', describeThrown(caught))
        // About the worker's account, not the job: the job goes back for another worker.
        if (isAccountRefusal(error)) refuse(error)
        if (stopped()) return giveBack(job)
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
          await sleep(backoffDelay(tries - 1, retry, random), stopping.signal)
          if (stopped()) return giveBack(job)
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

  const giveBack = (job: Job<RunwareJobData, ResultItem[]>): Promise<never> => holdings.giveBack(job)

  const worker = new Worker<RunwareJobData, ResultItem[]>(name, process, {
    connection: options.connection,
    concurrency: options.concurrency ?? 100,
    lockDuration,
    stalledInterval: options.stalledIntervalMs ?? lockDuration,
    maxStalledCount: options.maxStalledCount ?? 5,
    // A job's outcome that could not be written (Redis away) is tried again after this, not 15 s:
    // its lock is not renewed meanwhile.
    runRetryDelay: 1_000,
    // checkRedis() says what matters of the server, through the logger; BullMQ's check prints to the console.
    skipVersionCheck: true,
  })
  health.watch(worker)
  const signals = concurrency !== undefined && options.shareCapacity !== false ? new CapacitySignals(name, options.connection, client, log) : undefined
  void signals?.start()
  worker.on('completed', () => {
    health.alive()
    counts.completed += 1
  })
  worker.on('failed', (job, error) => {
    // BullMQ reports every failed attempt; only the last (or an unrecoverable one) fails the job.
    const forGood = job === undefined || job.finishedOn !== undefined || error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1)
    if (forGood) {
      counts.failed += 1
      log('warn', `job ${job?.id ?? '?'} failed: ${error.message}`, { jobId: job?.id })
    } else {
      counts.retried += 1
      log('debug', `job ${job.id} attempt ${job.attemptsMade} failed, it goes again: ${error.message}`, { jobId: job.id })
    }
  })

  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const drainTimeoutMs = options.drainTimeoutMs ?? 30_000
      const deadline = performance.now() + drainTimeoutMs
      const left = (): number => deadline - performance.now()
      // Giving back needs Redis: a share of the bound is kept for it, so close() ends within the bound.
      const giveBackMs = Math.min(2_000, drainTimeoutMs / 4)
      // No new jobs; those in flight may finish.
      void worker.pause(true).catch(() => undefined)
      await holdings.empty(left() - giveBackMs)
      // What is still running goes back to the queue under its taskUUIDs: closing the client
      // rejects its tasks at once (the socket may take longer to go), and their jobs go back.
      stopping.abort()
      const clientClosed = client.close()
      // BullMQ closed gracefully: a job it fetched while this worker was leaving (a fetch already
      // waiting when it paused) is given back too, not left locked.
      const closed = (async () => {
        await holdings.empty(Infinity)
        await worker.close()
      })()
      const graceful = await Promise.race([
        closed.then(
          () => true,
          () => true,
        ),
        sleep(left(), never).then(() => false),
      ])
      health.close()
      signals?.close()
      // Whatever could not be given back (Redis away) is resumed by another worker once its lock lapses.
      if (!graceful) await Promise.race([worker.close(true).catch(() => undefined), sleep(500, never)])
      await clientClosed
    })())

  return {
    worker,
    client,
    counts,
    refused,
    get redisReachable() {
      return health.reachable
    },
    close,
  }
}
