/**
 * Inbound frames. `parseFrame` never throws: a frame is either a normalised Envelope (with the
 * items it had to skip listed in `issues`) or a FrameError saying why the whole frame was
 * unusable. Nothing the server sends is walked recursively: one iterative walk per item bounds
 * its depth.
 */
import type { DataItem, Envelope, ErrorItem, FrameIssue, ParsedFrame } from './protocol.js'

/** Keys that could reach an object's prototype if a consumer ever merged the value with Object.assign. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** Legacy `errorId` for an invalid API key (sdk-go, sdk-python). */
const LEGACY_INVALID_API_KEY = 19

const EXCERPT_LENGTH = 120

type JsonObject = Record<string, unknown>

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function excerpt(text: string): string {
  return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH)}…` : text
}

/**
 * How deep a frame may nest (the envelope is level 1, `data` 2, an item 3). Runware's results nest
 * a few levels (modelSearch: results → capabilities). Routing needs only an item's top-level
 * fields, so the bound is not about routing: it keeps what the caller receives walkable
 * (JSON.stringify, a deep copy) without overflowing a stack. It is checked item by item: an item
 * deeper than this is refused on its own, the rest of its frame still counts, and a task it named
 * fails at once (protocolError) instead of waiting for its deadline.
 */
export const MAX_FRAME_DEPTH = 64

/** The same bound from an item's own level (1): an item sits at level 3 of its frame. */
const MAX_ITEM_DEPTH = MAX_FRAME_DEPTH - 2

/**
 * One walk of an item, without recursion: false when it nests deeper than MAX_ITEM_DEPTH. Own
 * `__proto__`, `constructor` and `prototype` keys (JSON.parse makes them plain fields) are dropped
 * on the way, so no consumer that merges an item can reach a prototype.
 */
function inspectItem(root: object, issues: FrameIssue[]): boolean {
  // Level by level: the depth is the loop's count, never stored per node.
  let level: object[] = [root]
  for (let depth = 1; level.length > 0; depth += 1) {
    if (depth > MAX_ITEM_DEPTH) return false
    const next: object[] = []
    for (const node of level) {
      if (Array.isArray(node)) {
        for (const child of node as unknown[]) if (typeof child === 'object' && child !== null) next.push(child)
        continue
      }
      const fields = node as JsonObject
      for (const key in fields) {
        const child = fields[key]
        // A dropped value is still walked: its depth counts, and so does what else it hid.
        if (typeof child === 'object' && child !== null) next.push(child)
        if (UNSAFE_KEYS.has(key)) {
          Reflect.deleteProperty(fields, key)
          issues.push({ reason: 'unsafeKey', message: `dropped key "${key}"` })
        }
      }
    }
    level = next
  }
  return true
}

/**
 * Walks every item of the frame's parts once (data, errors, a legacy envelope), bounded; returns
 * the items refused for nesting too deep, each reported with the task it named, if it named one.
 */
function inspectParts(parts: readonly unknown[], issues: FrameIssue[]): ReadonlySet<unknown> {
  const refused = new Set<unknown>()
  const check = (item: unknown, what: string): void => {
    if (typeof item !== 'object' || item === null || inspectItem(item, issues)) return
    refused.add(item)
    const named = Array.isArray(item) ? undefined : (item as JsonObject).taskUUID
    const issue: FrameIssue = { reason: 'tooDeep', message: `${what} nests deeper than ${MAX_FRAME_DEPTH} levels of its frame` }
    if (typeof named === 'string') issue.taskUUID = named
    issues.push(issue)
  }
  for (const part of parts) {
    if (!isObject(part)) continue
    // The envelope is never handed out, but its own unsafe keys go too: only its fields are read.
    for (const key of UNSAFE_KEYS) {
      if (!Object.hasOwn(part, key)) continue
      Reflect.deleteProperty(part, key)
      issues.push({ reason: 'unsafeKey', message: `dropped key "${key}"` })
    }
    if (part.error === true) {
      check(part, 'an error envelope')
      continue
    }
    for (const item of toList(part.data)) check(item, 'a data item')
    // check() passes over what is not an object: a bad `errors` field is addEnvelope's to report.
    for (const key of ['errors', 'error'] as const) for (const item of toList(part[key])) check(item, 'an error item')
  }
  return refused
}

function toList(value: unknown): unknown[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}

function normaliseDataItem(value: unknown, issues: FrameIssue[]): DataItem | undefined {
  if (!isObject(value)) {
    issues.push({ reason: 'itemNotObject', message: `data item is ${describe(value)}, not an object` })
    return undefined
  }
  if (value.taskUUID !== undefined && typeof value.taskUUID !== 'string') {
    issues.push({ reason: 'badField', message: `data item taskUUID is ${describe(value.taskUUID)}` })
    return undefined
  }
  if (value.taskType !== undefined && typeof value.taskType !== 'string') {
    const issue: FrameIssue = { reason: 'badField', message: `data item taskType is ${describe(value.taskType)}` }
    if (typeof value.taskUUID === 'string') issue.taskUUID = value.taskUUID
    issues.push(issue)
    return undefined
  }
  return value
}

function isParameter(value: unknown): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.every((entry) => typeof entry === 'string'))
}

/** Makes an error object safe to read: string `code` and `message`, a well-typed `parameter`. */
export function normaliseErrorItem(value: unknown, issues: FrameIssue[]): ErrorItem | undefined {
  if (!isObject(value)) {
    issues.push({ reason: 'itemNotObject', message: `error item is ${describe(value)}, not an object` })
    return undefined
  }
  const hasCode = typeof value.code === 'string' && value.code !== ''
  // An error we cannot classify is never retried (it might be billed twice).
  if (!hasCode) issues.push({ reason: 'badField', message: `error item code is ${describe(value.code)}` })
  const code = hasCode ? (value.code as string) : 'protocolError'
  const item: ErrorItem = { ...value, code, message: typeof value.message === 'string' ? value.message : code }
  if (value.parameter !== undefined && !isParameter(value.parameter)) {
    issues.push({ reason: 'badField', message: `error parameter is ${describe(value.parameter)}` })
    delete item.parameter
  }
  for (const field of ['taskUUID', 'taskType', 'documentation'] as const) {
    if (value[field] !== undefined && typeof value[field] !== 'string') {
      issues.push({ reason: 'badField', message: `error ${field} is ${describe(value[field])}` })
      Reflect.deleteProperty(item, field)
    }
  }
  return item
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${excerpt(typeof value === 'string' ? value : JSON.stringify(value))}`
}

