/**
 * The records `run` and `enqueue` write (one JSON line per settled task), and reading an output
 * file back to resume a batch: lines already recorded are skipped, a truncated last line (a kill
 * in the middle of a write) is tolerated and cut off.
 */
import { closeSync, createReadStream, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs'
import type { Output } from './io.js'
import { parseTaskLine, readLines, type ParsedLine } from './jsonl.js'

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
  const words: Record<string, string> = {
    ENOENT: 'its directory does not exist',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a part of its path is not a directory',
  }
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
export type PendingLine = { line: number } & Exclude<ParsedLine, { kind: 'blank' }>

/** The input's lines, parsed; blank lines dropped, lines already recorded counted with `skipped` and dropped. */
export async function* pendingLines(
  source: AsyncIterable<Buffer | string>,
  recorded: Recorded,
  runId: string,
  skipped: () => void,
): AsyncGenerator<PendingLine, void, undefined> {
  for await (const line of readLines(source)) {
    const parsed = parseTaskLine(line.text, line.number, runId)
    if (parsed.kind === 'blank') continue
    if (isRecorded(recorded, line.number, parsed.taskUUID)) skipped()
    else yield { line: line.number, ...parsed }
  }
}
