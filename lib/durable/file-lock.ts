/**
 * One live process per journal file: a lock file beside it (`<path>.lock`), made with O_EXCL and
 * naming its holder (pid, host). A lock whose holder is gone (same host, no such process) is
 * stale and taken over; one held by another host cannot be checked and is respected. Inside one
 * process a registry tells a lock this process holds from one a dead process with a recycled pid
 * left behind.
 */
import { randomUUID } from 'node:crypto'
import { readFile, unlink, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { libraryError } from '../support/errors.js'

/** Lock files this process holds, by path. */
const HELD = new Set<string>()

interface Holder {
  readonly pid: number
  readonly hostname: string
  readonly token: string
  readonly since: string
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, it is another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readHolder(lockPath: string): Promise<Holder | undefined> {
  try {
    const value = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<Holder>
    if (typeof value.pid !== 'number' || typeof value.hostname !== 'string' || typeof value.token !== 'string') return undefined
    return { pid: value.pid, hostname: value.hostname, token: value.token, since: String(value.since) }
  } catch {
    return undefined
  }
}

/** Whether the holder named in a lock file still holds it. */
function holds(holder: Holder | undefined, lockPath: string): boolean {
  // Unreadable: a process killed between making the file and writing it.
  if (holder === undefined) return false
  if (holder.hostname !== hostname()) return true
  if (holder.pid === process.pid) return HELD.has(lockPath)
  return isAlive(holder.pid)
}

export interface FileLock {
  release(): Promise<void>
}

/** Takes the lock for `journalPath`, or rejects with `journalLocked` naming who holds it. */
export async function lockJournal(journalPath: string): Promise<FileLock> {
  const lockPath = `${journalPath}.lock`
  const token = randomUUID()
  const mine: Holder = { pid: process.pid, hostname: hostname(), token, since: new Date().toISOString() }
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(lockPath, JSON.stringify(mine), { flag: 'wx' })
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw libraryError('journalFailed', `the journal's lock ${lockPath} could not be made: ${(error as Error).message}`, { cause: error })
      }
      const holder = await readHolder(lockPath)
      if (holds(holder, lockPath) || attempt > 0) {
        const who = holder === undefined ? 'another process' : `process ${holder.pid} on ${holder.hostname} (since ${holder.since})`
        throw libraryError('journalLocked', `the journal ${journalPath} is held by ${who}: one live process per journal (${lockPath})`)
      }
      // Stale: its holder is gone. Taken over once (two takers race through O_EXCL).
      await unlink(lockPath).catch(() => undefined)
    }
  }
  HELD.add(lockPath)
  return {
    async release() {
      HELD.delete(lockPath)
      const holder = await readHolder(lockPath)
      if (holder?.token === token) await unlink(lockPath).catch(() => undefined)
    },
  }
}
