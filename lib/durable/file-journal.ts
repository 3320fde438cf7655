/**
 * `fileJournal(path)`: the embedded journal store. An append-only file of JSON lines
 * (journal-format.ts), one live process at a time (file-lock.ts). An append is durable when it
 * resolves (one synchronous write, then an fdatasync off the event loop); closes are written
 * without a sync of their own (a close lost in a crash delivers a result again, never loses one).
 * When closed entries far outnumber open ones the file is compacted: the open entries are written
 * to a new file, synced, renamed over the old one, and the directory synced.
 */
import { writeSync } from 'node:fs'
import { open as openFile, readFile, rename, truncate, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Journal, JournalContents, JournalEntry } from '../api/journal.js'
import { libraryError } from '../support/errors.js'
import { lockJournal, type FileLock } from './file-lock.js'
import { closeLine, headerLine, openLine, readJournal } from './journal-format.js'

export interface FileJournalOptions {
  /** Compaction is considered once the file has this many lines. @default 4_096 */
  compactAfterLines?: number | undefined
}

/** What the file journal did, for benchmarks and operators. */
export interface FileJournalStats {
  /** Appends (groups of entries), each made durable with one fdatasync. */
  appends: number
  entries: number
  /** fdatasync and fsync calls, compaction's included. */
  syncs: number
  compactions: number
}

export interface FileJournal extends Journal {
  readonly path: string
  readonly stats: Readonly<FileJournalStats>
}

async function readIfThere(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw error
  }
}

/** A renamed or created file is durable once its directory is synced. */
async function syncDirectory(path: string): Promise<void> {
  const directory = await openFile(dirname(path), 'r')
  try {
    await directory.sync()
  } finally {
    await directory.close()
  }
}

class FileJournalStore implements FileJournal {
  readonly stats: FileJournalStats = { appends: 0, entries: 0, syncs: 0, compactions: 0 }
  #lock: FileLock | undefined
  #file: FileHandle | undefined
  /** Bytes of whole lines: a failed write is cut back to it. */
  #size = 0
  #lines = 0
  /** Open entries by taskUUID: what a compaction writes again. */
  readonly #open = new Map<string, JournalEntry>()
  #chain: Promise<unknown> = Promise.resolve()
  readonly #compactAfter: number

  constructor(
    readonly path: string,
    options: FileJournalOptions,
  ) {
    this.#compactAfter = options.compactAfterLines ?? 4_096
  }

  get name(): string {
    return this.path
  }

