/**
 * The server's session across sockets: which connectionSessionUUID to ask for on a new socket
 * (the last one, within `resumeWindowMs` of losing it), and whether the server re-attached it.
 */
export class SessionMemory {
  #uuid: string | undefined
  /** The session the current handshake asked to resume. */
  #requested: string | undefined
  /** When the last authenticated socket was lost (the resume window starts there). */
  #lostAt: number | undefined

  constructor(private readonly windowMs: number) {}

  get uuid(): string | undefined {
    return this.#uuid
  }

  /** The session to ask for on a socket opening now, if any. */
  request(now: number): string | undefined {
    // Never lost: no window is open. No session yet: nothing to ask for.
    const resume = now - (this.#lostAt ?? -Infinity) <= this.windowMs
    this.#requested = resume ? this.#uuid : undefined
    return this.#requested
  }

  /** The auth reply named `uuid`; true when it is the session asked for (buffered results follow). */
  accepted(uuid: string): boolean {
    const resumed = uuid === this.#requested
    this.#uuid = uuid
    this.#lostAt = undefined
    return resumed
  }

  /** An authenticated socket was lost at `now`. */
  lost(now: number): void {
    this.#lostAt = now
  }
}
