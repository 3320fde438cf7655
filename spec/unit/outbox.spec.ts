/**
 * The outbox on its own: frames per tick, control tasks first, maxInFlight, and the rate-limit
 * pause (longer each time until a task succeeds). A real ledger and schedule on a manual clock; a
 * flush leaves at the end of the tick, so each case lets the tick pass (afterTick).
 */
import { describe, expect, it } from 'vitest'
import { Schedule } from '../../lib/support/schedule.js'
import { Lanes } from '../../lib/tasks/lanes.js'
import { Ledger } from '../../lib/tasks/ledger.js'
import { Outbox } from '../../lib/tasks/outbox.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { bareRecord } from '../helpers/records.js'
import { afterTick } from '../helpers/wait.js'

const retry = { initialDelayMs: 100, maxDelayMs: 10_000, multiplier: 2, maxAttempts: 3 }

function outbox(maxInFlight = 10) {
  const clock = new ManualClock()
  const schedule = new Schedule(clock, false)
  const ledger = new Ledger({ admitted: () => undefined, moved: () => undefined }, new Lanes(undefined, () => clock.now(), { limit: () => undefined }))
  const frames: string[] = []
  let ready = true
  // The top of the jitter range: each pause is its full backoff ceiling.
  const out = new Outbox(
    ledger,
    { maxBatchSize: 2, maxInFlight, retry, random: () => 0.999_999 },
    { write: (f) => (ready ? frames.push(f) > 0 : false), ready: () => ready, run: (work) => work() },
    schedule,
  )
  const admit = (): string => {
    const record = bareRecord()
    ledger.admit(record)
    out.wake()
    return record.id
  }
  return { out, ledger, clock, schedule, frames, admit, setReady: (value: boolean) => (ready = value) }
}

const ids = (frame: string | undefined): string[] => (JSON.parse(frame ?? '[]') as { taskUUID: string }[]).map((task) => task.taskUUID)

describe('the outbox', () => {
  it('packs one tick’s tasks into frames of maxBatchSize, getResponse first, within maxInFlight', async () => {
    const { out, frames, admit } = outbox(3)
    const a = [admit(), admit(), admit(), admit()]
    out.poll('p')
    await afterTick()
    expect(frames.map(ids)).toEqual([['p'], [a[0], a[1]], [a[2]]])
  })

  it('a socket not ready writes nothing and drops its getResponse questions on dropControl', async () => {
    const { out, frames, admit, setReady } = outbox()
    setReady(false)
    out.poll('p')
    const a = admit()
    await afterTick()
    expect(frames).toEqual([])
    out.dropControl()
    setReady(true)
    out.wake()
    await afterTick()
    expect(frames.map(ids)).toEqual([[a]])
  })

  it('a rate limit holds every send for its backoff, growing each time, until a task succeeds', async () => {
    const { out, clock, frames, admit } = outbox()
    out.rateLimited()
    admit()
    await afterTick()
    expect(frames).toHaveLength(0)
    clock.advance(99)
    expect(frames).toHaveLength(0)
    clock.advance(1)
    expect(frames).toHaveLength(1)
    out.rateLimited()
    admit()
    await afterTick()
    clock.advance(199)
    expect(frames).toHaveLength(1)
    clock.advance(1)
    expect(frames).toHaveLength(2)
    out.rateLimitOver()
    out.rateLimited()
    admit()
    await afterTick()
    clock.advance(100)
    expect(frames).toHaveLength(3)
  })

  it('clear forgets the pause’s wake-up and the questions', async () => {
    const { out, schedule, clock, frames } = outbox()
    out.rateLimited()
    out.poll('p')
    expect(schedule.size).toBe(1)
    out.clear()
    expect(schedule.size).toBe(0)
    clock.advance(1_000)
    out.wake()
    await afterTick()
    expect(frames).toEqual([])
  })
})
