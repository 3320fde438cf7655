/**
 * Admission for `run`: a malformed task is refused with `invalidTask` before a byte is sent, with
 * a message that names the problem, and nothing else is disturbed.
 *
 * The caller's object is read once, into a snapshot of its own enumerable fields (what
 * JSON.stringify would send), inside one try: an inherited `taskType`, a getter that throws or
 * answers differently on each read, a revoked Proxy all end as `invalidTask`, and what was
 * validated is exactly what is sent.
 */
import { randomUUID } from 'node:crypto'
import { libraryError, type RunwareError } from './errors.js'
import { flatten, isUUID, type Task } from './protocol.js'
import { completionOf, kindOf, RESERVED_TASK_TYPES, type Completion, type TaskKind } from './task-kinds.js'

export interface PreparedTask {
  taskUUID: string
  taskType: string
  /** `deliveryMethod: "async"`: results are collected with getResponse after an acknowledgement. */
  async: boolean
  encoded: string
  completion: Completion
  kind: TaskKind
}

function invalid(message: string, taskUUID?: string, taskType?: string): RunwareError {
  return libraryError('invalidTask', message, { taskUUID, taskType })
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

/** Keys a task may not carry: they would reach a prototype in a copy. */
const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/** Checks a task and encodes it once; fills in a UUID v4 `taskUUID` when absent. */
export function prepareTask(input: unknown, isPending: (taskUUID: string) => boolean): PreparedTask | RunwareError {
  try {
    return prepare(input, isPending)
  } catch (error) {
    // A getter, a Proxy trap or a nested toJSON of the caller's threw while we read the task.
    return invalid(`the task could not be read: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** The task's own enumerable fields, each read once: what JSON.stringify would send. */
function snapshot(input: object): Record<string, unknown> | string {
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(input)) {
    if (UNSAFE_KEYS.has(key)) return `a task must not have a "${key}" field`
    copy[key] = (input as Record<string, unknown>)[key]
  }
  return copy
}

function prepare(input: unknown, isPending: (taskUUID: string) => boolean): PreparedTask | RunwareError {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return invalid(`a task must be a plain object, got ${describe(input)}`)
  }
  if (typeof (input as { toJSON?: unknown }).toJSON === 'function') return invalid('a task must be a plain object, got one with a toJSON method')
  const given = snapshot(input)
  if (typeof given === 'string') return invalid(given)
  const taskType = given.taskType
  if (typeof taskType !== 'string' || taskType === '') {
    return invalid(`task.taskType must be a non-empty string, got ${describe(taskType)}`)
  }
  if (RESERVED_TASK_TYPES.has(taskType)) {
    return invalid(`taskType "${taskType}" is managed by the client and cannot be run`, undefined, taskType)
  }
  let taskUUID = given.taskUUID
  if (taskUUID === undefined) {
    // Node builds the UUID as a rope of a dozen pieces (~450 bytes held per pending task): flatten it.
    taskUUID = flatten(randomUUID())
  } else if (!isUUID(taskUUID)) {
    return invalid(`task.taskUUID must be a UUID, got ${typeof taskUUID === 'string' ? JSON.stringify(taskUUID) : describe(taskUUID)}`, undefined, taskType)
  } else if (isPending(taskUUID)) {
    return invalid(`taskUUID ${taskUUID} is already pending`, taskUUID, taskType)
  }
  const uuid = taskUUID as string
  const delivery = given.deliveryMethod
  if (delivery !== undefined && delivery !== 'sync' && delivery !== 'async') {
    return invalid(`task.deliveryMethod must be "sync" or "async" over a WebSocket, got ${JSON.stringify(delivery)}`, uuid, taskType)
  }
  const completion = completionOf(given as Task)
  if (typeof completion === 'string') return invalid(`task.${completion}`, uuid, taskType)
  let encoded: string
  try {
    encoded = JSON.stringify(given)
  } catch (error) {
    return invalid(`task cannot be encoded as JSON: ${error instanceof Error ? error.message : String(error)}`, uuid, taskType)
  }
  // The generated id is spliced into the JSON rather than set on the snapshot: the id leads.
  if (given.taskUUID === undefined) encoded = `{"taskUUID":"${uuid}"${encoded === '{}' ? '' : ','}${encoded.slice(1)}`
  return { taskUUID: uuid, taskType, async: delivery === 'async', encoded: flatten(encoded), completion, kind: kindOf(taskType) }
}

/** A standard AbortSignal, or anything shaped like one (a polyfill's). */
function isAbortSignal(value: unknown): boolean {
  if (value instanceof AbortSignal) return true
  const candidate = value as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown } | null
  return typeof value === 'object' && candidate !== null && typeof candidate.aborted === 'boolean' && typeof candidate.addEventListener === 'function' && typeof candidate.removeEventListener === 'function'
}

/** Checks `run`'s second argument; undefined when it is fine. */
export function checkRunOptions(options: unknown): RunwareError | undefined {
  if (options === undefined) return undefined
  if (typeof options !== 'object' || options === null) return invalid(`run options must be an object, got ${describe(options)}`)
  const { signal, timeoutMs, onResult, onProgress } = options as Record<string, unknown>
  if (signal !== undefined && !isAbortSignal(signal)) return invalid('options.signal must be an AbortSignal')
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    return invalid(`options.timeoutMs must be a positive number, got ${typeof timeoutMs === 'number' ? timeoutMs : describe(timeoutMs)}`)
  }
  if (onResult !== undefined && typeof onResult !== 'function') return invalid('options.onResult must be a function')
  if (onProgress !== undefined && typeof onProgress !== 'function') return invalid('options.onProgress must be a function')
  return undefined
}
