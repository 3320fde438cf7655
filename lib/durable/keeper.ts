/**
 * The journal's keeper: between the engine and a journal store. Every new task's entry is made
 * durable before the task may be sent; entries go out in groups (whatever was admitted while the
 * previous group was being written goes in the next one: one append, one fsync, per group). An
 * entry is closed only after its task settled and the caller's continuation of that promise has
 * run (a later turn of the event loop), and stays open when the task's fate is unknown (sent, then
 * closed or timed out): the next process recovers it.
 */
import type { Journal, JournalContents, JournalEntry } from '../api/journal.js'
import { FATE_UNKNOWN_CODES } from '../recovery/codes.js'
import { describeThrown, libraryError, RunwareError } from '../support/errors.js'
import type { JournalOwner, JournalPort } from '../tasks/deps.js'
import type { TaskRecord } from '../tasks/task-record.js'

/** Groups of entries being made durable at once (the next is written while the last one syncs). */
const GROUPS_IN_FLIGHT = 4

export interface KeeperHooks {
  /** Runs engine work as library work (the monitor): journal answers arrive in a later turn. */
  run(work: () => void): void
  /** A journal failure, reported once per failed write (an `error` event and a log line). */
  problem(error: RunwareError): void
}

/** What the store threw, as the RunwareError a task rejects with. */
function asJournalError(error: unknown, what: string, name: string): RunwareError {
  if (error instanceof RunwareError) return error
  return libraryError('journalFailed', `${what} of the journal ${name} failed: ${describeThrown(error)}`, { cause: error })
}

/** Whether a settled task's entry stays open for a later process: it was sent and its fate is unknown. */
export function keepsEntry(record: TaskRecord, error: RunwareError | undefined): boolean {
  return error !== undefined && error.code !== 'aborted' && FATE_UNKNOWN_CODES.has(error.code) && record.countedAs !== undefined
}

export class JournalKeeper implements JournalPort {
  #opening: Promise<JournalContents> | undefined
  /** Entries the last process left open, until recover() takes them. */
  #leftover: JournalEntry[] | undefined
  /** Written and waiting for the group being written now. */
  #next: { records: TaskRecord[]; entries: JournalEntry[] } = { records: [], entries: [] }
  /** Groups being written now (a next group need not wait for the previous one's sync). */
  readonly #writing = new Set<Promise<void>>()
  #flushAsked = false
  /** Entries written (or being written) by this process, not yet closed. */
  readonly #open = new Set<string>()
  /** Tasks whose entry is not durable yet. */
  readonly #pending = new Set<TaskRecord>()
  /** Tasks that settled before their entry was durable, with how. */
  readonly #settledEarly = new Map<TaskRecord, RunwareError | undefined>()
  /** Settled, to be closed after a later turn. */
  #toClose: string[] = []
  #closeTimer: NodeJS.Immediate | undefined
  /** Closes and the release go through this chain, one at a time and in order (appends do not: see #flush). */
  #chain: Promise<void> = Promise.resolve()
  #released: Promise<void> | undefined

  constructor(
    private readonly journal: Journal,
    private readonly owner: JournalOwner,
    private readonly hooks: KeeperHooks,
  ) {}

  get name(): string {
    return this.journal.name
  }

