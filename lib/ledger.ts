/**
 * Every task the client holds, from `run` until it settles exactly once.
 *
 * Phases:
 *   queued   waiting in the outbox for the socket (first send, retry, or same-id resend)
 *   waiting  a retry's backoff delay; it re-enters the outbox under a fresh taskUUID
 *   sent     on the wire; results (sync) or an acknowledgement (async) expected
 *   unknown  was on the wire when its socket died: fate unknown until reconciled
 *   polling  the server has it; results are collected with getResponse (and pushes)
 *   settled  resolved or rejected; gone from every structure
 *
 * Records are found by the taskUUID currently on the wire (one Map lookup per item). A retry
 * re-keys the record under its fresh id; the caller's promise and `taskUUID` never change.
 */
import type { ResultItem } from './protocol.js'
import type { RunwareError } from './errors.js'
import { entry, type ScheduleEntry } from './schedule.js'
import { itemKey } from './tasks.js'

export type TaskPhase = 'queued' | 'waiting' | 'sent' | 'unknown' | 'polling' | 'settled'

/** Who a record calls when one of its timers fires. */
export interface RecordOwner {
  /** The task's deadline passed. */
  deadlineReached(record: TaskRecord): void
  /** A retry's delay elapsed, or a poll is due. */
  woken(record: TaskRecord): void
}

/**
 * One task. Kept lean on purpose (100,000 may be pending): plain fields, no closures, and the
 * record is itself the schedule entry of its deadline; the second entry (retry delay or next
 * poll) is allocated only for the tasks that need one.
 */
export class TaskRecord implements ScheduleEntry {
  /** The deadline's schedule entry fields. */
  at = 0
  index = -1
  /** The taskUUID on the wire now (differs from `id` after a retry). */
  wireUUID: string
  /**
   * The task as it goes out now, encoded once at admission (a retry re-encodes it asking only for
   * the results still missing). Only the encoding is kept: a caller mutating its task object
   * afterwards cannot change what a retry sends.
   */
  encoded: string
  items: ResultItem[] | undefined = undefined
  /** Identity keys of `items`, to drop a replayed or re-polled copy of one already delivered. */
  #keys: Set<string> | undefined = undefined
  phase: TaskPhase = 'queued'
  /** Counted in `Ledger.inFlight` (on the wire or with the server). */
  onWire = false
  /** Submissions under a fresh id, the first included (bounded by retry.maxAttempts). */
  submissions = 0
  /** The wire id the last counted submission went out under (a same-id resend is not counted). */
  countedAs: string | undefined = undefined
  /** getResponse answers since polling started; drives the poll backoff. */
  pollAttempt = 0
  /** A poll is out and unanswered. */
  awaitingPoll = false
  /** Detaches the AbortSignal listener. */
  detach: (() => void) | undefined = undefined
  #wake: ScheduleEntry | undefined = undefined

  constructor(
    /** The caller's taskUUID. */
    readonly id: string,
    readonly taskType: string,
    encoded: string,
    /** Result items that complete the task; 0 when a `status: "ready"` item does (modelUpload). */
    readonly expected: number,
    readonly async: boolean,
    readonly timeoutMs: number,
    readonly onResult: ((item: ResultItem) => void) | undefined,
    readonly onProgress: ((progress: number) => void) | undefined,
    private readonly resolveWith: (items: ResultItem[]) => void,
    private readonly rejectWith: (error: RunwareError) => void,
    private readonly owner: RecordOwner,
  ) {
    this.wireUUID = id
    this.encoded = encoded
  }

  /** The deadline fired (the Schedule calls this). */
  fire(): void {
    this.owner.deadlineReached(this)
  }

