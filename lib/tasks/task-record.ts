/**
 * One task, as the ledger holds it from `run` until it settles: what it is, what it has received
 * (its outputs, each once: an output is recognised by what identifies it, never by equal content),
 * and where it stands (its phase, moved only by ledger.ts along the lifecycle table).
 */
import type { RunOptions } from '../api/options.js'
import type { ContextLike } from '../api/telemetry.js'
import type { TextDelta } from '../api/result-types.js'
import type { TaskPhase } from '../machines/phases.js'
import type { ResultItem, WireTask } from '../protocol/protocol.js'
import type { RunwareError } from '../support/errors.js'
import { entry, isScheduled, type ScheduleEntry } from '../support/schedule.js'
import type { PreparedTask, TaskKind } from './admit.js'

/** What a record knows of its lane (the class is lanes.ts's, which holds records). */
export interface LaneSlot {
  readonly key: string
  inFlight: number
  limit: number
}

/** What `run` gave beside the task itself. */
export interface RecordInit {
  timeoutMs: number
  /** What `run` was given beside the task: its callbacks and its span's parent. */
  run: Pick<RunOptions, 'onResult' | 'onProgress' | 'onDelta' | 'parentContext'>
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
  /** What its concurrency lane is keyed on: the task's `model`, else its `taskType`. */
  readonly model: string
  /** Its model's lane (the ledger sets it at admission; lanes.ts). */
  lane: LaneSlot | undefined = undefined
  /** When it went out, or (async) was acknowledged, on the monotonic clock; 0 when unknown (for latency samples). */
  sentAt = 0
  readonly kind: TaskKind
  readonly expected: number
  readonly async: boolean
  /** `deliveryMethod: "stream"`: pieces of text (deltas) before its one result item. */
  readonly stream: boolean
  readonly timeoutMs: number
  readonly onResult: ((item: ResultItem) => void) | undefined
  /** The taskUUID on the wire now (differs from `id` after a retry). */
  wireUUID: string
  /**
   * The task as it goes out now, fixed at admission (a retry rewires it asking only for the
   * results still missing). A caller mutating its object afterwards cannot change it.
   */
  wire: WireTask
  phase: TaskPhase = 'queued'
  items: ResultItem[] | undefined = undefined
  /** Submissions under a fresh id, the first included (bounded by retry.maxAttempts). */
  submissions = 0
  /** The wire id the last counted submission went out under (a same-id resend is not counted). */
  countedAs: string | undefined = undefined
  readonly #resolve: (items: ResultItem[]) => void
  readonly #reject: (error: RunwareError) => void
  readonly #owner: RecordOwner
  /** What most tasks never need, made on first use: 100,000 pending records do not each carry it. */
  #extra: RecordExtra | undefined = undefined

  constructor(task: PreparedTask, init: RecordInit) {
    this.id = task.taskUUID
    this.wireUUID = task.taskUUID
    this.taskType = task.taskType
    this.model = task.model
    this.kind = task.kind
    this.wire = task.wire
    // Result items that complete a count-completed task; 0 for one completed by status (modelUpload).
    this.expected = task.completion.kind === 'count' ? task.completion.count : 0
    this.async = task.async
    this.stream = task.stream
    this.timeoutMs = init.timeoutMs
    this.onResult = init.run.onResult
    if (init.run.onProgress !== undefined) this.#more.onProgress = init.run.onProgress
    if (init.run.onDelta !== undefined) this.#more.onDelta = init.run.onDelta
    if (init.run.parentContext !== undefined) this.#more.parentContext = init.run.parentContext
    this.#resolve = init.resolve
    this.#reject = init.reject
    this.#owner = init.owner
  }

  /** The deadline fired (the Schedule calls this). */
  fire(): void {
    this.#owner.deadlineReached(this)
  }

  get #more(): RecordExtra {
    return (this.#extra ??= new RecordExtra())
  }

  get onProgress(): ((progress: number) => void) | undefined {
    return this.#extra?.onProgress
  }

  /** A piece of its streamed text arrived: counted, and its onDelta returned. */
  delta(): ((delta: TextDelta) => void) | undefined {
    const more = this.#more
    more.deltas += 1
    return more.onDelta
  }

  /** Pieces of its streamed text delivered: once one was, it can no longer be retried (the text would repeat). */
  get deltas(): number {
    return this.#extra?.deltas ?? 0
  }

  get parentContext(): ContextLike | undefined {
    return this.#extra?.parentContext
  }

  /** Every other id it went out under (retries), or undefined. */
  get aliases(): string[] | undefined {
    return this.#extra?.aliases
  }

  /** Adds the id it went out under before a retry. */
  alias(wireUUID: string): void {
    ;(this.#more.aliases ??= []).push(wireUUID)
  }

  /** Identities of `items` that carry one, to drop a replayed or re-polled copy (made on first use). */
  keys(make: () => Set<string>): Set<string> {
    return (this.#more.keys ??= make())
  }

  /** Frames that brought it outputs without an id, by the socket they came on: the same frame on a later socket is a replay. */
  get frames(): Map<string, number> {
    return (this.#more.frames ??= new Map<string, number>())
  }

  /** getResponse answers since polling started; drives the poll backoff. */
  get pollAttempt(): number {
    return this.#extra?.pollAttempt ?? 0
  }

  set pollAttempt(value: number) {
    this.#more.pollAttempt = value
  }

  /** Empty getResponse answers in a row ("not known"). */
  get emptyAnswers(): number {
    return this.#extra?.emptyAnswers ?? 0
  }

  set emptyAnswers(value: number) {
    if (value !== 0 || this.#extra !== undefined) this.#more.emptyAnswers = value
  }

  /** A poll of it is out (asked, not yet answered). */
  get pollAsked(): boolean {
    return this.#extra?.pollAsked ?? false
  }

  set pollAsked(value: boolean) {
    if (value || this.#extra !== undefined) this.#more.pollAsked = value
  }

  /** Why it is polled when a `conflictTaskUUID` sent it there: the error to reject with if the server never knows it. */
  get conflict(): RunwareError | undefined {
    return this.#extra?.conflict
  }

  set conflict(error: RunwareError | undefined) {
    this.#more.conflict = error
  }

  /** The entry for a retry's delay or the next poll, created on first use. */
  get wake(): ScheduleEntry {
    return (this.#more.wake ??= entry(() => this.#owner.woken(this)))
  }

  /** The wake entry if it was ever created (releasing a task must not create one). */
  get wakeIfAny(): ScheduleEntry | undefined {
    return this.#extra?.wake
  }

  get settled(): boolean {
    return this.phase === 'settled'
  }

  /** When the deadline falls (clock ms), or undefined when the task has none. */
  get deadline(): number | undefined {
    return isScheduled(this) ? this.at : undefined
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

/** A record's rarely used parts. */
class RecordExtra {
  onProgress: ((progress: number) => void) | undefined = undefined
  onDelta: ((delta: TextDelta) => void) | undefined = undefined
  deltas = 0
  parentContext: ContextLike | undefined = undefined
  aliases: string[] | undefined = undefined
  keys: Set<string> | undefined = undefined
  frames: Map<string, number> | undefined = undefined
  pollAttempt = 0
  pollAsked = false
  emptyAnswers = 0
  conflict: RunwareError | undefined = undefined
  wake: ScheduleEntry | undefined = undefined
}
