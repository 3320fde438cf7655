/**
 * One task, as the ledger holds it from `run` until it settles: what it is, what it has received,
 * and where it stands (its phase, moved only by ledger.ts along the lifecycle table).
 */
import type { RunwareError } from './errors.js'
import type { ResultItem } from './protocol.js'
import { entry, type ScheduleEntry } from './schedule.js'
import type { TaskKind } from './task-kinds.js'

export type TaskPhase = 'queued' | 'waiting' | 'sent' | 'unknown' | 'polling' | 'settled'

export interface RecordInit {
  /** The caller's taskUUID. */
  id: string
  taskType: string
  kind: TaskKind
  encoded: string
  /** Result items that complete a count-completed task; 0 for one completed by status (modelUpload). */
  expected: number
  async: boolean
  timeoutMs: number
  onResult: ((item: ResultItem) => void) | undefined
  onProgress: ((progress: number) => void) | undefined
  resolve: (items: ResultItem[]) => void
  reject: (error: RunwareError) => void
  /** Called when the deadline (the record's own schedule entry) or its wake entry fires. */
  owner: RecordOwner
}

/** Who a record calls when one of its timers fires. */
export interface RecordOwner {
  deadlineReached(record: TaskRecord): void
  /** A retry's delay elapsed, or a poll is due. */
  woken(record: TaskRecord): void
}

/**
 * One task. Kept lean on purpose (100,000 may be pending): plain fields, no closures of its own,
 * and the record is itself the schedule entry of its deadline.
 */
export class TaskRecord implements ScheduleEntry {
  /** The deadline's schedule entry fields (Schedule owns them). */
  at = 0
  index = -1
  readonly id: string
  readonly taskType: string
  readonly kind: TaskKind
  readonly expected: number
  readonly async: boolean
  readonly timeoutMs: number
  readonly onResult: ((item: ResultItem) => void) | undefined
  readonly onProgress: ((progress: number) => void) | undefined
  /** The taskUUID on the wire now (differs from `id` after a retry). */
  wireUUID: string
  /** Every other id it went out under (retries), or undefined. */
  aliases: string[] | undefined = undefined
  /**
   * The task as it goes out now, encoded once at admission (a retry re-encodes it asking only for
   * the results still missing). A caller mutating its object afterwards cannot change it.
   */
  encoded: string
  phase: TaskPhase = 'queued'
  items: ResultItem[] | undefined = undefined
  /** Identities of `items` that carry one, to drop a replayed or re-polled copy. */
  keys: Set<string> | undefined = undefined
  /** Frames that brought it outputs without an id, by the socket they came on: the same frame on a later socket is a replay. */
  frames: Map<string, number> | undefined = undefined
  /** Submissions under a fresh id, the first included (bounded by retry.maxAttempts). */
  submissions = 0
  /** The wire id the last counted submission went out under (a same-id resend is not counted). */
  countedAs: string | undefined = undefined
  /** getResponse answers since polling started; drives the poll backoff. */
  pollAttempt = 0
  /** Empty getResponse answers in a row ("not known"). */
  emptyAnswers = 0
  /** Why it is polled when a `conflictTaskUUID` sent it there: the error to reject with if the server never knows it. */
  conflict: RunwareError | undefined = undefined
  readonly #resolve: (items: ResultItem[]) => void
  readonly #reject: (error: RunwareError) => void
  readonly #owner: RecordOwner
  #wake: ScheduleEntry | undefined = undefined

  constructor(init: RecordInit) {
    this.id = init.id
    this.wireUUID = init.id
    this.taskType = init.taskType
    this.kind = init.kind
    this.encoded = init.encoded
    this.expected = init.expected
    this.async = init.async
    this.timeoutMs = init.timeoutMs
    this.onResult = init.onResult
    this.onProgress = init.onProgress
    this.#resolve = init.resolve
    this.#reject = init.reject
    this.#owner = init.owner
  }

  /** The deadline fired (the Schedule calls this). */
  fire(): void {
    this.#owner.deadlineReached(this)
  }

  /** The entry for a retry's delay or the next poll, created on first use. */
  get wake(): ScheduleEntry {
    return (this.#wake ??= entry(() => this.#owner.woken(this)))
  }

  /** The wake entry if it was ever created (releasing a task must not create one). */
  get wakeIfAny(): ScheduleEntry | undefined {
    return this.#wake
  }

  get settled(): boolean {
    return this.phase === 'settled'
  }

  /** When the deadline falls (clock ms), or undefined when the task has none. */
  get deadline(): number | undefined {
    return this.index >= 0 ? this.at : undefined
  }

  get received(): number {
    return this.items?.length ?? 0
  }

  /** Results still missing (for a count-completed task). */
  get missing(): number {
    return this.expected === 0 ? 1 : Math.max(0, this.expected - this.received)
  }

  /** By the task kind's rule: N distinct items, or an item reporting `status: "ready"`. */
  get complete(): boolean {
    if (this.kind.completion === 'count') return this.received >= this.expected
    return this.items?.[this.items.length - 1]?.status === 'ready'
  }

  /** Called by the engine once, after the ledger moved it to settled. */
  fulfil(): void {
    this.#resolve(this.items ?? [])
  }

  /** Called by the engine once, after the ledger moved it to settled. */
  fail(error: RunwareError): void {
    this.#reject(error)
  }
}