  /** Opens the journal once (rejects with journalLocked, journalInvalid, …, the same error each time). */
  open(): Promise<JournalContents> {
    this.#opening ??= this.#call(() => this.journal.open(), 'opening').then((contents) => {
      this.#leftover = [...contents.entries]
      if (contents.repaired !== undefined) this.hooks.problem(libraryError('journalInvalid', `the journal ${this.name} was repaired: ${contents.repaired}`))
      return contents
    })
    return this.#opening
  }

  /** What the last process left open; the first call takes them, later calls get none. */
  async takeLeftover(): Promise<JournalEntry[]> {
    await this.open()
    const entries = this.#leftover ?? []
    this.#leftover = []
    return entries
  }

  write(record: TaskRecord, entry: JournalEntry): void {
    this.#open.add(record.id)
    this.#pending.add(record)
    this.#next.records.push(record)
    this.#next.entries.push(entry)
    if (this.#flushAsked || this.#writing.size >= GROUPS_IN_FLIGHT) return
    this.#flushAsked = true
    // Everything admitted in this tick goes in one group.
    queueMicrotask(() => {
      this.#flushAsked = false
      this.#startGroup()
    })
  }

  /** Writes what waits as one group, if there is room; when it is durable, the next group starts (group commit). */
  #startGroup(): void {
    if (this.#writing.size >= GROUPS_IN_FLIGHT || this.#next.records.length === 0) return
    const writing = this.#flush().finally(() => {
      this.#writing.delete(writing)
      this.#startGroup()
    })
    this.#writing.add(writing)
  }

  async #flush(): Promise<void> {
    const group = this.#next
    this.#next = { records: [], entries: [] }
    let failure: RunwareError | undefined
    try {
      await this.open()
      // Not through the chain: a store orders its own writes, and several groups may be syncing at once.
      await this.#call(() => this.journal.append(group.entries), 'writing')
    } catch (error) {
      failure = asJournalError(error, 'writing', this.name)
    }
    for (const record of group.records) this.#pending.delete(record)
    if (failure === undefined) {
      this.hooks.run(() => this.owner.journaled(group.records))
      // Settled while its entry was being written: decided now that the entry exists.
      for (const record of group.records) {
        if (!this.#settledEarly.has(record)) continue
        const error = this.#settledEarly.get(record)
        this.#settledEarly.delete(record)
        this.#decide(record, error)
      }
    } else {
      for (const record of group.records) {
        this.#open.delete(record.id)
        this.#settledEarly.delete(record)
      }
      this.hooks.problem(failure)
      const error = failure
      this.hooks.run(() => this.owner.refuse(group.records, error))
    }
  }

  settled(record: TaskRecord, error: RunwareError | undefined): void {
    if (!this.#open.has(record.id)) return
    if (this.#pending.has(record)) this.#settledEarly.set(record, error)
    else this.#decide(record, error)
  }

  #decide(record: TaskRecord, error: RunwareError | undefined): void {
    if (!keepsEntry(record, error)) this.closeEntry(record.id)
    else this.#open.delete(record.id)
  }

  /** Closes an entry after a later turn: the caller's continuation of its promise has run by then. */
  closeEntry(taskUUID: string): void {
    this.#open.delete(taskUUID)
    this.#toClose.push(taskUUID)
    if (this.#closeTimer !== undefined) return
    this.#closeTimer = setImmediate(() => {
      this.#closeTimer = undefined
      void this.#closeNow().catch(() => undefined)
    })
    this.#closeTimer.unref()
  }

  #closeNow(): Promise<void> {
    const ids = this.#toClose
    if (ids.length === 0) return Promise.resolve()
    this.#toClose = []
    return this.#enqueue(() => this.#call(() => this.journal.close(ids), 'closing entries')).catch((error: unknown) => {
      // A close lost delivers a result again later (same taskUUID, same items): reported, nothing else.
      this.hooks.problem(asJournalError(error, 'closing entries', this.name))
    })
  }

  /** After close(): what waits is written (a later turn first: continuations run), and the journal let go. */
  release(): Promise<void> {
    this.#released ??= (async () => {
      if (this.#opening === undefined) return
      await new Promise<void>((resolve) => setImmediate(resolve))
      // Each group that ends starts the next: wait until none is left.
      while (this.#writing.size > 0) await Promise.all(this.#writing)
      if (this.#closeTimer !== undefined) clearImmediate(this.#closeTimer)
      this.#closeTimer = undefined
      await this.#closeNow()
      await this.#opening.catch(() => undefined)
      await this.#enqueue(() => this.#call(() => this.journal.release(), 'releasing')).catch((error: unknown) => {
        this.hooks.problem(asJournalError(error, 'releasing', this.name))
      })
    })()
    return this.#released
  }

  /** One store call at a time, in order. */
  #enqueue(call: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(call)
    this.#chain = next.catch(() => undefined)
    return next
  }

  /** A store is caller code: a throw or a non-promise answer is taken in. */
  async #call<T>(call: () => Promise<T>, what: string): Promise<T> {
    try {
      return await call()
    } catch (error) {
      throw asJournalError(error, what, this.name)
    }
  }
}
