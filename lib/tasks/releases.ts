/**
 * What a phase move lets go of (machines/phases.ts, HOLDS), each holding released by the part that
 * keeps it: the deadline (the schedule), the signal's listener, the wake timer, a getResponse
 * question (the prober) and the open stream of a streamed text (the connection's port).
 */
import type { Wire } from '../connection/port.js'
import type { Holding } from '../machines/phases.js'
import type { Schedule } from '../support/schedule.js'
import type { Prober } from './probes.js'
import type { Signals } from './signals.js'
import type { TaskRecord } from './task-record.js'

export interface Holders {
  readonly schedule: Schedule
  readonly signals: Signals
  readonly prober: Prober
  readonly wire: Wire
}

export function release(record: TaskRecord, holding: Holding, holders: Holders): void {
  switch (holding) {
    case 'deadline':
      holders.schedule.remove(record)
      return
    case 'signal':
      holders.signals.unwatch(record)
      return
    case 'wake': {
      const wake = record.wakeIfAny
      if (wake !== undefined) holders.schedule.remove(wake)
      return
    }
    case 'probe':
      holders.prober.forget(record)
      record.pollAsked = false
      return
    case 'stream':
      // Only a streamed text has one (HTTP): its request is aborted, nothing more is read of it.
      if (record.stream) holders.wire.cancel(record.wireUUID)
      return
  }
}
