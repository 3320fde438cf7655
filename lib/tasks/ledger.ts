/**
 * Every task the client holds, from `run` until it settles exactly once, moved along the task
 * lifecycle table (machines/phases.ts). Every phase change goes through `move`, which checks the
 * edge, keeps the send queues and the in-flight count right, and reports the move (the engine
 * releases what the phase left holds, and reports the task event the edge stands for). Settled
 * has no edges out, so a late answer can never send a settled task again.
 *
 * Records are found by any taskUUID they went out under (one Map lookup per item): a retry adds its
 * fresh id, and results that still arrive for an earlier one count. The caller's promise and
 * `taskUUID` never change.
 */
import type { RunwareError } from '../support/errors.js'
import type { TaskEvent } from '../api/events.js'
import { EDGES, ON_WIRE, type PhaseEvent, type TaskPhase } from '../machines/phases.js'
import type { TaskRecord } from './task-record.js'
import type { Lane, Lanes } from './lanes.js'

export { TaskRecord, type RecordInit, type RecordOwner } from './task-record.js'
export type { TaskPhase } from '../machines/phases.js'

/** What a move reports: the event's extra facts. */
export interface MoveDetail {
  /** settled: the error it rejected with (resolved when absent); retry: the error that caused it. */
  error?: RunwareError | undefined
  /** retry: the delay before the next attempt. */
  delayMs?: number | undefined
}

export interface LedgerHooks {
  /** A task was admitted (queued). */
  admitted(record: TaskRecord): void
  /** A phase change happened from `from`; `event` is the task event the edge stands for (null: none). */
  moved(record: TaskRecord, from: TaskPhase, event: PhaseEvent | null, detail: MoveDetail | undefined): void
}

export class Ledger {
  readonly #byWire = new Map<string, TaskRecord>()
  /**
   * New tasks waiting to be sent, in their model's lane (lanes.ts), oldest first. A task that leaves
   * the queue another way (settled, aborted) stays in its lane's array and is skipped when reached:
   * an array push is cheaper per task than a Set's add and delete, and a lane's array is emptied
   * whenever none of its new tasks waits.
   */
  #freshCount = 0
  /** Retries and same-id resends: sent before new work, and never refused for a full queue. */
  readonly #urgent = new Set<TaskRecord>()
  /** New tasks whose journal entry is being written: counted as queued (maxQueued bounds them too). */
  #journaling = 0
  #inFlight = 0
  /** Records not yet settled (the Map also holds retry aliases). */
  #live = 0

  constructor(
    private readonly hooks: LedgerHooks,
    private readonly lanes: Lanes,
  ) {}

  get size(): number {
    return this.#live
  }

  /** New tasks waiting to be sent (the part `maxQueued` bounds). */
  get queued(): number {
    return this.#freshCount + this.#journaling
  }

  get waitingToSend(): number {
    return this.#freshCount + this.#urgent.size
  }

  get inFlight(): number {
    return this.#inFlight
  }

  /** The live record any of whose ids is `wireUUID`; settled records are never found. */
  get(wireUUID: string): TaskRecord | undefined {
    return this.#byWire.get(wireUUID)
  }

  has(wireUUID: string): boolean {
    return this.#byWire.has(wireUUID)
  }

  /** The live records in `phase`, as a snapshot (a reconnect asks about them; rare, so a scan). */
  inPhase(phase: TaskPhase): TaskRecord[] {
    return this.records().filter((record) => record.phase === phase)
  }

  /** A snapshot of the live records: safe to settle them while walking it. */
  records(): TaskRecord[] {
    const seen = new Set<TaskRecord>()
    for (const record of this.#byWire.values()) seen.add(record)
    return [...seen]
  }

  /**
   * Registers a task: a new one queued, or journaling first (a client with a journal sends nothing
   * before its entry is durable); one a previous process left in flight starts `unknown`, as if
   * its socket had just died with it on the wire (submitted once, under its own id).
   */
  admit(record: TaskRecord, phase: 'queued' | 'journaling' | 'unknown' = 'queued'): void {
    this.#byWire.set(record.wireUUID, record)
    this.#live += 1
    record.phase = phase
    const lane = (record.lane = this.lanes.of(record))
    if (phase === 'queued') this.#queueFresh(record)
    else if (phase === 'journaling') this.#journaling += 1
    else {
      record.submissions = 1
      record.countedAs = record.wireUUID
      this.#inFlight += 1
      lane.inFlight += 1
    }
    this.hooks.admitted(record)
  }

  #queueFresh(record: TaskRecord): void {
    this.lanes.enqueue(record.lane as Lane, record)
    this.#freshCount += 1
  }

