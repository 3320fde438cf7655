/**
 * Tasks whose socket died while they were on the wire (the `unknown` phase): did the server get
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
import { entry, type Schedule } from '../support/schedule.js'
import type { Prober } from './probes.js'
import type { TaskRecord } from './task-record.js'

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