  open(): Promise<JournalContents> {
    return this.#serial(async () => {
      if (this.#file !== undefined) throw libraryError('journalLocked', `the journal ${this.path} is already open in this client`)
      const lock = await lockJournal(this.path)
      try {
        return await this.#read(lock)
      } catch (error) {
        await lock.release()
        throw error
      }
    })
  }

  async #read(lock: FileLock): Promise<JournalContents> {
    const text = await readIfThere(this.path)
    const read = readJournal(text)
    if (!read.ok) throw libraryError('journalInvalid', `the file ${this.path} cannot be used as a journal: ${read.problem}`)
    if (read.lines === 0) {
      await this.#create()
    } else {
      if (read.torn !== undefined) await truncate(this.path, read.goodBytes)
      this.#file = await openFile(this.path, 'a')
      this.#size = read.goodBytes
      this.#lines = read.lines
    }
    for (const [taskUUID, { entry }] of read.open) this.#open.set(taskUUID, entry)
    this.#lock = lock
    return { entries: [...read.open.values()].map(({ entry }) => entry), repaired: read.torn }
  }

  async #create(): Promise<void> {
    const header = headerLine()
    const file = await openFile(this.path, 'w')
    await file.writeFile(header)
    await file.datasync()
    await file.close()
    await syncDirectory(this.path)
    this.stats.syncs += 2
    this.#file = await openFile(this.path, 'a')
    this.#size = Buffer.byteLength(header)
    this.#lines = 1
  }

  /**
   * Written in call order; the fdatasync runs outside the serial chain, so the next group's write
   * need not wait for this one's sync (the disk commits overlapping syncs together).
   */
  async append(entries: readonly JournalEntry[]): Promise<void> {
    const file = await this.#serial(async () => {
      let text = ''
      for (const entry of entries) text += openLine(entry)
      await this.#write(text, entries.length)
      // Open from the moment it is in the file: a compaction from now on keeps it.
      for (const entry of entries) this.#open.set(entry.taskUUID, entry)
      this.stats.appends += 1
      this.stats.entries += entries.length
      return this.#file
    })
    if (file === undefined) throw libraryError('journalFailed', `the journal ${this.path} is not open`)
    const sync = file.datasync()
    this.#syncing.add(sync)
    try {
      await sync
      this.stats.syncs += 1
    } catch (error) {
      // Not durable: the entries must not count as written (their tasks are refused, never sent).
      for (const entry of entries) this.#open.delete(entry.taskUUID)
      throw error
    } finally {
      this.#syncing.delete(sync)
    }
  }

  /** Syncs still running: a handle is closed only after them. */
  readonly #syncing = new Set<Promise<void>>()

  async #settleSyncs(): Promise<void> {
    await Promise.allSettled([...this.#syncing])
  }

  close(taskUUIDs: readonly string[]): Promise<void> {
    return this.#serial(async () => {
      const closing = taskUUIDs.filter((id) => this.#open.has(id))
      if (closing.length === 0) return
      await this.#write(closeLine(closing), 1)
      for (const id of closing) this.#open.delete(id)
      if (this.#lines >= this.#compactAfter && this.#lines > 4 * (this.#open.size + 1)) await this.#compact()
    })
  }

  release(): Promise<void> {
    return this.#serial(async () => {
      const file = this.#file
      this.#file = undefined
      await this.#settleSyncs()
      if (file !== undefined) {
        // Closes written since the last append reach the disk too.
        await file.datasync().finally(() => file.close())
        this.stats.syncs += 1
      }
      await this.#lock?.release()
      this.#lock = undefined
      this.#open.clear()
    })
  }

  async #write(text: string, lines: number): Promise<void> {
    const file = this.#file
    if (file === undefined) throw libraryError('journalFailed', `the journal ${this.path} is not open`)
    const bytes = Buffer.byteLength(text)
    try {
      // A synchronous write: it only reaches the page cache (microseconds), where a thread-pool
      // round trip cost more than the write; the fdatasync that makes it durable runs off the loop.
      const written = writeSync(file.fd, text)
      if (written !== bytes) throw new Error(`a short write (${written} of ${bytes} bytes)`)
    } catch (error) {
      // A part written would leave half a line mid-file: cut back to the last whole line.
      await file.truncate(this.#size).catch(() => undefined)
      throw error
    }
    this.#size += bytes
    this.#lines += lines
  }

  /** The open entries into a new file, synced, then renamed over the old one. */
  async #compact(): Promise<void> {
    const temporary = join(dirname(this.path), `.${basename(this.path)}.compact-${process.pid}`)
    let text = headerLine()
    for (const entry of this.#open.values()) text += openLine(entry)
    const next = await openFile(temporary, 'w')
    try {
      await next.writeFile(text)
      await next.datasync()
    } finally {
      await next.close()
    }
    await rename(temporary, this.path)
    await syncDirectory(this.path)
    this.stats.syncs += 2
    this.stats.compactions += 1
    await this.#settleSyncs()
    await this.#file?.close()
    this.#file = await openFile(this.path, 'a')
    this.#size = Buffer.byteLength(text)
    this.#lines = this.#open.size + 1
  }

  /** One operation at a time, in call order. */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(work)
    this.#chain = next.catch(() => undefined)
    return next
  }
}

/**
 * An append-only journal file at `path` (made if absent; `<path>.lock` beside it while a process
 * holds it). Pass it as the client's `journal` option.
 */
export function fileJournal(path: string, options: FileJournalOptions = {}): FileJournal {
  if (typeof path !== 'string' || path === '') throw new TypeError('fileJournal(path): path must be a non-empty string')
  return new FileJournalStore(path, options)
}