  /** The entry for a retry's delay or the next poll, created on first use. */
  get wake(): ScheduleEntry {
    return (this.#wake ??= entry(() => this.owner.woken(this)))
  }

  /** The wake entry if it was ever created (releasing a task must not create one). */
  get wakeIfAny(): ScheduleEntry | undefined {
    return this.#wake
  }

  get settled(): boolean {
    return this.phase === 'settled'
  }

  get received(): number {
    return this.items?.length ?? 0
  }

  /** Results still missing (for a count-completed task). */
  get missing(): number {
    return this.expected === 0 ? 1 : Math.max(0, this.expected - this.received)
  }

  get complete(): boolean {
    if (this.expected > 0) return this.received >= this.expected
    return this.items?.[this.items.length - 1]?.status === 'ready'
  }

  /** Adds an item unless a copy of it was already delivered; true when it is new. */
  addItem(item: ResultItem): boolean {
    const items = (this.items ??= [])
    // A task completed by its first item cannot see a duplicate (it settles at once): skip the key.
    if (this.expected === 1 && items.length === 0 && !this.async && this.phase === 'sent') {
      items.push(item)
      return true
    }
    const keys = (this.#keys ??= new Set(items.map(itemKey)))
    const key = itemKey(item)
    if (keys.has(key)) return false
    keys.add(key)
    items.push(item)
    return true
  }

  /** Called by the client only, once. */
  fulfil(): void {
    this.resolveWith(this.items ?? [])
  }

  /** Called by the client only, once. */
  fail(error: RunwareError): void {
    this.rejectWith(error)
  }
}

export class Ledger {
  readonly #byWire = new Map<string, TaskRecord>()
  /** Waiting to be sent, oldest first. Sets keep insertion order and delete in O(1). */
  readonly #outbox = new Set<TaskRecord>()
  /** Retries and same-id resends: sent before new work, and never refused for a full queue. */
  readonly #urgent = new Set<TaskRecord>()
  #inFlight = 0

  get size(): number {
    return this.#byWire.size
  }

  /** New tasks waiting to be sent (the part `maxQueued` bounds). */
  get queued(): number {
    return this.#outbox.size
  }

  get waitingToSend(): number {
    return this.#outbox.size + this.#urgent.size
  }

  get inFlight(): number {
    return this.#inFlight
  }

  get(wireUUID: string): TaskRecord | undefined {
    return this.#byWire.get(wireUUID)
  }

  has(wireUUID: string): boolean {
    return this.#byWire.has(wireUUID)
  }

  records(): IterableIterator<TaskRecord> {
    return this.#byWire.values()
  }

  /** Registers a new task and queues it. */
  admit(record: TaskRecord): void {
    this.#byWire.set(record.wireUUID, record)
    record.phase = 'queued'
    this.#outbox.add(record)
  }

  /** Queues a known task again (retry or same-id resend), ahead of new work. */
  requeue(record: TaskRecord): void {
    this.#leaveWire(record)
    record.phase = 'queued'
    this.#urgent.add(record)
  }

  /** Takes up to `max` tasks for one frame; they count as in flight from now. */
  take(max: number): TaskRecord[] {
    const batch: TaskRecord[] = []
    for (const source of [this.#urgent, this.#outbox]) {
      for (const record of source) {
        if (batch.length >= max) break
        source.delete(record)
        record.phase = 'sent'
        record.onWire = true
        batch.push(record)
      }
    }
    this.#inFlight += batch.length
    return batch
  }

  /** A retry: off the wire, re-keyed under a fresh id, waiting for its delay. */
  rekey(record: TaskRecord, wireUUID: string): void {
    this.#byWire.delete(record.wireUUID)
    record.wireUUID = wireUUID
    this.#byWire.set(wireUUID, record)
  }

  /** Off the wire without settling (a retry's delay). */
  park(record: TaskRecord): void {
    this.#leaveWire(record)
    this.#outbox.delete(record)
    this.#urgent.delete(record)
    record.phase = 'waiting'
  }

  /** Removes the task from every structure; false when it had already settled. */
  release(record: TaskRecord): boolean {
    if (record.phase === 'settled') return false
    this.#leaveWire(record)
    if (record.phase === 'queued' && !this.#outbox.delete(record)) this.#urgent.delete(record)
    this.#byWire.delete(record.wireUUID)
    record.phase = 'settled'
    return true
  }

  #leaveWire(record: TaskRecord): void {
    if (record.onWire) {
      record.onWire = false
      this.#inFlight -= 1
    }
  }
}