function legacyError(value: JsonObject): ErrorItem {
  const errorId = value.errorId
  const message = typeof value.errorMessage === 'string' ? value.errorMessage : 'authentication failed'
  return {
    ...value,
    code: errorId === LEGACY_INVALID_API_KEY ? 'invalidApiKey' : 'legacyError',
    message,
    taskType: 'authentication',
  }
}

function addEnvelope(value: JsonObject, into: Envelope, refused: ReadonlySet<unknown>): void {
  if (value.error === true) {
    if (refused.has(value)) return
    into.legacy = true
    into.errors.push(legacyError(value))
    return
  }
  if (value.data !== undefined && typeof value.data !== 'object') {
    into.issues.push({ reason: 'badEnvelopeField', message: `data is ${describe(value.data)}` })
  } else {
    for (const raw of toList(value.data)) {
      if (refused.has(raw)) continue
      const item = normaliseDataItem(raw, into.issues)
      if (item) into.data.push(item)
    }
  }
  for (const key of ['errors', 'error'] as const) {
    const field = value[key]
    if (field === undefined || field === null) continue
    if (typeof field !== 'object') {
      into.issues.push({ reason: 'badEnvelopeField', message: `${key} is ${describe(field)}` })
      continue
    }
    for (const raw of toList(field)) {
      if (refused.has(raw)) continue
      const item = normaliseErrorItem(raw, into.issues)
      if (item) into.errors.push(item)
    }
  }
}

/** Parses one inbound text frame. Never throws. */
export function parseFrame(text: string): ParsedFrame {
  const issues: FrameIssue[] = []
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, error: { reason: 'notJson', message: 'frame is not valid JSON', excerpt: excerpt(text) } }
  }
  // Some official clients accept an array-wrapped envelope; so do we, when every element is one.
  const parts: unknown[] = Array.isArray(value) && value.length > 0 && value.every(isObject) ? value : [value]
  // Only the items are walked (their depth bounded); other envelope fields are never read.
  const refused = inspectParts(parts, issues)
  const envelope: Envelope = { data: [], errors: [], issues, legacy: false }
  for (const part of parts) {
    if (!isObject(part)) {
      return {
        ok: false,
        error: { reason: 'notObject', message: `frame is ${describe(part)}, not an object`, excerpt: excerpt(text) },
      }
    }
    addEnvelope(part, envelope, refused)
  }
  // A frame whose only items were refused still counts when one named a task: that task fails.
  const named = issues.some((issue) => issue.taskUUID !== undefined)
  if (envelope.data.length === 0 && envelope.errors.length === 0 && !named && !hasEmptyData(parts)) {
    const message = issues.length > 0 ? issues.map((i) => i.message).join('; ') : 'frame has neither data nor errors'
    return { ok: false, error: { reason: 'emptyEnvelope', message, excerpt: excerpt(text) } }
  }
  return { ok: true, envelope }
}

/** `{"data": []}` is a real answer (an unknown getResponse), not a malformed frame. */
function hasEmptyData(parts: readonly unknown[]): boolean {
  return parts.some((part) => isObject(part) && Array.isArray(part.data) && part.data.length === 0)
}
