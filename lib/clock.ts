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
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

/**
 * The process clock. It looks the globals up on every call rather than capturing them, so that
 * vitest's fake timers (installed after this module loads) are honoured.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => {
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>)
  },
}
