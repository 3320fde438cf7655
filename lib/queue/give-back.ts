/**
 * The jobs a worker holds, and the one way it lets go of one without failing it: back to the
 * front of the queue, its lock released, its taskUUIDs in its data (BullMQ's moveToWait, then a
 * WaitingError so BullMQ records nothing else). The next worker sends it under the id it was last
 * sent with: run by the server already, it is collected (conflictTaskUUID → getResponse); not run,
 * it runs once. Redis away, the job stays locked until its lock lapses, then another resumes it.
 */
import { WaitingError, type Job } from 'bullmq'
import { describeThrown, type RunwareError } from '../support/errors.js'
import type { QueueLog } from './log.js'

/** Codes about the worker's account rather than the job: a revoked key, no credits. */
export function isAccountRefusal(error: RunwareError): boolean {
  return error.category === 'auth' || error.category === 'quota'
}

export class Holdings {
  /** Job id → the lock token BullMQ gave with it. */
  readonly #held = new Map<string, string | undefined>()
  readonly #emptied = new Set<() => void>()
  /** Jobs given back (one job fetched again while leaving is given back again, counted once). */
  readonly #givenBack = new Set<string>()

  constructor(private readonly log: QueueLog) {}

  get size(): number {
    return this.#held.size
  }

  get givenBack(): number {
    return this.#givenBack.size
  }

  take(job: Job, token: string | undefined): void {
    if (job.id !== undefined) this.#held.set(job.id, token)
  }

  /** Its processor ended (the job's outcome is BullMQ's to write now), or it was given back. */
  release(jobId: string | undefined): void {
    if (jobId === undefined || !this.#held.delete(jobId) || this.#held.size > 0) return
    for (const done of [...this.#emptied]) done()
  }

  /** Back to the queue, unfailed; always throws the error that tells BullMQ to record nothing. */
  async giveBack(job: Job): Promise<never> {
    const token = job.id === undefined ? undefined : this.#held.get(job.id)
    try {
      if (token === undefined) throw new Error('no lock token for it')
      await job.moveToWait(token)
      if (job.id !== undefined) this.#givenBack.add(job.id)
    } catch (error) {
      const why = describeThrown(error)
      this.log('warn', `job ${job.id ?? '?'} could not be given back (${why}): another worker resumes it when its lock lapses`, { jobId: job.id })
    } finally {
      this.release(job.id)
    }
    throw new WaitingError()
  }

  /** Resolves when nothing is held, or after `ms` (Infinity: no bound), whichever is first. */
  empty(ms: number): Promise<void> {
    if (this.#held.size === 0 || ms <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined
      timer?.unref()
      this.#emptied.add(done)
      const emptied = this.#emptied
      function done(): void {
        clearTimeout(timer)
        emptied.delete(done)
        resolve()
      }
    })
  }
}
