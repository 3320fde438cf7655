/**
 * Every task the server ever accepted, account-wide (not per socket or session): this is what makes
 * `conflictTaskUUID` and `getResponse` work across reconnects and after a session expired.
 */
import type { DataItem } from '../protocol.js'
import type { InjectedFailure } from './faults.js'
import type { Session } from './model.js'
import type { TaskPlan } from './tasks.js'

export interface AcceptedTask {
  readonly taskUUID: string
  readonly taskType: string
  readonly plan: TaskPlan
  /** Where pushed results go (sync tasks). */
  readonly session: Session
  readonly startedAt: number
  /** Clock time the task is due to finish (held results may finish later). */
  readonly dueAt: number
  readonly failure: InjectedFailure | undefined
  state: 'running' | 'done'
  /** Successful result items, once done. */
  items: DataItem[]
}

export class Registry {
  private readonly records = new Map<string, AcceptedTask>()

  has(taskUUID: string): boolean {
    return this.records.has(taskUUID)
  }

  get(taskUUID: string): AcceptedTask | undefined {
    return this.records.get(taskUUID)
  }

  add(record: AcceptedTask): void {
    this.records.set(record.taskUUID, record)
  }

  /**
   * The getResponse data for a task (runware-protocol.md §6.3): one item per generation, in a
   * stable order: `success` items with their outputs, `error` items with a nested error, or
   * `processing` items with a progress that rises with elapsed time. Unknown: no items.
   */
  answer(taskUUID: string, now: number): DataItem[] {
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
    const duration = record.dueAt - record.startedAt
    // Never 100 while processing: 100 would read as done.
    const progress = duration <= 0 ? 99 : Math.min(99, Math.max(0, Math.floor(((now - record.startedAt) * 100) / duration)))
    return Array.from({ length: plan.expected }, () => ({ taskType, taskUUID, status: 'processing', progress }))
  }
}
