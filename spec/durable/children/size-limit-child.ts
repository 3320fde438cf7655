/**
 * A file journal in a process whose file-size limit (RLIMIT_FSIZE) is lowered, once its modules are
 * loaded, to LIMIT bytes: an append that crosses it is written only in part (the kernel's short
 * write). Prints one JSON line: what each append did and what the file held after each.
 */
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import type { JournalEntry } from '../../../lib/api/journal.js'
import { fileJournal } from '../../../lib/durable/file-journal.js'
import { readJournal } from '../../../lib/durable/journal-format.js'
import { RunwareError } from '../../../lib/support/errors.js'

const path = process.env.JOURNAL ?? ''
const limit = Number(process.env.LIMIT ?? '0')

function entries(count: number): JournalEntry[] {
  return Array.from({ length: count }, (_, index) => {
    const taskUUID = randomUUID()
    return { taskUUID, task: JSON.stringify({ taskUUID, taskType: 'imageInference', positivePrompt: `entry ${index}` }), openedAt: 1 }
  })
}

async function outcome(work: Promise<void>): Promise<string> {
  try {
    await work
    return 'resolved'
  } catch (error) {
    return error instanceof RunwareError ? `${error.code}: ${error.message}` : `not a RunwareError: ${String(error)}`
  }
}

function file(): { bytes: number; ok: boolean; open: number; torn: string | null } {
  const read = readJournal(readFileSync(path, 'utf8'))
  return { bytes: statSync(path).size, ok: read.ok, open: read.ok ? read.open.size : -1, torn: (read.ok ? read.torn : read.problem) ?? null }
}

// A write that starts past the limit raises SIGXFSZ, which would end the process: taken as EFBIG instead.
process.on('SIGXFSZ', () => undefined)
const journal = fileJournal(path)
await journal.open()
execFileSync('prlimit', ['--pid', String(process.pid), `--fsize=${limit}:${limit}`])
const small = await outcome(journal.append(entries(3)))
const afterSmall = file()
const crossing = await outcome(journal.append(entries(100)))
const afterCrossing = file()
const again = await outcome(journal.append(entries(2)))
const afterAgain = file()
await journal.release().catch(() => undefined)
console.log(JSON.stringify({ small, afterSmall, crossing, afterCrossing, again, afterAgain }))
