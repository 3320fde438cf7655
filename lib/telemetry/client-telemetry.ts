/**
 * A client's telemetry: its tasks (task-telemetry.ts, through the engine's observer port) and what
 * is about the socket, read from the state events (the library's own copy, before any listener of
 * yours): the socket lost and a reconnect scheduled, a session resumed.
 */
import type { StateEvent } from '../api/events.js'
import type { RunOptions } from '../api/options.js'
import type { ContextLike, MeterLike, TelemetryOptions } from '../api/telemetry.js'
import { activeContext, loadTelemetry, rootContext, type Instruments } from './load.js'
import { METRICS } from './names.js'
import { TaskTelemetry } from './task-telemetry.js'

export interface ClientTelemetry {
  readonly tasks: TaskTelemetry
  state(event: StateEvent): void
  /**
   * The parent of a task's span: the one given, else the context active when run() was called
   * (a run() from a listener is admitted later, outside it); undefined when nothing is traced.
   */
  parentFor(given: ContextLike | undefined): ContextLike | undefined
}

type Thrown = (what: string, error: unknown) => void

/**
 * Undefined when telemetry is off. The providers are caller code: one that throws while the
 * tracer or meter is made is reported through `thrown`, and telemetry is off for this client.
 */
export function startTelemetry(given: {
  option: false | TelemetryOptions | undefined
  clock: { now(): number }
  thrown: Thrown
  counts: () => TaskCounts
}): ClientTelemetry | undefined {
  const { option, clock, thrown, counts } = given
  const now = (): number => clock.now()
  let loaded
  try {
    loaded = loadTelemetry(option)
  } catch (error) {
    thrown('telemetry: getting a tracer or meter', error)
    return undefined
  }
  if (loaded === undefined) return undefined
  const { tracer, meter, instruments } = loaded
  let leave: (() => void) | undefined
  try {
    leave = meter === undefined ? undefined : observeCounts(meter, counts)
  } catch (error) {
    thrown('telemetry: making the task counts', error)
  }
  return {
    tasks: new TaskTelemetry(tracer, instruments, now, thrown),
    state: (event) => {
      if (event.to === 'closed') leave?.()
      recordState(instruments, event, thrown)
    },
    parentFor: (given) => {
      if (tracer === undefined || given !== undefined) return given
      try {
        // The root context is no parent: left out, run() passes its options on unchanged.
        const active = activeContext()
        return active === rootContext() ? undefined : active
      } catch (error) {
        thrown('telemetry: reading the active context', error)
        return undefined
      }
    },
  }
}

/** `run`'s options with the parent of its span fixed now (unchanged when nothing is traced). */
export function traced(options: RunOptions, telemetry: ClientTelemetry | undefined): RunOptions {
  const parent = telemetry?.parentFor(options.parentContext)
  return parent === undefined || parent === options.parentContext ? options : { ...options, parentContext: parent }
}

function recordState(instruments: Instruments | undefined, event: StateEvent, thrown: Thrown): void {
  if (instruments === undefined) return
  try {
    if (event.to === 'reconnecting') instruments.reconnects.add(1)
    else if (event.to === 'ready' && event.resumed === true) instruments.resumes.add(1)
  } catch (error) {
    thrown('telemetry: recording a state change', error)
  }
}

// ---- the task counts ----

/**
 * `runware.client.tasks.in_flight` and `runware.client.tasks.queued`, observed when metrics are
 * collected: the ledger already keeps both counts, so no task pays an instrument call for them.
 * Every client on one meter adds its counts to the same callback, so the series is their sum, as
 * synchronous up-down counters would give (two callbacks observing the same series would
 * overwrite each other). A client leaves the sum when it closes.
 */
export interface TaskCounts {
  /** Tasks on the wire: sent, polled, or being reconciled. */
  readonly inFlight: number
  /** Tasks not settled (the queued ones are these less those in flight). */
  readonly size: number
}

const sources = new WeakMap<MeterLike, Set<() => TaskCounts>>()

function sum(of: ReadonlySet<() => TaskCounts>, part: (counts: TaskCounts) => number): number {
  let total = 0
  for (const source of of) total += part(source())
  return total
}

/** Adds a client's counts to its meter's series; the function returned takes them out. */
export function observeCounts(meter: MeterLike, source: () => TaskCounts): () => void {
  let set = sources.get(meter)
  if (set === undefined) {
    const made = new Set<() => TaskCounts>()
    set = made
    sources.set(meter, made)
    const { inFlight, queued } = METRICS
    meter.createObservableUpDownCounter(inFlight.name, { unit: inFlight.unit, description: inFlight.description }).addCallback((result) => {
      result.observe(sum(made, (counts) => counts.inFlight))
    })
    meter.createObservableUpDownCounter(queued.name, { unit: queued.unit, description: queued.description }).addCallback((result) => {
      result.observe(sum(made, (counts) => counts.size - counts.inFlight))
    })
  }
  set.add(source)
  const held = set
  return () => void held.delete(source)
}
