/**
 * Admission for `run`: what the client knows of each task type (one table), and a malformed task
 * refused with `invalidTask` before a byte is sent, with a message that names the problem, and
 * nothing else disturbed.
 *
 * The caller's object is read once, into a snapshot of its own enumerable fields (what
 * JSON.stringify would send), inside one try: an inherited `taskType`, a getter that throws or
 * answers differently on each read, a revoked Proxy all end as `invalidTask`, and what was
 * validated is exactly what is sent. A snapshot of primitives is kept as it is and encoded with
 * the rest of its frame; one with nested values is encoded here, so a later change cannot reach it.
 */
import { describeThrown, libraryError, RunwareError } from '../support/errors.js'
import { flatten, isUUID, randomTaskUUID, type Task, type WireTask } from '../protocol/protocol.js'
import type { LibraryErrorCode } from '../recovery/codes.js'
import { keyedTaskUUID, MAX_IDEMPOTENCY_KEY_LENGTH } from '../protocol/ids.js'

// ---- what the client knows about each task type at run time (the twin of the simulator's PLANNERS) ----

export interface TaskKind {
  /** The field asking for N results (a retry asks for the missing ones through it); undefined: not countable. */
  readonly countField: 'numberResults' | 'promptVersions' | undefined
  /** `count`: done after N distinct items; `ready`: done when an item reports `status: "ready"`. */
  readonly completion: 'count' | 'ready'
  /**
   * Fields that identify one output, in the order they are looked for. An item with none of them
   * has no identity: equal content is not a replay (two prompt versions may be the same words).
   */
  readonly identity: readonly string[]
  /** A pushed item with this status fails the task (with its nested error, or this code). */
  readonly failure?: { readonly status: string; readonly code: LibraryErrorCode }
}

/** Every id field Runware results carry. */
const ID_FIELDS = ['imageUUID', 'videoUUID', 'audioUUID', 'mediaUUID', 'guideImageUUID', 'maskImageUUID'] as const

export const DEFAULT_KIND: TaskKind = { countField: 'numberResults', completion: 'count', identity: ID_FIELDS }

const KINDS: ReadonlyMap<string, TaskKind> = new Map<string, TaskKind>([
  ['imageInference', { countField: 'numberResults', completion: 'count', identity: ['imageUUID'] }],
  ['videoInference', { countField: 'numberResults', completion: 'count', identity: ['videoUUID'] }],
  ['audioInference', { countField: 'numberResults', completion: 'count', identity: ['audioUUID'] }],
  // Text results have no id: each version is counted, equal or not.
  ['promptEnhance', { countField: 'promptVersions', completion: 'count', identity: [] }],
  ['caption', { countField: 'numberResults', completion: 'count', identity: [] }],
  ['textInference', { countField: 'numberResults', completion: 'count', identity: [] }],
  // Streams its stages as items (validated, downloaded, …, ready); a stage is told by its status.
  ['modelUpload', { countField: undefined, completion: 'ready', identity: ['status'], failure: { status: 'failed', code: 'modelUploadFailed' } }],
])

export function kindOf(taskType: string): TaskKind {
  return KINDS.get(taskType) ?? DEFAULT_KIND
}

/** Types the client manages itself; `run` refuses them. */
export const RESERVED_TASK_TYPES: ReadonlySet<string> = new Set(['authentication', 'ping', 'getResponse'])

/** How a task is known to be complete. */
export type Completion =
  /** After `count` distinct result items. */
  | { readonly kind: 'count'; readonly count: number }
  /** When an item reports `status: "ready"` (modelUpload streams its stages as items). */
  | { readonly kind: 'ready' }

const MAX_RESULTS = 1_000
const READY: Completion = { kind: 'ready' }
/** Shared answers for the common counts: one task in the hot path allocates none. */
const COUNTS: readonly Completion[] = Array.from({ length: 17 }, (_, count) => ({ kind: 'count', count }))

function positiveInteger(value: unknown, fallback: number): number | undefined {
  if (value === undefined) return fallback
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_RESULTS ? value : undefined
}

/** How many items complete `task`, or a message saying why the count field is unusable. */
export function completionOf(task: Task): Completion | string {
  const kind = kindOf(task.taskType)
  if (kind.completion === 'ready' || kind.countField === undefined) return READY
  const count = positiveInteger(task[kind.countField], 1)
  if (count === undefined) return `${kind.countField} must be an integer from 1 to ${MAX_RESULTS}`
  return COUNTS[count] ?? { kind: 'count', count }
}

// ---- admission ----

