/**
 * Time as the library sees it. Everything time-dependent (deadlines, backoff, heartbeat, polling,
 * the simulator's latency and idle timeout) goes through a Clock, so specs can drive time by hand
 * and a library timer can never outlive the object that armed it.
 */
export interface TimerHandle {
  /** Stop this timer from keeping the Node process alive. */
  unref?(): unknown
  /** Let it keep the process alive again (the default). */
  ref?(): unknown
}

export interface Clock {
  /** Milliseconds on a monotonic scale: only differences mean anything. */
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

/**
 * A system timer whose callback runs in the event loop's check phase (setImmediate) after it is
 * due, so the poll phase before it reads whatever input is waiting. A timer that fires late
 * because the loop was busy (a stall past a pong deadline) then decides with the pong already
 * read, not before.
 */
class SystemTimer implements TimerHandle {
  #timeout: ReturnType<typeof setTimeout> | undefined
  #immediate: ReturnType<typeof setImmediate> | undefined
  #refed = true

  constructor(fn: () => void, ms: number) {
    this.#timeout = globalThis.setTimeout(() => {
      this.#timeout = undefined
      this.#immediate = globalThis.setImmediate(() => {
        this.#immediate = undefined
        fn()
      })
      if (!this.#refed) this.#immediate.unref()
    }, ms)
  }

  unref(): this {
    this.#refed = false
    this.#timeout?.unref()
    this.#immediate?.unref()
    return this
  }

  ref(): this {
    this.#refed = true
    this.#timeout?.ref()
    this.#immediate?.ref()
    return this
  }

  clear(): void {
    // Both take undefined (a half not armed yet, or done).
    globalThis.clearTimeout(this.#timeout)
    globalThis.clearImmediate(this.#immediate)
    this.#timeout = undefined
    this.#immediate = undefined
  }
}

/**
 * The process clock: monotonic (`performance.now()`), so a wall clock stepped by NTP or a resumed
 * VM moves no deadline, delay or heartbeat; wall time is only for timestamps a person reads. It
 * looks the globals up on every call rather than capturing them, so that vitest's fake timers
 * (installed after this module loads) are honoured.
 */
export const systemClock: Clock = {
  now: () => globalThis.performance.now(),
  setTimeout: (fn, ms) => new SystemTimer(fn, ms),
  clearTimeout: (handle) => {
    if (handle instanceof SystemTimer) handle.clear()
  },
}
