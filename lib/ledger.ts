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
import type { ResultItem, Task } from './protocol.js'
import type { RunwareError } from './errors.js'
import { entry, type ScheduleEntry } from './schedule.js'
import type { Completion } from './tasks.js'
import { itemKey } from './tasks.js'

export type TaskPhase = 'queued' | 'waiting' | 'sent' | 'unknown' | 'polling' | 'settled'

export interface TaskCallbacks {
  onResult: ((item: ResultItem) => void) | undefined
  onProgress: ((progress: number) => void) | undefined
}

export class TaskRecord {
  /** The caller's taskUUID. */
  readonly id: string
  readonly taskType: string
  readonly completion: Completion
  readonly async: boolean
  /** The taskUUID on the wire now (differs from `id` after a retry). */
  wireUUID: string
  /**
   * The task as it goes out now, encoded once at admission (a retry re-encodes it asking only for
   * the results still missing). Only the encoding is kept: a caller mutating its task object
   * afterwards cannot change what a retry sends.
   */
  encoded: string
  readonly items: ResultItem[] = []
  /** Identity keys of `items`, to drop a replayed or re-polled copy of one already delivered. */
  #keys: Set<string> | undefined
  phase: TaskPhase = 'queued'
  /** Counted in `Ledger.inFlight` (on the wire or with the server). */
  onWire = false
  /** Submissions under a fresh id, the first included (bounded by retry.maxAttempts). */
  submissions = 0
  /** The wire id the last counted submission went out under (a same-id resend is not counted). */
  countedAs: string | undefined
  /** getResponse polls sent since the last answer; drives the poll backoff. */
  pollAttempt = 0
  /** A poll is out and unanswered. */
  awaitingPoll = false
  readonly deadline: ScheduleEntry
  /** A retry's delay or the next poll. */
  readonly wake: ScheduleEntry
  readonly callbacks: TaskCallbacks
  /** Detaches the AbortSignal listener. */
  detach: (() => void) | undefined
  readonly #resolve: (items: ResultItem[]) => void
  readonly #reject: (error: RunwareError) => void

  constructor(init: {
    id: string
    task: Task
    encoded: string
    completion: Completion
    callbacks: TaskCallbacks
    resolve: (items: ResultItem[]) => void
    reject: (error: RunwareError) => void
    onDeadline: (record: TaskRecord) => void
    onWake: (record: TaskRecord) => void
  }) {
    this.id = init.id
    this.wireUUID = init.id
    this.taskType = init.task.taskType
    this.encoded = init.encoded
    this.completion = init.completion
    this.async = init.task.deliveryMethod === 'async'
    this.callbacks = init.callbacks
    this.#resolve = init.resolve
    this.#reject = init.reject
    this.deadline = entry(() => init.onDeadline(this))
    this.wake = entry(() => init.onWake(this))
  }

  get settled(): boolean {
    return this.phase === 'settled'
  }

  /** Results still missing (for a count-completed task). */
  get missing(): number {
    return this.completion.kind === 'count' ? Math.max(0, this.completion.count - this.items.length) : 1
  }

  get complete(): boolean {
    if (this.completion.kind === 'count') return this.items.length >= this.completion.count
    const last = this.items[this.items.length - 1]
    return last?.status === 'ready'
  }

  /** Adds an item unless a copy of it was already delivered; true when it is new. */
  addItem(item: ResultItem): boolean {
    // A task completed by its first item cannot see a duplicate (it settles at once): skip the key.
    if (this.completion.kind === 'count' && this.completion.count === 1 && this.items.length === 0 && !this.async && this.phase === 'sent') {
      this.items.push(item)
      return true
    }
    const keys = (this.#keys ??= new Set(this.items.map(itemKey)))
    const key = itemKey(item)
    if (keys.has(key)) return false
    keys.add(key)
    this.items.push(item)
    return true
  }

  /** Called by the Ledger only, once. */
  fulfil(): void {
    this.#resolve(this.items)
  }

  /** Called by the Ledger only, once. */
  fail(error: RunwareError): void {
    this.#reject(error)
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
    this.#outbox.delete(record)
    this.#urgent.delete(record)
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
