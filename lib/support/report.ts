/**
 * The one door between the library and caller code (event listeners, the logger, `onResult`,
 * `onProgress`, stream consumers; `classify` reports through it too).
 *
 * The library is a monitor: its work runs inside `run`, and caller code is queued meanwhile and
 * called once the outermost piece of work is done, in order. So a listener always sees the library
 * at rest (every state fully entered, every timer armed), and whatever it does (close, run,
 * connect, abort) cannot interleave with a half-done step. A throw from caller code is reported
 * (to the logger and as a `callbackError` event, never through the thing that threw) and changes
 * nothing. The library's own bookkeeping never goes through here.
 */
import { EventEmitter } from 'eventemitter3'
import { describeThrown, libraryError, type RunwareError, type Scrubber } from './errors.js'
import type { RunwareSocketEvents } from '../api/events.js'
import type { Logger } from '../api/options.js'
import type { Clock } from './clock.js'

type EventName = keyof RunwareSocketEvents
type Listener<E extends EventName> = (...args: RunwareSocketEvents[E]) => void
type LogLevel = keyof Logger

export class Monitor {
  #depth = 0
  readonly #queue: (() => void)[] = []
  #draining = false

  constructor(private readonly onBug: (error: unknown) => void) {}

  /** True inside library work or while queued caller code runs: a public call then waits its turn. */
  get busy(): boolean {
    return this.#depth > 0 || this.#draining
  }

  /** Runs a piece of library work; a throw (a bug) is reported, never let into the event loop. */
  run(work: () => void): void {
    this.#depth += 1
    try {
      work()
    } catch (error) {
      this.onBug(error)
    } finally {
      this.#depth -= 1
      if (this.#depth === 0 && !this.#draining && this.#queue.length > 0) this.#drain()
    }
  }

  /** Queues caller code (or a re-entrant public call) for when the library is at rest. */
  later(call: () => void): void {
    if (this.busy) this.#queue.push(call)
    else this.run(call)
  }

  /** Library work now, or, when called from caller code the library is running, right after it. */
  enter(work: () => void): void {
    if (this.busy) this.#queue.push(() => this.run(work))
    else this.run(work)
  }

  #drain(): void {
    this.#draining = true
    try {
      // Items may queue more; an array iterator sees them, so they run in this same pass, in order.
      // Each is guarded on its own: one that throws (a bug) must not drop the rest (a close's
      // resolution may be queued behind it).
      for (const call of this.#queue) {
        try {
          call()
        } catch (error) {
          this.onBug(error)
        }
      }
    } finally {
      this.#queue.length = 0
      this.#draining = false
    }
  }
}

/** Caller-facing output: events, callbacks and log lines, each guarded and queued through the monitor. */
export class Reporter {
  readonly #events = new EventEmitter<RunwareSocketEvents>()
  /** The guarded wrappers registered for each caller listener, to find them again in `off`. */
  readonly #wrappers = new Map<EventName, Map<object, object[]>>()

  constructor(
    private readonly monitor: Monitor,
    private readonly logger: Logger,
    private readonly scrubber: Scrubber,
    private readonly logFields: Readonly<Record<string, unknown>>,
  ) {}

  // ---- listeners ----

  on<E extends EventName>(event: E, listener: Listener<E>, once = false): void {
    const wrapper = ((...args: RunwareSocketEvents[E]) => {
      if (once) this.#forget(event, listener, wrapper)
      this.#call(() => listener(...args), `a '${event}' listener`, event === 'error')
    }) as Listener<E>
    let byListener = this.#wrappers.get(event)
    if (byListener === undefined) this.#wrappers.set(event, (byListener = new Map<object, object[]>()))
    const list = byListener.get(listener) ?? []
    list.push(wrapper)
    byListener.set(listener, list)
    ;(this.#events.on as (event: E, fn: Listener<E>) => void)(event, wrapper)
  }

  off<E extends EventName>(event: E, listener?: Listener<E>): void {
    if (listener === undefined) {
      this.#events.removeAllListeners(event)
      this.#wrappers.delete(event)
      return
    }
    const wrapper = this.#wrappers.get(event)?.get(listener)?.at(-1)
    if (wrapper !== undefined) this.#forget(event, listener, wrapper as Listener<E>)
  }

  listenerCount(event: EventName): number {
    return this.#events.listenerCount(event)
  }

  removeAll(): void {
    this.#events.removeAllListeners()
    this.#wrappers.clear()
  }

  #forget<E extends EventName>(event: E, listener: Listener<E>, wrapper: Listener<E>): void {
    const byListener = this.#wrappers.get(event)
    const list = byListener?.get(listener)
    const index = list?.indexOf(wrapper) ?? -1
    if (list === undefined || index < 0) return
    list.splice(index, 1)
    if (list.length === 0) byListener?.delete(listener)
    ;(this.#events.off as (event: E, fn: Listener<E>) => void)(event, wrapper)
  }

  // ---- output ----

  /** Emits once the library is at rest; each listener guarded on its own. */
  emit<E extends EventName>(event: E, ...args: RunwareSocketEvents[E]): void {
    if (this.#events.listenerCount(event) === 0) return
    this.monitor.later(() => (this.#events.emit as (event: E, ...args: RunwareSocketEvents[E]) => boolean)(event, ...args))
  }

  /** A per-task callback (onResult, onProgress), queued and guarded like a listener. */
  callback(what: string, call: () => void): void {
    this.monitor.later(() => this.#call(call, what, false))
  }

  /** A connection-level or protocol error: logged as a warning and emitted as `error`. */
  error(error: RunwareError): void {
    this.log('warn', error.message, { code: error.code })
    this.emit('error', error)
  }

  /** Caller code that threw outside the queue (`classify`): reported like any other. */
  thrown(what: string, error: unknown): void {
    this.#report(what, error, false)
  }

  /** One log line: the API key scrubbed, the client id added, a throwing logger ignored. */
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (this.logger[level] === undefined) return
    try {
      this.logger[level](this.scrubber.text(message), { ...this.logFields, ...this.scrubber.fields(fields) })
    } catch {
      // The logger is the one place a throw cannot be reported: dropping the line is all that is left.
    }
  }

  #call(call: () => void, what: string, fromErrorListener: boolean): void {
    try {
      call()
    } catch (error) {
      this.#report(what, error, fromErrorListener)
    }
  }

  #report(what: string, error: unknown, fromErrorListener: boolean): void {
    const detail = describeThrown(error)
    this.log('error', `${what} threw`, { error: detail })
    // Never through the thing that threw: a throwing 'error' listener is only logged.
    if (!fromErrorListener) this.emit('error', libraryError('callbackError', this.scrubber.text(`${what} threw: ${detail}`)))
  }
}

/** Timers fire as library work: their callbacks run inside the monitor. */
export function monitoredClock(clock: Clock, monitor: Monitor): Clock {
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) => clock.setTimeout(() => monitor.run(fn), ms),
    clearTimeout: (handle) => clock.clearTimeout(handle),
  }
}
