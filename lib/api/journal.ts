/**
 * Durability across process death: the journal a client writes before it sends, what `recover()`
 * yields, and what `drain()` takes and answers (docs/durability.md).
 */
import type { ResultItem, Task } from '../protocol/protocol.js'
import type { RunwareError } from '../support/errors.js'

/** Any JSON value: what `run(task, { meta })` keeps with a task's journal entry. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue }

/**
 * One task as a journal keeps it: everything `recover()` needs in a later process. The library
 * writes and reads it; a store only keeps it (every field is a string or a number, so a store can
 * hold it as it is).
 */
export interface JournalEntry {
  /** The task's first taskUUID (a retry's id is derived from it, so it needs no entry of its own). */
  readonly taskUUID: string
  /** The task as sent, as JSON text. */
  readonly task: string
  /** `run`'s `meta` as JSON text, when given. */
  readonly meta?: string | undefined
  /** `run`'s `idempotencyKey`, when given. */
  readonly idempotencyKey?: string | undefined
  /** When it was opened, in ms since the epoch (for people reading the journal). */
  readonly openedAt: number
}

/** What a store found when it was opened. */
export interface JournalContents {
  /** Entries opened and never closed: what the last process left in flight. */
  readonly entries: readonly JournalEntry[]
  /** Something was repaired on the way (a torn last line after a power loss): said once, as an `error` event. */
  readonly repaired?: string | undefined
}

/**
 * Where entries are kept: `fileJournal(path)` (this entry), `redisJournal({ connection })`
 * (`runware-socket/queue`), or your own. The client calls it from one place; only `append` may be
 * called again before the last call resolved.
 */
export interface Journal {
  /** A name for messages (a path, a Redis key): never a secret. */
  readonly name: string
  /**
   * Takes the journal for this process and reads what it holds. Rejects with a RunwareError
   * `journalLocked` when another live process holds it, `journalInvalid` when it is not a journal.
   */
  open(): Promise<JournalContents>
  /**
   * Resolves once every entry is durable (a file: written and fdatasynced). The client groups
   * entries (one call per group, not per task) and may call again before the last call resolved
   * (four groups at once at most): a store keeps the calls' order.
   */
  append(entries: readonly JournalEntry[]): Promise<void>
  /** These entries are done. Need not be durable at once: a close lost in a crash delivers its result again. */
  close(taskUUIDs: readonly string[]): Promise<void>
  /** Writes what waits and lets the journal go (another process may open it). */
  release(): Promise<void>
}

/** One task the previous process left in flight, with its outcome. */
export interface RecoveredTask<R extends ResultItem = ResultItem> {
  readonly taskUUID: string
  /** The task as it was sent. */
  readonly task: Task
  /** `run`'s `meta`, when it was given. */
  readonly meta: JsonValue | undefined
  readonly idempotencyKey: string | undefined
  /** Its results, when it succeeded. */
  readonly items?: R[] | undefined
  /** Why it failed, when it did. */
  readonly error?: RunwareError | undefined
}

export interface DrainOptions {
  /** How long pending tasks may take to finish before the client closes anyway. @default 30_000 */
  timeoutMs?: number | undefined
}

export interface DrainResult {
  /** Tasks that settled during the drain. */
  readonly finished: number
  /** Tasks still pending when the bound passed (rejected with `connectionClosed`; with a journal, kept in it). */
  readonly left: number
}
