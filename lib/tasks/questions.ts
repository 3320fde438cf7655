/**
 * getResponse: every question the client asks the server about a task it may hold, in three parts.
 *
 * The Prober matches answers to questions. An answer that names its task is matched by id; an
 * unknown id gets a bare `{"data": []}` that names nothing, so those are matched by counting:
 * every getResponse goes through here, in rounds, one round out at a time per socket. A round of N
 * probes gets N answers; once every answer that names a task has come, the probes left unnamed
 * are exactly the ids the server does not know. A round not fully answered within `timeoutMs` is
 * asked again (what it left unnamed), and a lost socket voids the round. A round leaves at the end
 * of the tick, so that every question asked in one tick (the polls due at one moment, the tasks
 * found unknown after a reconnect) shares it instead of waiting a round trip per question.
 *
 * The Poller decides when a task the server holds is asked next (below); the Reconciler, which
 * tasks whose socket died are asked about after a reconnect, and when (below).
 */
import type { ResolvedOptions } from '../api/options.js'
import { entry, type Schedule } from '../support/schedule.js'
import type { TaskRecord } from './task-record.js'

export interface ProberOptions {
  /** Probes per round (one frame). */
  readonly roundSize: number
  /** How long a round may wait for its answers. */
  readonly timeoutMs: number
}

export interface ProberHooks {
  /** Queues one getResponse for `wireUUID` on the socket. */
  send(wireUUID: string): void
  /** The round is answered and the server did not know this task's id. */
  unknown(record: TaskRecord): void
  /** Runs `work` as library work (the monitor): a microtask is outside every other entry point. */
  run(work: () => void): void
}

export class Prober {
  /** Asked for, not yet sent. */
  readonly #waiting = new Set<TaskRecord>()
  /** The round out now: probes by wire id, deleted as their answers name them. */
  #round: Map<string, TaskRecord> | undefined
  #empties = 0
  #ready = false
  #soon = false
  readonly #timer = entry(() => this.#timedOut())

  constructor(
    private readonly schedule: Schedule,
    private readonly options: ProberOptions,
    private readonly hooks: ProberHooks,
  ) {}

