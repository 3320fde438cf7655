/**
 * Whether two tasks are the same work: the same fields with the same values, whatever their key
 * order. A taskUUID made up at enqueue is not part of the work (adding the same task twice under
 * one job id makes two ids for it); one the caller gave is.
 */
import type { Task } from '../protocol/protocol.js'

/** Bounds the walk: a task is checked before it is enqueued, but Redis may hold anything. */
const MAX_DEPTH = 64

export function sameTask(held: Task, added: Task, idGiven: boolean): boolean {
  const a: Record<string, unknown> = { ...held }
  const b: Record<string, unknown> = { ...added }
  if (!idGiven) {
    delete a.taskUUID
    delete b.taskUUID
  }
  return equal(a, b, 0)
}

function equal(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true
  if (depth > MAX_DEPTH || typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((value, i) => equal(value, b[i], depth + 1))
  const left = a as Record<string, unknown>
  const right = b as Record<string, unknown>
  const keys = Object.keys(left)
  if (keys.length !== Object.keys(right).length) return false
  return keys.every((key) => Object.hasOwn(right, key) && equal(left[key], right[key], depth + 1))
}
