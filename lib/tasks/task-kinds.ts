/**
 * What the client knows about each task type at run time, as one table (the twin of the
 * simulator's PLANNERS): which field asks for a number of results, how the task is known to be
 * complete, which fields identify one output, and which item status means it failed. Types not
 * in the table get DEFAULT_KIND.
 */
import type { LibraryErrorCode } from '../recovery/codes.js'
import type { ResultItem, Task } from '../protocol/protocol.js'

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

/** The field that asks for a number of results, for a retry that asks only for what is missing. */
export function countField(taskType: string): 'numberResults' | 'promptVersions' {
  return kindOf(taskType).countField ?? 'numberResults'
}

/** `status` values of getResponse items (current and older docs, and what sdk-python tolerates). */
export const POLL_STATUSES: ReadonlySet<string> = new Set(['processing', 'pending', 'queued', 'scheduled', 'waiting', 'success', 'error'])

/** The identity of one output (`imageUUID:…`), or undefined when the item carries none. */
export function identityOf(item: ResultItem, kind: TaskKind): string | undefined {
  for (const field of kind.identity) {
    const value = item[field]
    if (typeof value === 'string') return `${field}:${value}`
  }
  return undefined
}

/** Fields that describe delivery, not the output: ignored when comparing items without an id. */
const DELIVERY_FIELDS = new Set(['progress', 'taskUUID'])

/**
 * A key equal for two copies of the same output and different for different outputs, as far as
 * the content can tell: the id when there is one, else the content without delivery fields. Specs
 * use it to check results; the client dedupes by `identityOf` only (equal content is not a replay).
 */
export function itemKey(item: ResultItem): string {
  const id = identityOf(item, DEFAULT_KIND)
  if (id !== undefined) return id
  const rest: Record<string, unknown> = {}
  for (const key of Object.keys(item).sort()) {
    if (DELIVERY_FIELDS.has(key)) continue
    // A poll status says how the item was delivered; any other status (modelUpload's stages) is content.
    if (key === 'status' && typeof item.status === 'string' && POLL_STATUSES.has(item.status)) continue
    rest[key] = item[key]
  }
  return JSON.stringify(rest)
}
