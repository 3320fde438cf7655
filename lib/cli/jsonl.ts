/**
 * JSON Lines for `run`: reading input lazily, stable ids for lines without a taskUUID, the output
 * records, and reading an existing output file back to resume a batch (a truncated last line,
 * left by a kill in the middle of a write, is tolerated and cut off).
 */
import { createHash } from 'node:crypto'
import { closeSync, createReadStream, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs'
import type { Task } from '../protocol.js'
import type { Output } from './io.js'

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
export type PendingLine = { line: number } & Exclude<ParsedLine, { kind: 'blank' }>

/** The input's lines, parsed; blank lines dropped, lines already recorded counted with `skipped` and dropped. */
export async function* pendingLines(source: AsyncIterable<Buffer | string>, recorded: Recorded, runId: string, skipped: () => void): AsyncGenerator<PendingLine, void, undefined> {
  for await (const line of readLines(source)) {
    const parsed = parseTaskLine(line.text, line.number, runId)
    if (parsed.kind === 'blank') continue
    if (isRecorded(recorded, line.number, parsed.taskUUID)) skipped()
    else yield { line: line.number, ...parsed }
  }
}

export interface OkRecord {
  /** The run the record belongs to (its ids derive from it); a restart with the same output keeps it. */
  run?: string
  line: number
  taskUUID: string
  taskType: string
  status: 'ok'
  results: readonly unknown[]
}

export interface ErrorRecord {
  run?: string
  line: number
  taskUUID: string
  taskType?: string
  status: 'error'
  code: string
  message: string
  parameter?: string | string[]
}

/**
 * The first line of a new output file: the run its task ids derive from, written before any task
 * is sent, so a restart after a kill that left no record yet still sends the same ids.
 */
export interface RunRecord {
  run: string
  started: string
}

export type OutputRecord = OkRecord | ErrorRecord | RunRecord

/** What an existing output file already holds. */
export interface Recorded {
  /** The run id the existing records carry (undefined: none yet, or records from before run ids). */
  runId: string | undefined
  taskUUIDs: Set<string>
  /** Line numbers of records that carry no taskUUID (not written by this tool, but tolerated). */
  lines: Set<number>
  ok: number
  failed: number
  /** Byte length of the complete lines; anything after it is a partial record. */
  validBytes: number
  /** The file ended in the middle of a record (killed mid-write). */
  partialTail: boolean
  /** Line numbers (in the output file) of complete lines that are not records; kept, never counted. */
  unreadable: number[]
}

export function emptyRecorded(): Recorded {
  return { runId: undefined, taskUUIDs: new Set(), lines: new Set(), ok: 0, failed: 0, validBytes: 0, partialTail: false, unreadable: [] }
}

/** Reads a previous run's output; a missing file is an empty one. */
export async function readRecorded(path: string): Promise<Recorded> {
  const recorded = emptyRecorded()
  const stream = createReadStream(path)
  try {
    for await (const line of readLines(stream)) {
      if (!line.terminated) {
        recorded.partialTail = true
        break
      }
      recorded.validBytes = line.end
      if (line.text.trim() === '') continue
      if (!addRecord(recorded, line.text)) recorded.unreadable.push(line.number)
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyRecorded()
    throw new Error(`cannot read ${path}: ${fileProblem(error)}`, { cause: error })
  } finally {
    stream.destroy()
  }
  return recorded
}

/** Counts one output line; false when it is not a record. */
export function addRecord(recorded: Recorded, text: string): boolean {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return false
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const { taskUUID, line, status, run } = value as Record<string, unknown>
  if (typeof run === 'string' && run !== '') recorded.runId ??= run
  // The run line: no task of its own.
  if (status === undefined && typeof run === 'string') return true
  if (status !== 'ok' && status !== 'error') return false
  let fresh: boolean
  if (typeof taskUUID === 'string' && taskUUID !== '') {
    fresh = !recorded.taskUUIDs.has(taskUUID)
    recorded.taskUUIDs.add(taskUUID)
  } else if (typeof line === 'number' && Number.isInteger(line)) {
    fresh = !recorded.lines.has(line)
    recorded.lines.add(line)
  } else {
    return false
  }
  if (fresh) {
    if (status === 'ok') recorded.ok += 1
    else recorded.failed += 1
  }
  return true
}

/** Whether an input line already has its record (so a restart skips it). */
export function isRecorded(recorded: Recorded, lineNumber: number, taskUUID: string): boolean {
  return recorded.taskUUIDs.has(taskUUID) || recorded.lines.has(lineNumber)
}

export interface RecordSink {
  /** Written through at once: a kill after it returns cannot lose the record. */
  write(record: OutputRecord): void
  close(): void
}

/**
 * Appends to a file, one write(2) per record: a kill -9 leaves at most one partial last line,
 * which the next run cuts off (`validBytes`) before appending.
 */
/** Why a file could not be opened, in words (the output's errors end the run with exit 3). */
export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  const words: Record<string, string> = { ENOENT: 'its directory does not exist', EACCES: 'permission denied', EPERM: 'permission denied', EISDIR: 'it is a directory', ENOTDIR: 'a part of its path is not a directory' }
  return (code === undefined ? undefined : words[code]) ?? (error instanceof Error ? error.message : String(error))
}

export function openRecordFile(path: string, validBytes: number): RecordSink {
  let fd: number
  try {
    fd = openSync(path, 'a')
  } catch (error) {
    throw new Error(`cannot open ${path} for appending: ${fileProblem(error)}`, { cause: error })
  }
  try {
    if (fstatSync(fd).size > validBytes) ftruncateSync(fd, validBytes)
  } catch (error) {
    closeSync(fd)
    throw error
  }
  let open = true
  return {
    write(record) {
      if (!open) throw new Error('the output file is closed')
      const bytes = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8')
      let written = 0
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written)
    },
    close() {
      if (!open) return
      open = false
      closeSync(fd)
    },
  }
}

/** Records as lines on stdout (no resume: there is no file to read back). */
export function outputRecordSink(output: Output, beforeWrite?: () => void): RecordSink {
  return {
    write(record) {
      beforeWrite?.()
      output.write(`${JSON.stringify(record)}\n`)
    },
    close() {
      // Nothing to release: stdout belongs to the process.
    },
  }
}

/** Task lines (not blank) of a file, for a progress bar that knows its total. */
export async function countTaskLines(input: AsyncIterable<Buffer | string>): Promise<number> {
  let count = 0
  for await (const line of readLines(input)) if (line.text.trim() !== '') count += 1
  return count
}