  /** Asks getResponse about the task (in the next round, if one is out). */
  ask(record: TaskRecord): void {
    if (this.#round?.get(record.wireUUID) === record) return
    this.#waiting.add(record)
    this.#atEndOfTick()
  }

  /** No longer wanted (settled, resent, retried). A probe already out still counts when answered. */
  forget(record: TaskRecord): void {
    this.#waiting.delete(record)
  }

  /** An answer (items or an error) named `wireUUID`. */
  named(wireUUID: string): void {
    if (this.#round?.delete(wireUUID) === true) this.#check()
  }

  /** An empty answer. With no round out it cannot be an answer to us: the next round counts from 0. */
  empty(): void {
    this.#empties += 1
    this.#check()
  }

  /** A socket is ready: send what waits. */
  ready(): void {
    this.#ready = true
    this.#atEndOfTick()
  }

  /** The socket died: the round's answers will never come; its probes are asked again. */
  lost(): void {
    this.#ready = false
    this.schedule.remove(this.#timer)
    this.#returnRound()
  }

  clear(): void {
    this.schedule.remove(this.#timer)
    this.#waiting.clear()
    this.#round = undefined
    this.#empties = 0
  }

  #atEndOfTick(): void {
    if (this.#soon) return
    this.#soon = true
    queueMicrotask(this.#nextScheduled)
  }

  readonly #nextScheduled = (): void => {
    this.#soon = false
    this.hooks.run(this.#nextRound)
  }

  readonly #nextRound = (): void => {
    this.#next()
  }

  #next(): void {
    if (!this.#ready || this.#round !== undefined) return
    const round = new Map<string, TaskRecord>()
    // Nothing settled waits here: leaving the phases that ask forgets the question (holdings.ts).
    for (const record of this.#waiting) {
      if (round.size >= this.options.roundSize) break
      this.#waiting.delete(record)
      round.set(record.wireUUID, record)
    }
    if (round.size === 0) return
    this.#round = round
    this.#empties = 0
    for (const wireUUID of round.keys()) this.hooks.send(wireUUID)
    this.schedule.add(this.#timer, this.schedule.now() + this.options.timeoutMs)
  }

  /** Every answer is in once each probe still unnamed has had an empty answer. */
  #check(): void {
    const round = this.#round
    if (round?.size !== this.#empties) return
    this.#round = undefined
    this.#empties = 0
    this.schedule.remove(this.#timer)
    for (const record of round.values()) if (!record.settled) this.hooks.unknown(record)
    this.#next()
  }

  #timedOut(): void {
    this.#returnRound()
    this.#next()
  }

  #returnRound(): void {
    const round = this.#round
    this.#round = undefined
    this.#empties = 0
    if (round === undefined) return
    for (const record of round.values()) if (!record.settled) this.#waiting.add(record)
  }
}

/**
 * The Poller: getResponse polling for tasks the server holds (async tasks after their acknowledgement, tasks
 * found by a probe after a reconnect, and `conflictTaskUUID` answers): the tasks in the `polling`
 * phase. Each has one schedule entry (its wake) for its next poll; delays grow ×multiplier up to
 * a cap. The question itself goes through the Prober, which matches the answer (and re-asks an
 * unanswered one). A new socket polls every task at once: whatever finished during the outage is
 * collected without waiting. Leaving `polling` releases the wake and the question (machines/phases.ts).
 */
export class Poller {
  constructor(
    private readonly prober: Prober,
    private readonly schedule: Schedule,
    private readonly options: ResolvedOptions['poll'],
  ) {}

  /** A task moved to polling: its first poll after `firstDelayMs`. */
  start(record: TaskRecord, firstDelayMs = this.options.initialDelayMs): void {
    record.pollAttempt = 0
    record.pollAsked = false
    this.schedule.add(record.wake, this.schedule.now() + firstDelayMs)
  }

  /** The task's wake fired: ask (once: a poll already out is not asked again). */
  due(record: TaskRecord): void {
    if (record.phase !== 'polling' || record.pollAsked) return
    record.pollAsked = true
    this.prober.ask(record)
  }

  /** An answer came and the task is still running: the next poll after the next delay. */
  answered(record: TaskRecord): void {
    if (record.phase !== 'polling') return
    record.pollAsked = false
    record.pollAttempt += 1
    const { initialDelayMs, multiplier, maxDelayMs } = this.options
    const delay = Math.min(maxDelayMs, initialDelayMs * multiplier ** record.pollAttempt)
    this.schedule.add(record.wake, this.schedule.now() + delay)
  }

  /** A new socket is ready: poll every task now (one already asked is left to the Prober, which re-asks it). */
  resume(polling: readonly TaskRecord[]): void {
    for (const record of polling) {
      this.schedule.remove(record.wake)
      this.due(record)
    }
  }
}

/**
 * The Reconciler: tasks whose socket died while they were on the wire (the `unknown` phase): did the server get
 * them? Never guess by resending under a new id (that can run, and bill, the task twice). After a
 * reconnect:
 *
 *   1. if the session was resumed, wait for replayed results: until the pong of a ping sent right
 *      after the resume (frames on a socket arrive in order, so the replay is in by then), or
 *      `resumeGraceMs`, whichever comes first;
 *   2. ask getResponse about each task still incomplete (the Prober matches the answers);
 *   3. a task the server names is known: its results are collected (pushes and polls);
 *   4. a task the server does not know is resent under the same id (a conflictTaskUUID answer
 *      to that resend means it was accepted after all, and is polled).
 */
export class Reconciler {
  #waitingForReplay = false
  readonly #grace = entry(() => this.#endGrace())

  constructor(
    private readonly prober: Prober,
    private readonly schedule: Schedule,
    private readonly resumeGraceMs: number,
    /** Sends a ping whose pong marks the end of the replay; false when it could not be sent. */
    private readonly ping: () => boolean,
    /** The tasks whose fate is unknown now. */
    private readonly unknown: () => readonly TaskRecord[],
  ) {}

  /** A new socket is authenticated. */
  ready(resumed: boolean): void {
    if (this.unknown().length === 0) return
    if (resumed && this.resumeGraceMs > 0 && this.ping()) {
      this.#waitingForReplay = true
      this.schedule.add(this.#grace, this.schedule.now() + this.resumeGraceMs)
      return
    }
    this.#askAll()
  }

  /** A pong arrived: if it answers the post-resume ping, the replay is in. */
  pong(): void {
    if (this.#waitingForReplay) this.#endGrace()
  }

  lost(): void {
    this.#waitingForReplay = false
    this.schedule.remove(this.#grace)
  }

  #endGrace(): void {
    this.#waitingForReplay = false
    this.schedule.remove(this.#grace)
    this.#askAll()
  }

  #askAll(): void {
    for (const record of this.unknown()) if (!record.complete) this.prober.ask(record)
  }
}
