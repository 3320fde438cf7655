/** What the task side works with: one dependency type for the engine and the receiver. */
import type { ResolvedOptions } from '../api/options.js'
import type { Wire } from '../connection/port.js'
import type { ErrorPolicy } from '../recovery/policy.js'
import type { Clock } from '../support/clock.js'
import type { Scrubber } from '../support/errors.js'
import type { Reporter } from '../support/report.js'
import type { Schedule } from '../support/schedule.js'

export interface TaskDeps {
  readonly options: ResolvedOptions
  readonly policy: ErrorPolicy
  readonly reporter: Reporter
  readonly scrubber: Scrubber
  readonly schedule: Schedule
  readonly clock: Clock
  readonly wire: Wire
  /** Runs a piece of library work (the monitor): timers and signals enter through it. */
  readonly run: (work: () => void) => void
}