export interface PreparedTask {
  taskUUID: string
  taskType: string
  /** `deliveryMethod: "async"`: results are collected with getResponse after an acknowledgement. */
  async: boolean
  /** `deliveryMethod: "stream"`: its text arrives in pieces (TextDelta) before its one result item. */
  stream: boolean
  /** True when the id was generated here (it cannot already be pending). */
  generated: boolean
  wire: WireTask
  /** Its concurrency lane's key: `model` when a non-empty string (at most MAX_MODEL_KEY characters), else `taskType`. */
  model: string
  completion: Completion
  kind: TaskKind
  /** `run`'s `meta` as JSON text (kept with the journal entry). */
  meta?: string | undefined
  /** `run`'s `idempotencyKey` (the taskUUID is derived from it). */
  idempotencyKey?: string | undefined
}

/** A lane key longer than this is cut (the model string is the caller's). */
export const MAX_MODEL_KEY = 256

/** What `run`'s options fix about the task itself. */
export interface Fixed {
  /** The taskUUID an idempotency key derives; a task naming another is refused. */
  readonly taskUUID?: string | undefined
  readonly meta?: string | undefined
  readonly idempotencyKey?: string | undefined
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
/** What the client lets a task ask for: `includeCost` for every task; `streams`: the transport serves `deliveryMethod: "stream"`. */
export interface Admission {
  readonly includeCost?: boolean | undefined
  readonly streams?: boolean | undefined
}

export function prepareTask(input: unknown, isPending: (taskUUID: string) => boolean, fixed?: Fixed, admission: Admission = {}): PreparedTask | RunwareError {
  try {
    const prepared = prepare(input, isPending, fixed?.taskUUID, admission)
    if (fixed !== undefined && !(prepared instanceof Error)) {
      prepared.meta = fixed.meta
      prepared.idempotencyKey = fixed.idempotencyKey
    }
    return prepared
  } catch (error) {
    // A getter, a Proxy trap or a nested toJSON of the caller's threw while we read the task.
    return invalid(`the task could not be read: ${describeThrown(error)}`)
  }
}

/**
 * The task's own enumerable fields, each read once: what JSON.stringify would send, `taskUUID`
 * first (the server and a reader of the wire see the id lead).
 */
function snapshot(input: object): Record<string, unknown> | string {
  const copy: Record<string, unknown> = { taskUUID: undefined }
  for (const key of Object.keys(input)) {
    if (UNSAFE_KEYS.has(key)) return `a task must not have a "${key}" field`
    copy[key] = (input as Record<string, unknown>)[key]
  }
  return copy
}

/** Every field a primitive: the snapshot cannot change, and encoding it cannot fail. */
function isFlat(copy: Record<string, unknown>): boolean {
  for (const key in copy) {
    const value = copy[key]
    if (value !== null && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean' && value !== undefined) return false
  }
  return true
}

function prepare(input: unknown, isPending: (taskUUID: string) => boolean, fixedUUID: string | undefined, admission: Admission): PreparedTask | RunwareError {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return invalid(`a task must be a plain object, got ${describe(input)}`)
  }
  if (typeof (input as { toJSON?: unknown }).toJSON === 'function') return invalid('a task must be a plain object, got one with a toJSON method')
  const given = snapshot(input)
  if (typeof given === 'string') return invalid(given)
  // The client's includeCost: a task that says nothing of it asks for its cost.
  if (admission.includeCost === true && given.includeCost === undefined) given.includeCost = true
  const taskType = given.taskType
  if (typeof taskType !== 'string' || taskType === '') {
    return invalid(`task.taskType must be a non-empty string, got ${describe(taskType)}`)
  }
  if (RESERVED_TASK_TYPES.has(taskType)) {
    return invalid(`taskType "${taskType}" is managed by the client and cannot be run`, undefined, taskType)
  }
  let taskUUID = given.taskUUID
  if (fixedUUID !== undefined) {
    if (taskUUID !== undefined && (typeof taskUUID !== 'string' || taskUUID.toLowerCase() !== fixedUUID)) {
      return invalid(`the idempotency key gives taskUUID ${fixedUUID}, but the task names another: pass one or the other`, undefined, taskType)
    }
    taskUUID = given.taskUUID = fixedUUID
  }
  const generated = taskUUID === undefined
  if (generated) {
    taskUUID = given.taskUUID = randomTaskUUID()
  } else if (!isUUID(taskUUID)) {
    return invalid(`task.taskUUID must be a UUID, got ${typeof taskUUID === 'string' ? JSON.stringify(taskUUID) : describe(taskUUID)}`, undefined, taskType)
  } else if (isPending(taskUUID)) {
    return invalid(`taskUUID ${taskUUID} is already pending`, taskUUID, taskType)
  }
  const uuid = taskUUID as string
  const delivery = given.deliveryMethod
  const stream = delivery === 'stream'
  if (stream && taskType !== 'textInference') return invalid('task.deliveryMethod "stream" is for textInference only', uuid, taskType)
  if (stream && admission.streams !== true) {
    return invalid(`task.deliveryMethod "stream" is served over HTTP only (server-sent events): give the client transport: 'http'`, uuid, taskType)
  }
  if (delivery !== undefined && delivery !== 'sync' && delivery !== 'async' && !stream) {
    return invalid(`task.deliveryMethod must be "sync", "async" or (over HTTP) "stream", got ${JSON.stringify(delivery)}`, uuid, taskType)
  }
  const completion = completionOf(given as Task)
  if (typeof completion === 'string') return invalid(`task.${completion}`, uuid, taskType)
  let wire: WireTask = given
  if (!isFlat(given)) {
    // Nested values are the caller's and may change, or fail to encode: fix them as text now.
    try {
      wire = flatten(JSON.stringify(given))
    } catch (error) {
      return invalid(`task cannot be encoded as JSON: ${describeThrown(error)}`, uuid, taskType)
    }
  }
  const model = typeof given.model === 'string' && given.model !== '' ? given.model.slice(0, MAX_MODEL_KEY) : taskType
  return { taskUUID: uuid, taskType, async: delivery === 'async', stream, generated, wire, model, completion, kind: kindOf(taskType) }
}

/** A standard AbortSignal, or anything shaped like one (a polyfill's). */
function isAbortSignal(value: unknown): boolean {
  const candidate = value as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown } | null
  return (
    typeof value === 'object' &&
    candidate !== null &&
    typeof candidate.aborted === 'boolean' &&
    typeof candidate.addEventListener === 'function' &&
    typeof candidate.removeEventListener === 'function'
  )
}

