/**
 * getResponse answers, matched to their questions. An answer that names its task is matched by id;
 * an unknown id gets a bare `{"data": []}` that names nothing, so those are matched by counting:
 * every getResponse goes through here, in rounds, one round out at a time per socket. A round of N
 * probes gets N answers; once every answer that names a task has come, the probes left unnamed
 * are exactly the ids the server does not know. A round not fully answered within `timeoutMs` is
 * asked again (what it left unnamed), and a lost socket voids the round. A round leaves at the end
 * of the tick, so that every question asked in one tick (the polls due at one moment, the tasks
 * found unknown after a reconnect) shares it instead of waiting a round trip per question.
 */
import type { TaskRecord } from './ledger.js'
import { entry, type Schedule } from '../support/schedule.js'

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
    // Nothing settled waits here: leaving the phases that ask forgets the question (releases.ts).
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
