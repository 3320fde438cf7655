/**
 * Input checks for `run`: a malformed task is refused with `invalidTask` before a byte is sent,
 * with a message that names the problem, and nothing else is disturbed.
 */
import { randomUUID } from 'node:crypto'
import { libraryError, type RunwareError } from './errors.js'
import { flatten, isUUID, type ResultItem, type Task } from './protocol.js'
import { completionOf, RESERVED_TASK_TYPES, type Completion } from './tasks.js'

export interface RunOptions<R extends ResultItem = ResultItem> {
  /** Aborts the task: before it is sent it leaves the queue; after, it rejects with `aborted`. */
  signal?: AbortSignal | undefined
  /** This task's deadline (rejects with `taskTimeout`). @default the client's taskTimeoutMs */
  timeoutMs?: number | undefined
  /** Each result item as it arrives (a task with numberResults: 4 calls this four times). */
  onResult?: ((item: R) => void) | undefined
  /** getResponse progress (0–100) of an async task. */
  onProgress?: ((progress: number) => void) | undefined
}

export interface PreparedTask {
  taskUUID: string
  taskType: string
  /** `deliveryMethod: "async"`: results are collected with getResponse after an acknowledgement. */
  async: boolean
  encoded: string
  completion: Completion
}

function invalid(message: string, taskUUID?: string, taskType?: string): RunwareError {
  return libraryError('invalidTask', message, { taskUUID, taskType })
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

/** Checks a task and encodes it once; fills in a UUID v4 `taskUUID` when absent. */
export function prepareTask(input: unknown, isPending: (taskUUID: string) => boolean): PreparedTask | RunwareError {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return invalid(`a task must be a plain object, got ${describe(input)}`)
  }
  const given = input as Record<string, unknown>
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
  if (typeof given.toJSON === 'function') return invalid('a task must be a plain object, got one with a toJSON method', uuid, taskType)
  const completion = completionOf(given as Task)
  if (typeof completion === 'string') return invalid(`task.${completion}`, uuid, taskType)
  let encoded: string
  try {
    encoded = JSON.stringify(given)
  } catch (error) {
    return invalid(`task cannot be encoded as JSON: ${error instanceof Error ? error.message : String(error)}`, uuid, taskType)
  }
  // The generated id is spliced into the JSON rather than into a copy of the task: no object is
  // copied per task, and the caller's object is never touched.
  if (given.taskUUID === undefined) encoded = `{"taskUUID":"${uuid}"${encoded === '{}' ? '' : ','}${encoded.slice(1)}`
  return { taskUUID: uuid, taskType, async: delivery === 'async', encoded: flatten(encoded), completion }
}

/** Checks `run`'s second argument; undefined when it is fine. */
export function checkRunOptions(options: unknown): RunwareError | undefined {
  if (options === undefined) return undefined
  if (typeof options !== 'object' || options === null) return invalid(`run options must be an object, got ${describe(options)}`)
  const { signal, timeoutMs, onResult, onProgress } = options as Record<string, unknown>
  if (signal !== undefined && !(signal instanceof AbortSignal)) return invalid('options.signal must be an AbortSignal')
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    return invalid(`options.timeoutMs must be a positive number, got ${typeof timeoutMs === 'number' ? timeoutMs : describe(timeoutMs)}`)
  }
  if (onResult !== undefined && typeof onResult !== 'function') return invalid('options.onResult must be a function')
  if (onProgress !== undefined && typeof onProgress !== 'function') return invalid('options.onProgress must be a function')
  return undefined
}
