/**
 * The file journal's format: JSON lines, readable with `jq` (docs/durability.md). The first line
 * says what the file is; then one line per opened entry (the task as sent, as JSON) and one per
 * group of closed ids:
 *
 *   {"runwareSocketJournal":1,"createdAt":"2026-12-04T19:00:00.000Z"}
 *   {"open":{"taskUUID":"…","openedAt":1764874800000,"task":{…},"meta":{…},"idempotencyKey":"…"}}
 *   {"close":["…","…"]}
 *
 * Reading it: the file is untrusted (edited by hand, damaged), so every line is checked, and a
 * torn last line (a write cut by a power loss) is dropped: its entries were never acknowledged,
 * so their tasks were never sent.
 */
import type { JournalEntry } from '../api/journal.js'
import { isUUID } from '../protocol/protocol.js'

export const FORMAT_VERSION = 1

export function headerLine(now = new Date()): string {
  return `{"runwareSocketJournal":${FORMAT_VERSION},"createdAt":${JSON.stringify(now.toISOString())}}\n`
}

/** One entry as a line. `task` and `meta` are JSON text already, embedded as they are. */
export function openLine(entry: JournalEntry): string {
  let line = `{"open":{"taskUUID":${JSON.stringify(entry.taskUUID)},"openedAt":${entry.openedAt},"task":${entry.task}`
  if (entry.meta !== undefined) line += `,"meta":${entry.meta}`
  if (entry.idempotencyKey !== undefined) line += `,"idempotencyKey":${JSON.stringify(entry.idempotencyKey)}`
  return `${line}}}\n`
}

export function closeLine(taskUUIDs: readonly string[]): string {
  return `{"close":${JSON.stringify(taskUUIDs)}}\n`
}

export type ReadResult =
  | {
      readonly ok: true
      /** Open entries by taskUUID, each with its line (compaction writes it again as it is). */
      readonly open: Map<string, { entry: JournalEntry; line: string }>
      readonly lines: number
      /** Bytes of the file that hold whole lines: a torn tail past it is cut off. */
      readonly goodBytes: number
      readonly torn: string | undefined
    }
  | { readonly ok: false; readonly problem: string }

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** One line's meaning, or why it has none. */
function parseLine(text: string): { open: JournalEntry } | { close: string[] } | string {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return 'not JSON'
  }
  if (!isObject(value)) return 'not an object'
  if (Array.isArray(value.close)) {
    const ids: unknown[] = value.close
    if (!ids.every((id) => typeof id === 'string')) return 'a close line with a non-string id'
    return { close: ids }
  }
  const open = value.open
  if (!isObject(open)) return 'neither an open nor a close line'
  const { taskUUID, openedAt, task, meta, idempotencyKey } = open
  if (typeof taskUUID !== 'string' || !isUUID(taskUUID)) return 'an entry without a valid taskUUID'
  if (!isObject(task) || typeof task.taskType !== 'string') return 'an entry whose task is not a task'
  if (idempotencyKey !== undefined && typeof idempotencyKey !== 'string') return 'an entry with a non-string idempotencyKey'
  return {
    open: {
      taskUUID,
      openedAt: typeof openedAt === 'number' ? openedAt : 0,
      task: JSON.stringify(task),
      meta: meta === undefined ? undefined : JSON.stringify(meta),
      idempotencyKey,
    },
  }
}

/** Reads a journal's text. An empty text is a new journal. */
export function readJournal(text: string): ReadResult {
  const open = new Map<string, { entry: JournalEntry; line: string }>()
  if (text.length === 0) return { ok: true, open, lines: 0, goodBytes: 0, torn: undefined }
  const lastNewline = text.lastIndexOf('\n')
  const whole = lastNewline < 0 ? '' : text.slice(0, lastNewline)
  let torn =
    lastNewline === text.length - 1 ? undefined : `a torn last line (${Buffer.byteLength(text.slice(lastNewline + 1))} bytes without an end) was dropped`
  const lines = whole === '' ? [] : whole.split('\n')
  let goodBytes = lastNewline < 0 ? 0 : Buffer.byteLength(whole) + 1
  const first = lines[0]
  let header: unknown
  try {
    header = first === undefined ? undefined : JSON.parse(first)
  } catch {
    header = undefined
  }
  if (!isObject(header) || header.runwareSocketJournal === undefined) {
    // A header cut by a crash as the file was made: nothing was ever acknowledged in it.
    if (lines.length === 0) return { ok: true, open, lines: 0, goodBytes: 0, torn }
    return { ok: false, problem: 'it is not a runware-socket journal (its first line is not the journal header)' }
  }
  if (header.runwareSocketJournal !== FORMAT_VERSION)
    return { ok: false, problem: `it is a journal of format ${JSON.stringify(header.runwareSocketJournal)}; this version reads ${FORMAT_VERSION}` }
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index] ?? ''
    const parsed = parseLine(line)
    if (typeof parsed === 'string') {
      // The last whole line may be torn too (a write cut after its newline reached the disk).
      if (index === lines.length - 1 && torn === undefined) {
        torn = `a damaged last line (${parsed}) was dropped`
        goodBytes -= Buffer.byteLength(line) + 1
        break
      }
      return { ok: false, problem: `line ${index + 1} is ${parsed}` }
    }
    if ('open' in parsed) open.set(parsed.open.taskUUID, { entry: parsed.open, line: `${line}\n` })
    else for (const id of parsed.close) open.delete(id)
  }
  return { ok: true, open, lines: lines.length, goodBytes, torn }
}
