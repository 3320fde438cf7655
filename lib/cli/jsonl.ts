/**
 * JSON Lines in, for `run` and `enqueue`: input read lazily line by line, stable ids for lines
 * without a taskUUID, each line parsed into a task or a reason it is not one.
 */
import { createHash } from 'node:crypto'
import type { Task } from '../protocol/protocol.js'

export interface Line {
  /** 1-based; blank lines count. */
  number: number
  /** Without the line break (`\n` or `\r\n`) and, on line 1, without a UTF-8 byte order mark. */
  text: string
  /** Byte offset just past this line (past its `\n`, or the end of the input). */
  end: number
  /** False for a last line with no `\n` after it. */
  terminated: boolean
}

const NEWLINE = 0x0a

/** Splits a byte stream into lines as it is read: memory holds one chunk and one line, not the file. */
export async function* readLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<Line, void, undefined> {
  let pending: Buffer[] = []
  let offset = 0
  let number = 0
  const make = (bytes: Buffer, terminated: boolean): Line => {
    number += 1
    offset += bytes.length + (terminated ? 1 : 0)
    let text = bytes.toString('utf8')
    if (text.endsWith('\r')) text = text.slice(0, -1)
    if (number === 1 && text.startsWith('\uFEFF')) text = text.slice(1)
    return { number, text, end: offset, terminated }
  }
  for await (const piece of input) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece
    let start = 0
    for (let index = chunk.indexOf(NEWLINE); index !== -1; index = chunk.indexOf(NEWLINE, start)) {
      const part = chunk.subarray(start, index)
      const bytes = pending.length === 0 ? part : Buffer.concat([...pending, part])
      pending = []
      yield make(bytes, true)
      start = index + 1
    }
    if (start < chunk.length) pending.push(chunk.subarray(start))
  }
  if (pending.length > 0) yield make(Buffer.concat(pending), false)
}

/**
 * A UUID v4-shaped id derived from a line's text and number, and the run it belongs to: the same
 * line of the same run gets the same taskUUID on every restart, so a resumed batch re-sends the id
 * the server already knows (it answers conflictTaskUUID and the client collects the results
 * instead of paying again), while a new run of the same file (a new output) gets new ids and new
 * results. The number is part of it so that two identical lines stay two tasks. Records written
 * before run ids existed carry none: the empty run id keeps their ids.
 */
export function stableTaskUUID(text: string, lineNumber: number, runId = ''): string {
  const salt = runId === '' ? '' : `${runId}\n`
  const hash = createHash('sha256').update(`runware-socket/run\n${salt}${lineNumber}\n${text}`).digest()
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x40 // version 4
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80 // RFC 4122 variant
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

export type ParsedLine =
  | { kind: 'blank' }
  /** `task.taskUUID` is set (to the stable id) when the line had none. */
  | { kind: 'task'; task: Task; taskUUID: string; taskType: string }
  | { kind: 'bad'; taskUUID: string; message: string }

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

/** One input line → a task to run, a bad line to record as a failure, or a blank line to skip. */
export function parseTaskLine(text: string, lineNumber: number, runId = ''): ParsedLine {
  if (text.trim() === '') return { kind: 'blank' }
  const stable = stableTaskUUID(text, lineNumber, runId)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { kind: 'bad', taskUUID: stable, message: `line ${lineNumber} is not JSON: ${error instanceof Error ? error.message : String(error)}` }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'bad', taskUUID: stable, message: `line ${lineNumber} is not a JSON object (got ${describe(value)})` }
  }
  const fields = value as Record<string, unknown>
  const given = fields.taskUUID
  // A string taskUUID is the task's identity even when malformed: the client then refuses it, and
  // that refusal is recorded under it. Anything else falls back to the stable id.
  const taskUUID = typeof given === 'string' && given !== '' ? given : stable
  const taskType = fields.taskType
  if (typeof taskType !== 'string' || taskType === '') {
    const why = taskType === undefined ? 'has no taskType' : `has a taskType that is not a non-empty string (got ${describe(taskType)})`
    return { kind: 'bad', taskUUID, message: `line ${lineNumber} ${why}` }
  }
  const task: Task = given === undefined ? { ...fields, taskType, taskUUID } : { ...fields, taskType }
  return { kind: 'task', task, taskUUID, taskType }
}

/** A line a batch still has to take on: a task, or a bad line to record. */
export async function countTaskLines(input: AsyncIterable<Buffer | string>): Promise<number> {
  let count = 0
  for await (const line of readLines(input)) if (line.text.trim() !== '') count += 1
  return count
}
