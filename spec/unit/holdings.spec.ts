/** What a phase move lets go of (tasks/holdings.ts): each holding released by its keeper, and only that one. */
import { describe, expect, it } from 'vitest'
import type { Wire } from '../../lib/connection/port.js'
import type { Holding } from '../../lib/machines/phases.js'
import { isScheduled, Schedule } from '../../lib/support/schedule.js'
import { TaskRecord } from '../../lib/tasks/ledger.js'
import { Prober } from '../../lib/tasks/questions.js'
import { release, Signals, type Holders } from '../../lib/tasks/holdings.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { bareRecord } from '../helpers/records.js'

const record = (stream = false): TaskRecord => bareRecord('textInference', stream)

interface World {
  holders: Holders
  schedule: Schedule
  aborted: TaskRecord[]
  probed: string[]
  cancelled: string[]
  prober: Prober
}

function world(): World {
  const clock = new ManualClock()
  const schedule = new Schedule(clock)
  const aborted: TaskRecord[] = []
  const probed: string[] = []
  const cancelled: string[] = []
  const signals = new Signals((records) => aborted.push(...records))
  const prober = new Prober(schedule, { roundSize: 10, timeoutMs: 1_000 }, { send: (id) => probed.push(id), unknown: () => undefined, run: (work) => work() })
  const wire = { cancel: (id: string) => cancelled.push(id) } as unknown as Wire
  return { holders: { schedule, signals, prober, wire }, schedule, aborted, probed, cancelled, prober }
}

/** Holds every holding at once: a deadline, a signal, a wake, a probe asked (pollAsked), and a stream. */
function holding(w: World, r: TaskRecord, controller: AbortController): void {
  w.schedule.add(r, w.schedule.now() + 1_000)
  w.holders.signals.watch(r, controller.signal)
  w.schedule.add(r.wake, w.schedule.now() + 500)
  w.prober.ask(r)
  r.pollAsked = true
}

/** What is still held, read from each keeper. */
async function held(w: World, r: TaskRecord, controller: AbortController): Promise<Holding[]> {
  const out: Holding[] = []
  if (isScheduled(r)) out.push('deadline')
  if (isScheduled(r.wake)) out.push('wake')
  w.prober.ready()
  await Promise.resolve()
  if (w.probed.includes(r.wireUUID) || r.pollAsked) out.push('probe')
  if (w.cancelled.length === 0) out.push('stream')
  controller.abort()
  if (w.aborted.includes(r)) out.push('signal')
  return out
}

const ALL: Holding[] = ['deadline', 'wake', 'probe', 'stream', 'signal']

describe('release', () => {
  for (const what of ALL) {
    it(`${what}: released, every other holding kept`, async () => {
      const w = world()
      const r = record(true)
      const controller = new AbortController()
      holding(w, r, controller)
      release(r, what, w.holders)
      expect(await held(w, r, controller)).toEqual(ALL.filter((h) => h !== what))
      if (what === 'stream') expect(w.cancelled).toEqual([r.wireUUID])
    })
  }

  it('nothing released: everything still held (the spec can see each)', async () => {
    const w = world()
    const r = record(true)
    const controller = new AbortController()
    holding(w, r, controller)
    expect(await held(w, r, controller)).toEqual(ALL)
  })

  it('a wake never made is not made by releasing it', () => {
    const w = world()
    const r = record()
    release(r, 'wake', w.holders)
    expect(r.wakeIfAny).toBeUndefined()
  })

  it('a task that is not a stream has no stream to cancel', () => {
    const w = world()
    const r = record(false)
    release(r, 'stream', w.holders)
    expect(w.cancelled).toEqual([])
  })
})
