/**
 * What the results cost: each settled task's items' `cost` (USD, sent when the task asked with
 * `includeCost`), summed in all and by model. Server data: a cost that is not a finite number in
 * [0, MAX_ITEM_USD] is not counted. A budget reads `totalUSD`.
 */
import { libraryError, type RunwareError } from '../support/errors.js'
import type { TaskRecord } from './task-record.js'

/** No single result costs more than this; a larger figure is not a price. */
export const MAX_ITEM_USD = 1_000

export class Costs {
  totalUSD = 0
  readonly #byModel = new Map<string, number>()

  /** Adds what this task's items cost; returns it (0 when none carried a cost). */
  add(record: TaskRecord): number {
    let usd = 0
    for (const item of record.items ?? []) {
      const cost = item.cost
      if (typeof cost === 'number' && cost >= 0 && cost <= MAX_ITEM_USD) usd += cost
    }
    if (usd === 0) return 0
    this.totalUSD += usd
    this.#byModel.set(record.model, (this.#byModel.get(record.model) ?? 0) + usd)
    return usd
  }

  byModel(): Record<string, number> {
    return Object.fromEntries(this.#byModel)
  }
}

/** Why a new task is refused once the budget is spent. */
export function budgetError(maxUSD: number, taskUUID: string, taskType: string): RunwareError {
  return libraryError('budgetExceeded', `the budget of ${maxUSD} USD is spent: no new task is admitted`, { taskUUID, taskType })
}