  /** Whether the table has this edge from where the task is now. */
  canMove(record: TaskRecord, to: TaskPhase): boolean {
    return EDGES[record.phase][to] !== undefined
  }

  /**
   * Moves a task along an edge of the table. False (and nothing changes) for a settled task: that
   * is how a late answer is stopped. Any other edge outside the table is a bug, and throws.
   */
  move(record: TaskRecord, to: TaskPhase, detail?: MoveDetail): boolean {
    const from = record.phase
    const event = EDGES[from][to]
    if (event === undefined) {
      if (from === 'settled') return false
      throw new Error(`runware-socket: illegal task move ${from} → ${to} (${record.id})`)
    }
    const lane = record.lane as Lane
    // A queued task is in exactly one of the two queues: urgent, or else fresh (its lane's).
    if (from === 'queued' && !this.#urgent.delete(record)) {
      this.#freshCount -= 1
      if (--lane.count === 0) lane.empty()
    }
    if (from === 'journaling') this.#journaling -= 1
    if (ON_WIRE[from] !== ON_WIRE[to]) {
      const change = ON_WIRE[to] ? 1 : -1
      this.#inFlight += change
      lane.inFlight += change
    }
    record.phase = to
    this.lanes.moved(record, from, to, detail?.error)
    // Out of the journal it is new work, in its turn; anything else coming back is urgent.
    if (to === 'queued') {
      if (from === 'journaling') this.#queueFresh(record)
      else this.#urgent.add(record)
    } else if (to === 'settled') this.#forget(record)
    this.hooks.moved(record, from, event, detail)
    return true
  }

  /** Holds new tasks of this task's model until `until` (a capacity code's backoff; lanes.ts). */
  pauseModel(record: TaskRecord, until: number): void {
    this.lanes.pause(record, until)
  }

  /** When a paused model with new tasks waiting may send again (Infinity: none). */
  resumeAt(): number {
    return this.lanes.resumeAt()
  }

  /** Takes up to `max` tasks for one frame (urgent ones first), each within its lane's limit, counting each submission under a fresh id. */
  take(max: number): TaskRecord[] {
    const batch: TaskRecord[] = []
    for (const record of this.#urgent) {
      if (batch.length >= max) return batch
      const lane = record.lane as Lane
      if (lane.inFlight < lane.limit) this.#send(record, batch)
    }
    this.lanes.takeFresh(max - batch.length, (record) => {
      // Skipped: it left the queue since (its move counted it out), or came back as urgent.
      if (record.phase !== 'queued' || this.#urgent.has(record)) return false
      this.#send(record, batch)
      return true
    })
    return batch
  }

  #send(record: TaskRecord, batch: TaskRecord[]): void {
    // A same-id resend is not a new submission: it cannot run twice.
    if (record.wireUUID !== record.countedAs) {
      record.submissions += 1
      record.countedAs = record.wireUUID
    }
    this.move(record, 'sent')
    batch.push(record)
  }

  /** A retry's fresh id: the record is found under it too from now on. */
  rekey(record: TaskRecord, wireUUID: string): void {
    record.alias(record.wireUUID)
    record.wireUUID = wireUUID
    this.#byWire.set(wireUUID, record)
  }

  #forget(record: TaskRecord): void {
    this.#live -= 1
    this.#byWire.delete(record.wireUUID)
    const aliases = record.aliases
    if (aliases !== undefined) for (const alias of aliases) this.#byWire.delete(alias)
  }
}

/** The task event an admission or an edge stands for. */
export function taskEvent(record: TaskRecord, type: PhaseEvent | 'queued', detail: MoveDetail | undefined): TaskEvent {
  const base = { taskUUID: record.id, taskType: record.taskType }
  switch (type) {
    case 'queued':
      return { ...base, type }
    case 'sent':
      return { ...base, type, wireUUID: record.wireUUID, attempt: record.submissions }
    case 'retry':
      return {
        ...base,
        type,
        code: detail?.error?.code ?? 'unknown',
        delayMs: detail?.delayMs ?? 0,
        attempt: record.submissions + 1,
        wireUUID: record.wireUUID,
      }
    case 'resubmit':
    case 'polling':
      return { ...base, type, wireUUID: record.wireUUID }
    case 'settled': {
      const error = detail?.error
      return error === undefined
        ? { ...base, type, outcome: 'resolved', items: record.received }
        : { ...base, type, outcome: 'rejected', code: error.code, items: record.received }
    }
  }
}
