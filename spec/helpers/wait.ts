/** Waiting in specs: on an event, or on a condition that moves with I/O. Never a fixed sleep. */
import type { EventEmitter } from 'eventemitter3'
import type { RunwareSocket } from '../../lib/client.js'
import type { RunwareError } from '../../lib/support/errors.js'
import type { RunwareSocketEvents, StateEvent } from '../../lib/api/events.js'
import { realClearTimeout, realSetTimeout } from './real-timers.js'

interface Listenable {
  on(event: string, listener: (...args: never[]) => void): unknown
  off(event: string, listener: (...args: never[]) => void): unknown
}

/** Resolves with the first event that matches, or rejects after `timeoutMs` of real time. */
export function waitFor<E extends keyof RunwareSocketEvents>(
  client: RunwareSocket,
  event: E,
  predicate?: (...args: RunwareSocketEvents[E]) => boolean,
  timeoutMs?: number,
): Promise<RunwareSocketEvents[E]>
export function waitFor<Events extends EventEmitter.ValidEventTypes, Name extends EventEmitter.EventNames<Events>>(
  emitter: EventEmitter<Events>,
  event: Name,
  predicate?: (...args: EventEmitter.EventArgs<Events, Name>) => boolean,
  timeoutMs?: number,
): Promise<EventEmitter.EventArgs<Events, Name>>
export function waitFor(source: unknown, event: string, matches?: (...args: never[]) => boolean, timeoutMs = 5000): Promise<unknown[]> {
  const emitter = source as Listenable
  const predicate = (matches ?? (() => true)) as (...args: unknown[]) => boolean
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      if (!predicate(...args)) return
      realClearTimeout(timer)
      emitter.off(event, listener)
      resolve(args)
    }
    const timer = realSetTimeout(() => {
      emitter.off(event, listener)
      reject(new Error(`no matching ${event} event within ${timeoutMs} ms`))
    }, timeoutMs)
    emitter.on(event, listener)
  })
}

export function waitForState(client: RunwareSocket, to: StateEvent['to'], timeoutMs?: number): Promise<StateEvent> {
  return waitFor(client, 'state', (event) => event.to === to, timeoutMs).then(([event]) => event)
}

export interface UntilOptions {
  timeoutMs?: number
  /** Between checks; by default each macrotask (setImmediate), for counters that move with I/O. */
  everyMs?: number
}

/** Waits until `condition` holds, checking again and again up to a bound. */
export async function until(condition: () => boolean, what: string, options: number | UntilOptions = {}): Promise<void> {
  const { timeoutMs = 5000, everyMs } = typeof options === 'number' ? { timeoutMs: options } : options
  const started = performance.now()
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => (everyMs === undefined ? setImmediate(resolve) : realSetTimeout(resolve, everyMs)))
  }
}

/** `until` for a condition that must be asked asynchronously (Redis, a file), every `everyMs`. */
export async function eventually(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000, everyMs = 25): Promise<void> {
  const started = performance.now()
  while (!(await condition())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => realSetTimeout(resolve, everyMs))
  }
}

/**
 * Resolves after the simulator's pending "later this turn" work (zero-latency completions, result
 * flushes) has run: that work is queued with setImmediate, which runs in FIFO order.
 */
export function afterTick(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve)
  })
}

/** The error a promise rejects with; fails the spec if it resolves instead. */
export function failure(promise: Promise<unknown>): Promise<RunwareError> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`)
    },
    (error: unknown) => error as RunwareError,
  )
}
