/**
 * Tasks whose socket died while they were on the wire: did the server get them? Never guess by
 * resending under a new id (that can run, and bill, the task twice). After a reconnect:
 *
 *   1. if the session was resumed, wait for replayed results: until the pong of a ping sent right
 *      after the resume (frames on a socket arrive in order, so the replay is in by then), or
 *      `resumeGraceMs`, whichever comes first;
 *   2. ask getResponse for each task still incomplete (a probe round);
 *   3. a task the server names is known: its results are collected (pushes and polls);
 *   4. a task the server does not know is resent under the same id (a conflictTaskUUID answer
 *      to that resend means it was accepted after all, and is polled).
 *
 * The server answers an unknown id with a bare `{"data": []}` that names no task, so empty
 * answers are matched by counting: a round of N probes gets N answers; once every answer that is
 * not empty has named its task, the tasks left unnamed are exactly the unknown ones. Only one
 * round is out at a time per socket, and a round that is not fully answered in time is re-asked.
 */
import type { Clock } from './clock.js'
import type { TaskRecord } from './ledger.js'
import type { Outbox } from './outbox.js'
import { entry, type Schedule } from './schedule.js'

export interface ReconcileOptions {
  readonly resumeGraceMs: number
  /** How long a round may wait for its answers. */
  readonly roundTimeoutMs: number
  /** Probes per round. */
  readonly roundSize: number
}

export interface ReconcileHooks {
  /** The server does not know this task: send it again under the same id. */
  resend(record: TaskRecord): void
  /** Sends a ping whose pong marks the end of the replay; false when it could not be sent. */
  ping(): boolean
}

export class Reconciler {
  /** Fate unknown, not yet asked about on this socket. */
  readonly #unknown = new Set<TaskRecord>()
  /** The round out now: probes by wire id, deleted as their answers arrive. */
  #round: Map<string, TaskRecord> | undefined
  #emptyAnswers = 0
  #waitingForGrace = false
  readonly #timer = entry(() => this.#onTimer())

  constructor(
    private readonly outbox: Outbox,
    private readonly schedule: Schedule,
    private readonly clock: Clock,
    private readonly options: ReconcileOptions,
    private readonly hooks: ReconcileHooks,
  ) {}

  /** The socket died with this task on the wire. */
  add(record: TaskRecord): void {
    record.phase = 'unknown'
    this.#unknown.add(record)
  }

  /** The task settled or its fate became known; a probe already out still counts when answered. */
  forget(record: TaskRecord): void {
    this.#unknown.delete(record)
  }

  /** A new socket is authenticated. */
  ready(resumed: boolean): void {
    if (this.#unknown.size === 0) return
    if (resumed && this.options.resumeGraceMs > 0 && this.hooks.ping()) {
      this.#waitingForGrace = true
      this.schedule.add(this.#timer, this.clock.now() + this.options.resumeGraceMs)
      return
    }
    this.#probe()
  }

  /** A pong arrived: if it answers the post-resume ping, the replay is over. */
  pong(): void {
    if (!this.#waitingForGrace) return
    this.#waitingForGrace = false
    this.schedule.remove(this.#timer)
    this.#probe()
  }

  /** The socket died: the round's answers will never come; its tasks are asked again next time. */
  lost(): void {
    this.schedule.remove(this.#timer)
    this.#waitingForGrace = false
    this.#returnRound()
  }

  /** An answer (poll items or an error) named `taskUUID`; true when it was a probe of this round. */
  named(taskUUID: string): boolean {
    if (this.#round?.delete(taskUUID) !== true) return false
    this.#check()
    return true
  }

  /** An empty answer (`{"data": []}`); false when no round is out (it cannot be ours). */
  empty(): boolean {
    if (this.#round === undefined) return false
    this.#emptyAnswers += 1
    this.#check()
    return true
  }

  clear(): void {
    this.schedule.remove(this.#timer)
    this.#unknown.clear()
    this.#round = undefined
    this.#emptyAnswers = 0
    this.#waitingForGrace = false
  }

  #onTimer(): void {
    if (this.#waitingForGrace) {
      this.#waitingForGrace = false
      this.#probe()
      return
    }
    // The round timed out: ask again about whatever it did not answer.
    this.#returnRound()
    this.#probe()
  }

  #probe(): void {
    if (this.#round !== undefined || this.#unknown.size === 0) return
    const round = new Map<string, TaskRecord>()
    for (const record of this.#unknown) {
      if (round.size >= this.options.roundSize) break
      this.#unknown.delete(record)
      round.set(record.wireUUID, record)
      this.outbox.poll(record.wireUUID)
    }
    this.#round = round
    this.#emptyAnswers = 0
    this.schedule.add(this.#timer, this.clock.now() + this.options.roundTimeoutMs)
  }

  /** Every answer is in once each probe still unnamed has had an empty answer. */
  #check(): void {
    const round = this.#round
    if (round?.size !== this.#emptyAnswers) return
    this.#round = undefined
    this.#emptyAnswers = 0
    this.schedule.remove(this.#timer)
    for (const record of round.values()) {
      if (record.phase === 'unknown') this.hooks.resend(record)
    }
    this.#probe()
  }

  #returnRound(): void {
    const round = this.#round
    this.#round = undefined
    this.#emptyAnswers = 0
    if (round === undefined) return
    for (const record of round.values()) if (record.phase === 'unknown') this.#unknown.add(record)
  }
}
