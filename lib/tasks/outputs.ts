/**
 * A task's outputs, each kept once: an output is recognised by what identifies it (its
 * `imageUUID`, …), never by equal content; one without an id only by the frame that brought it.
 * And what they cost: each settled task's items' `cost` (USD, sent when the task asked with
 * `includeCost`), summed in all and by model. Server data: a cost that is not a finite number in
 * [0, MAX_ITEM_USD] is not counted. A budget reads `totalUSD`.
 */
import { normaliseErrorItem } from '../protocol/parse.js'
import type { ErrorItem, ResultItem } from '../protocol/protocol.js'
import { libraryError, type RunwareError } from '../support/errors.js'
import type { TaskKind } from './admit.js'
import type { TaskRecord } from './task-record.js'

/** The identity of one output (`imageUUID:…`), or undefined when the item carries none. */
export function identityOf(item: ResultItem, kind: TaskKind): string | undefined {
  for (const field of kind.identity) {
    const value = item[field]
    if (typeof value === 'string') return `${field}:${value}`
  }
  return undefined
}

/** Adds an item unless one with its identity was already delivered; true when it is new. */
export function addOutput(record: TaskRecord, item: ResultItem): boolean {
  const items = (record.items ??= [])
  // The first item cannot be a copy; the identities are gathered from the items when a second
  // comes (a task completed by its first item settles before one can).
  if (items.length > 0) {
    const identity = identityOf(item, record.kind)
    if (identity !== undefined) {
      const keys = record.keys(() => new Set(items.flatMap((known) => identityOf(known, record.kind) ?? [])))
      if (keys.has(identity)) return false
      keys.add(identity)
    }
  }
  items.push(item)
  return true
}

/**
 * An output without an id is recognised as a replay only by its frame: the very frame that
 * delivered it earlier, arriving again on a later socket (a resume replaying what it had sent).
 * Equal content in another frame, or on the same socket, is a new output.
 */
export function isReplay(record: TaskRecord, item: ResultItem, frame: string | undefined, socket: number): boolean {
  if (frame === undefined || record.expected === 1 || identityOf(item, record.kind) !== undefined) return false
  const frames = record.frames
  const seenOn = frames.get(frame)
  if (seenOn !== undefined && seenOn !== socket) return true
  frames.set(frame, socket)
  return false
}

/** Outputs without an id so far (a getResponse answer lists them in order: the rest are new). */
export function idlessOutputs(record: TaskRecord): number {
  let count = 0
  for (const item of record.items ?? []) if (identityOf(item, record.kind) === undefined) count += 1
  return count
}

/** The error an output reports (`status: "error"` / `"failed"`), addressed to its task. */
export function reportedError(record: TaskRecord, item: ResultItem, fallbackCode: string): ErrorItem {
  const nested = normaliseErrorItem(item.error ?? { code: fallbackCode, message: `task reported status "${String(item.status)}"` }, [])
  return { ...(nested ?? { code: fallbackCode, message: 'task failed' }), taskUUID: record.wireUUID, taskType: record.taskType }
}

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
