/**
 * A client's telemetry: its tasks (task-telemetry.ts, through the engine's observer port) and what
 * is about the socket, read from the state events (the library's own copy, before any listener of
 * yours): the socket lost and a reconnect scheduled, a session resumed.
 */
import type { StateEvent } from '../api/events.js'
import type { RunOptions } from '../api/options.js'
import type { ContextLike, TelemetryOptions } from '../api/telemetry.js'
import { activeContext, loadTelemetry, type Instruments } from './load.js'
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
export function startTelemetry(option: false | TelemetryOptions | undefined, now: () => number, thrown: Thrown): ClientTelemetry | undefined {
  let loaded
  try {
    loaded = loadTelemetry(option)
  } catch (error) {
    thrown('telemetry: getting a tracer or meter', error)
    return undefined
  }
  if (loaded === undefined) return undefined
  const { tracer, instruments } = loaded
  return {
    tasks: new TaskTelemetry(tracer, instruments, now, thrown),
    state: (event) => recordState(instruments, event, thrown),
    parentFor: (given) => {
      if (tracer === undefined || given !== undefined) return given
      try {
        return activeContext()
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
