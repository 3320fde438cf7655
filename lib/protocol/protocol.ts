/**
 * The Runware WebSocket wire format (see docs/protocol.md): what goes out is always a
 * JSON array of task objects; what comes in is an object with `data` and/or `errors` (or a
 * singular `error`, or the legacy `{error: true, errorId, errorMessage}` auth failure).
 *
 * This file holds the wire types, the task ids and the outbound side; parse.ts reads inbound frames.
 */
import { randomFillSync } from 'node:crypto'

export const DEFAULT_URL = 'wss://ws-api.runware.ai/v1'
/** Runware's REST endpoint (docs/protocol.md §1): the same array of tasks, `Authorization: Bearer <key>`. */
export const DEFAULT_HTTP_URL = 'https://api.runware.ai/v1'

/** A task as sent to Runware: a plain object with at least `taskType`. */
export interface Task {
  taskType: string
  taskUUID?: string
  [field: string]: unknown
}

/** One `data` item as received. Auth replies and pongs carry no `taskUUID`. */
export interface DataItem {
  taskType?: string
  taskUUID?: string
  [field: string]: unknown
}

/** A result item delivered to a caller: always names its task. */
export interface ResultItem {
  taskType: string
  taskUUID: string
  [field: string]: unknown
}

/** One server error object, normalised: `code` and `message` are always strings. */
export interface ErrorItem {
  code: string
  message: string
  /** The offending request field; an array for cross-field violations. */
  parameter?: string | string[]
  taskType?: string
  taskUUID?: string
  documentation?: string
  [field: string]: unknown
}

export interface Envelope {
  data: DataItem[]
  errors: ErrorItem[]
  /** Parts of the frame that were malformed and skipped; the rest of the frame still counts. */
  issues: FrameIssue[]
  /** True for the legacy `{error: true, errorId, errorMessage}` shape. */
  legacy: boolean
}

export type FrameIssueReason = 'itemNotObject' | 'badField' | 'unsafeKey' | 'badEnvelopeField' | 'tooDeep'

export interface FrameIssue {
  reason: FrameIssueReason
  message: string
  /** The task a skipped item named (its top-level taskUUID, when readable): it fails at once. */
  taskUUID?: string
}

export type FrameErrorReason = 'notJson' | 'notObject' | 'emptyEnvelope' | 'tooDeep'

/** Why a whole inbound frame could not be used. */
export interface FrameError {
  reason: FrameErrorReason
  message: string
  /** The start of the offending text, for logs. */
  excerpt: string
}

export type ParsedFrame = { ok: true; envelope: Envelope } | { ok: false; error: FrameError }

/** Encodes one task; throws a TypeError for values JSON cannot represent (BigInt, cycles). */
export function encodeTask(task: Task): string {
  return flatten(JSON.stringify(task))
}

/**
 * The client keeps an encoded task for every pending task. V8 may hold a string as a rope of
 * pieces (about 100 bytes more per task); reading a character makes it one flat copy.
 */
export function flatten(text: string): string {
  text.charCodeAt(text.length - 1)
  return text
}

/**
 * A task as the client keeps it until it is sent: the snapshot itself when every field is a
 * primitive (nothing in it can change or fail to encode, so a frame is encoded once, from all its
 * tasks together), or its JSON text, fixed at admission, when a field holds an object or an array.
 */
export type WireTask = Readonly<Record<string, unknown>> | string

/** The same task under another id, asking for `count` results when given (a retry asks only for the missing ones). */
export function rewire(task: WireTask, taskUUID: string, count?: { field: string; value: number }): WireTask {
  if (typeof task !== 'string') return count === undefined ? { ...task, taskUUID } : { ...task, taskUUID, [count.field]: count.value }
  // Parsing our own output is safe: it never came from the server.
  const parsed = JSON.parse(task) as Task
  parsed.taskUUID = taskUUID
  if (count !== undefined) parsed[count.field] = count.value
  return encodeTask(parsed)
}

/** One outbound frame: one JSON.stringify for a run of snapshots, the text of an encoded task as it is. */
export function encodeFrame(tasks: readonly WireTask[]): string {
  let texts = 0
  for (const task of tasks) if (typeof task === 'string') texts += 1
  if (texts === 0) return JSON.stringify(tasks)
  if (texts === tasks.length) return joinEncoded(tasks as readonly string[])
  const parts: string[] = []
  let snapshots: WireTask[] = []
  for (const task of tasks) {
    if (typeof task !== 'string') {
      snapshots.push(task)
      continue
    }
    if (snapshots.length > 0) parts.push(JSON.stringify(snapshots).slice(1, -1))
    snapshots = []
    parts.push(task)
  }
  if (snapshots.length > 0) parts.push(JSON.stringify(snapshots).slice(1, -1))
  return joinEncoded(parts)
}

/** Joins tasks encoded by `encodeTask` into one outbound frame. */
export function joinEncoded(encoded: readonly string[]): string {
  return `[${encoded.join(',')}]`
}

/** One outbound frame from a batch of tasks. */
export function encodeTasks(tasks: readonly Task[]): string {
  return JSON.stringify(tasks)
}

export const PING_FRAME = '[{"taskType":"ping","ping":true}]'

export function authFrame(apiKey: string, connectionSessionUUID?: string): string {
  // An undefined session is left out of the JSON.
  return encodeTasks([{ taskType: 'authentication', apiKey, connectionSessionUUID }])
}

export function getResponseTask(taskUUID: string): Task {
  return { taskType: 'getResponse', taskUUID }
}

export function isPong(item: DataItem): boolean {
  return item.taskType === 'ping' && item.pong === true
}

export function isAuthReply(item: DataItem): boolean {
  return item.taskType === 'authentication'
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUUID(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value)
}

/** `status` values of getResponse items (current and older docs, and what sdk-python tolerates). */
export const POLL_STATUSES: ReadonlySet<string> = new Set(['processing', 'pending', 'queued', 'scheduled', 'waiting', 'success', 'error'])

/** A getResponse answer's item carries a poll `status`; a pushed result does not. */
export function isPollItem(item: DataItem): boolean {
  const status = item.status
  return typeof status === 'string' && POLL_STATUSES.has(status)
}

/**
 * Random UUID v4 task ids (the id every task the client names itself gets), as flat strings. `crypto.randomUUID()` builds its answer from a dozen
 * pieces, which V8 keeps as a rope (about 450 bytes held per pending task until flattened, and a
 * flatten per id); writing the 36 characters into a buffer and reading them out once gives a flat
 * 36-byte string at under half the cost. The randomness is the same: crypto's, drawn in blocks.
 */
const IDS_PER_DRAW = 256
const random = Buffer.alloc(16 * IDS_PER_DRAW)
const text = Buffer.alloc(36)
const HEX = Buffer.from('0123456789abcdef', 'latin1')
let next = IDS_PER_DRAW

export function randomTaskUUID(): string {
  if (next === IDS_PER_DRAW) {
    randomFillSync(random)
    next = 0
  }
  const from = 16 * next++
  let at = 0
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = 0x2d
    let byte = random[from + i] ?? 0
    // The version (4) and the variant (10xx) bits of RFC 9562.
    if (i === 6) byte = (byte & 0x0f) | 0x40
    else if (i === 8) byte = (byte & 0x3f) | 0x80
    text[at++] = HEX[byte >> 4] ?? 0
    text[at++] = HEX[byte & 0x0f] ?? 0
  }
  return text.toString('latin1', 0, 36)
}
