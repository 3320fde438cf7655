/**
 * A task's outputs, each kept once: an output is recognised by what identifies it (its
 * `imageUUID`, …), never by equal content; one without an id only by the frame that brought it.
 */
import { normaliseErrorItem } from '../protocol/parse.js'
import type { ErrorItem, ResultItem } from '../protocol/protocol.js'
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
