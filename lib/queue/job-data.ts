/**
 * What a fleet job holds in Redis, and the one place it is read back. Redis is shared by every
 * worker and whatever else can write to it, so the data is checked like a server frame: a job
 * whose data is not what `RunwareQueue.add` wrote fails with `invalidTask`, it never reaches the
 * socket half-read.
 */
import { RunwareError, type RunwareErrorInit } from '../support/errors.js'
import type { ErrorCategory } from '../recovery/codes.js'
import { isUUID, type Task } from '../protocol/protocol.js'
import { readTraceCarrier, type TraceCarrier } from '../telemetry/propagation.js'

/** The queue's name when none is given. */
export const DEFAULT_QUEUE = 'runware'

/** The BullMQ job name every job carries. */
export const JOB_NAME = 'runware-task'

/** A job's data: the task, and every taskUUID it was sent under. */
export interface RunwareJobData {
  /** The task as enqueued; its `taskUUID` is the first one it was sent under. */
  readonly task: Task
  /**
   * Every taskUUID the task went out under (or is about to: an id is recorded before it is sent),
   * oldest first. The last is the current one: a job resumed after its worker died runs under it.
   */
  readonly taskUUIDs: readonly string[]
  /** The error of the last failed attempt: code, category and message survive the queue. */
  readonly error?: StoredError | undefined
  /** The producer's trace context (W3C), when it enqueued the task inside a span. */
  readonly trace?: TraceCarrier | undefined
}

/** A RunwareError as a job keeps it (never the API key: the client already scrubbed it). */
export interface StoredError {
  readonly code: string
  readonly category: ErrorCategory
  readonly retryable: boolean
  readonly message: string
  readonly parameter?: string | string[] | undefined
  readonly taskType?: string | undefined
  readonly taskUUID?: string | undefined
}

export function storeError(error: RunwareError): StoredError {
  const stored: { -readonly [K in keyof StoredError]: StoredError[K] } = {
    code: error.code,
    category: error.category,
    retryable: error.retryable,
    message: error.message,
  }
  if (error.parameter !== undefined) stored.parameter = error.parameter
  if (error.taskType !== undefined) stored.taskType = error.taskType
  if (error.taskUUID !== undefined) stored.taskUUID = error.taskUUID
  return stored
}

/** The error as it was, code and category included, rebuilt on the side that reads the result. */
export function restoreError(stored: StoredError): RunwareError {
  const init: RunwareErrorInit = {
    code: stored.code,
    message: stored.message,
    parameter: stored.parameter,
    taskType: stored.taskType,
    taskUUID: stored.taskUUID,
    classification: { category: stored.category, action: stored.retryable ? 'retry' : 'reject', connection: 'none', retryable: stored.retryable },
  }
  return new RunwareError(init)
}

const CATEGORIES: ReadonlySet<string> = new Set<ErrorCategory>([
  'auth',
  'quota',
  'validation',
  'safety',
  'notFound',
  'rateLimit',
  'timeout',
  'provider',
  'server',
  'conflict',
  'connection',
  'client',
  'unknown',
])

/** A bound on what a job may hold: the history grows by one id per fresh submission. */
const MAX_TASK_UUIDS = 1_000

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function readError(value: unknown): StoredError | undefined {
  if (!isRecord(value)) return undefined
  const { code, category, retryable, message } = value
  if (typeof code !== 'string' || typeof message !== 'string' || typeof retryable !== 'boolean' || typeof category !== 'string' || !CATEGORIES.has(category))
    return undefined
  const parameter =
    typeof value.parameter === 'string' || (Array.isArray(value.parameter) && value.parameter.every((p) => typeof p === 'string')) ? value.parameter : undefined
  return {
    code,
    category: category as ErrorCategory,
    retryable,
    message,
    parameter,
    taskType: typeof value.taskType === 'string' ? value.taskType : undefined,
    taskUUID: typeof value.taskUUID === 'string' ? value.taskUUID : undefined,
  }
}

/** The job's data, or why it is not a job this library wrote. */
export function readJobData(value: unknown): RunwareJobData | string {
  if (!isRecord(value)) return 'the job data is not an object'
  const { task, taskUUIDs } = value
  if (!isRecord(task) || typeof task.taskType !== 'string' || task.taskType === '') return 'the job data has no task with a taskType'
  if (!Array.isArray(taskUUIDs) || taskUUIDs.length === 0 || taskUUIDs.length > MAX_TASK_UUIDS || !taskUUIDs.every(isUUID))
    return 'the job data has no list of taskUUIDs'
  if (task.taskUUID !== taskUUIDs[0]) return "the job data's task is not under its first taskUUID"
  const data: RunwareJobData = { task: task as Task, taskUUIDs: taskUUIDs, error: readError(value.error) }
  const trace = readTraceCarrier(value.trace)
  return trace === undefined ? data : { ...data, trace }
}

/** The error a job's data records, read on its own: a job refused for bad data still has one. */
export function readJobError(value: unknown): StoredError | undefined {
  return isRecord(value) ? readError(value.error) : undefined
}

/** The taskUUID the job's task goes out under now. */
export function currentTaskUUID(data: RunwareJobData): string {
  return data.taskUUIDs[data.taskUUIDs.length - 1] ?? String(data.task.taskUUID)
}
