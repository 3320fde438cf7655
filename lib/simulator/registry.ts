/**
 * Every task the server accepted, account-wide (not per socket or session): this is what makes
 * `conflictTaskUUID`, `getResponse` and `getTaskDetails` work across reconnects and after a session
 * expired. A finished task is forgotten `retentionMs` after it finished (bounding memory), and
 * remembered as expired for as long again, so getResponse can tell "expired" from "never known".
 */
import type { DataItem, ErrorItem, Task } from '../protocol/protocol.js'
import type { InjectedFailure } from './faults.js'
import type { Session } from './model.js'
import { errorItem } from './replies.js'
import type { TaskPlan } from './tasks.js'

export interface AcceptedTask {
  readonly taskUUID: string
  readonly taskType: string
  /** The request as received (getTaskDetails returns it). */
  readonly request: Task
  readonly plan: TaskPlan
  /** Where pushed results go (sync tasks). */
  readonly session: Session
  readonly startedAt: number
  /** Clock time the task is due to finish (held results may finish later); Infinity while it waits for a slot. */
  dueAt: number
  failure: InjectedFailure | undefined
  /** The model whose slot it holds (capacity.ts), released when it finishes. */
  slot?: string | undefined
  state: 'running' | 'done'
  /** Successful result items, once done. */
  items: DataItem[]
  /** Clock time it finished (0 while running). */
  doneAt: number
  /** Validated, not run (an async `dryRun`): placeholders, never an execution. */
  readonly dryRun?: true
}

export type Standing = 'known' | 'expired' | 'unknown'

export class Registry {
  private readonly records = new Map<string, AcceptedTask>()
  /** Finished tasks in the order they finished: the oldest are forgotten first. */
  private finished: (AcceptedTask | undefined)[] = []
  private finishedHead = 0
  /** taskUUID → when it was forgotten, oldest first. */
  private readonly expired = new Map<string, number>()
  private running = 0

  constructor(
    private readonly retentionMs: number,
    /** Told the number of tasks known after every change (stats.tasksKnown). */
    private readonly onSize: (size: number) => void = () => undefined,
  ) {}

  /** Tasks accepted and not yet finished (the load mode's measure). */
  get inFlight(): number {
    return this.running
  }

  get size(): number {
    return this.records.size
  }

  has(taskUUID: string): boolean {
    return this.records.has(taskUUID)
  }

  get(taskUUID: string): AcceptedTask | undefined {
    return this.records.get(taskUUID)
  }

  add(record: AcceptedTask, now: number): void {
    this.sweep(now)
    this.records.set(record.taskUUID, record)
    this.expired.delete(record.taskUUID)
    this.running += 1
    this.onSize(this.records.size)
  }

  /** The task finished: it stays known for retentionMs. */
  finish(record: AcceptedTask, now: number): void {
    record.state = 'done'
    record.doneAt = now
    this.running -= 1
    this.finished.push(record)
  }

  standing(taskUUID: string, now: number): Standing {
    this.sweep(now)
    if (this.records.has(taskUUID)) return 'known'
    return this.expired.has(taskUUID) ? 'expired' : 'unknown'
  }

  /**
   * The getResponse data for a task (docs/protocol.md §6.3): one item per generation, in a
   * stable order: `success` items with their outputs, `error` items with a nested error, or
   * `processing` items, with a progress that rises with elapsed time where the task reports it.
   * Unknown: no items.
   */
  answer(taskUUID: string, now: number): DataItem[] {
    this.sweep(now)
    const record = this.records.get(taskUUID)
    if (record === undefined) return []
    const { taskType, plan, failure } = record
    if (record.state === 'done') {
      const answer: DataItem[] = record.items.map((item) => ({ ...item, status: 'success' }))
      if (failure !== undefined) {
        for (let i = answer.length; i < plan.expected; i++) {
          answer.push({ taskType, taskUUID, status: 'error', error: { code: failure.code, message: failure.message } })
        }
      }
      return answer
    }
    if (!plan.progress) return Array.from({ length: plan.expected }, () => ({ taskType, taskUUID, status: 'processing' }))
    const duration = record.dueAt - record.startedAt
    // Never 100 while processing: 100 would read as done.
    const progress = duration <= 0 ? 99 : Math.min(99, Math.max(0, Math.floor(((now - record.startedAt) * 100) / duration)))
    return Array.from({ length: plan.expected }, () => ({ taskType, taskUUID, status: 'processing', progress }))
  }

  /** getTaskDetails: the request as received and the response as the client got it (or would). */
  details(taskUUID: string, now: number): { request: Task; response: Record<string, unknown> } | undefined {
    this.sweep(now)
    const record = this.records.get(taskUUID)
    if (record === undefined) return undefined
    const { taskType, failure, state } = record
    const errors: ErrorItem[] = failure === undefined || state !== 'done' ? [] : [errorItem(failure.code, failure.message, { taskType, taskUUID })]
    return { request: record.request, response: errors.length === 0 ? { data: record.items } : { data: record.items, errors } }
  }

  /** Forgets what finished more than retentionMs ago, and the expired marks older than that again. */
  private sweep(now: number): void {
    const finished = this.finished
    while (this.finishedHead < finished.length) {
      const record = finished[this.finishedHead]
      if (record === undefined || record.doneAt + this.retentionMs > now) break
      finished[this.finishedHead++] = undefined
      this.records.delete(record.taskUUID)
      // Deleted first: a re-set would keep its old place, and the purge below reads the map in order.
      this.expired.delete(record.taskUUID)
      this.expired.set(record.taskUUID, now)
      this.onSize(this.records.size)
    }
    if (this.finishedHead > 1024 && this.finishedHead * 2 > finished.length) {
      this.finished = finished.slice(this.finishedHead)
      this.finishedHead = 0
    }
    for (const [taskUUID, at] of this.expired) {
      if (at + this.retentionMs > now) break
      this.expired.delete(taskUUID)
    }
  }
}