/** Checks `run`'s second argument; undefined when it is fine. */
export function checkRunOptions(options: unknown): RunwareError | undefined {
  if (options === undefined) return undefined
  if (typeof options !== 'object' || options === null) return invalid(`run options must be an object, got ${describe(options)}`)
  const { signal, timeoutMs, onResult, onProgress, onDelta, idempotencyKey, parentContext } = options as Record<string, unknown>
  if (signal !== undefined && !isAbortSignal(signal)) return invalid('options.signal must be an AbortSignal')
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    return invalid(`options.timeoutMs must be a positive number, got ${typeof timeoutMs === 'number' ? timeoutMs : describe(timeoutMs)}`)
  }
  if (onResult !== undefined && typeof onResult !== 'function') return invalid('options.onResult must be a function')
  if (onProgress !== undefined && typeof onProgress !== 'function') return invalid('options.onProgress must be a function')
  if (onDelta !== undefined && typeof onDelta !== 'function') return invalid('options.onDelta must be a function')
  if (
    idempotencyKey !== undefined &&
    !(typeof idempotencyKey === 'string' && idempotencyKey.length > 0 && idempotencyKey.length <= MAX_IDEMPOTENCY_KEY_LENGTH)
  ) {
    return invalid(`options.idempotencyKey must be a non-empty string of at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`)
  }
  if (
    parentContext !== undefined &&
    !(typeof parentContext === 'object' && parentContext !== null && 'getValue' in parentContext && typeof parentContext.getValue === 'function')
  )
    return invalid("options.parentContext must be an OpenTelemetry Context (@opentelemetry/api's context.active(), trace.setSpan(…))")
  return undefined
}

/** `meta` is kept as JSON text beside the task: bounded, because every entry is written before its task is sent. */
export const MAX_META_LENGTH = 65_536

/** `run`'s `meta` as JSON text, or why it cannot be kept. */
export function encodeMeta(meta: unknown): string | RunwareError | undefined {
  if (meta === undefined) return undefined
  let text: unknown
  try {
    text = JSON.stringify(meta)
  } catch (error) {
    return invalid(`options.meta cannot be encoded as JSON: ${describeThrown(error)}`)
  }
  if (typeof text !== 'string') return invalid(`options.meta must be a JSON value, got ${describe(meta)}`)
  if (text.length > MAX_META_LENGTH) return invalid(`options.meta must encode to at most ${MAX_META_LENGTH} characters of JSON, got ${text.length}`)
  return text
}

/** What `run`'s `meta` and `idempotencyKey` fix about the task (checked by checkRunOptions first). */
export function fixedOf(
  options: { readonly meta?: unknown; readonly idempotencyKey?: string | undefined },
  namespace: string,
): Fixed | RunwareError | undefined {
  const { meta, idempotencyKey } = options
  if (meta === undefined && idempotencyKey === undefined) return undefined
  const text = encodeMeta(meta)
  if (text instanceof RunwareError) return text
  return { taskUUID: idempotencyKey === undefined ? undefined : keyedTaskUUID(namespace, idempotencyKey), meta: text, idempotencyKey }
}
