/**
 * The getResponse machinery, part by part: the Prober's rounds, the Poller's asks, the
 * Reconciler's wait for a replay, and the session to resume. Real schedule on a manual clock; the
 * Prober's round leaves at the end of the tick, so each case lets the tick pass (afterTick).
 */
import { describe, expect, it } from 'vitest'
import { SessionMemory } from '../../lib/connection/session.js'
import { resolveOptions } from '../../lib/support/resolve-options.js'
import { Schedule } from '../../lib/support/schedule.js'
import { Poller, Prober, Reconciler } from '../../lib/tasks/questions.js'
import type { TaskRecord } from '../../lib/tasks/task-record.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { bareRecord } from '../helpers/records.js'
import { afterTick } from '../helpers/wait.js'

function prober(roundSize = 10) {
  const clock = new ManualClock()
  const schedule = new Schedule(clock, false)
  const sent: string[] = []
  const unknown: TaskRecord[] = []
  const probe = new Prober(schedule, { roundSize, timeoutMs: 1_000 }, { send: (id) => sent.push(id), unknown: (r) => unknown.push(r), run: (work) => work() })
  return { probe, sent, unknown, clock, schedule }
}

const asking = (phase: TaskRecord['phase'] = 'polling'): TaskRecord => {
  const record = bareRecord('videoInference', false, {}, true)
  record.phase = phase
  return record
}

describe('the Prober', () => {
  it('sends nothing before a socket is ready, nor after it is lost, until the next one is', async () => {
    const { probe, sent } = prober()
    const a = asking()
    probe.ask(a)
    await afterTick()
    expect(sent).toEqual([])
    probe.ready()
    await afterTick()
    expect(sent).toEqual([a.wireUUID])
    probe.lost()
    const b = asking()
    probe.ask(b)
    await afterTick()
    expect(sent).toEqual([a.wireUUID])
    probe.ready()
    await afterTick()
    expect(sent.slice(1).sort()).toEqual([a.wireUUID, b.wireUUID].sort())
  })

  it('a question already out is not asked again; once answered, nothing is re-sent', async () => {
    const { probe, sent } = prober()
    const a = asking()
    probe.ready()
    probe.ask(a)
    await afterTick()
    probe.ask(a)
    await afterTick()
    probe.named(a.wireUUID)
    await afterTick()
    expect(sent).toEqual([a.wireUUID])
    const b = asking()
    probe.ask(b)
    await afterTick()
    expect(sent).toEqual([a.wireUUID, b.wireUUID])
  })

  it('empty answers that arrive with no round out count for nothing', async () => {
    const { probe, sent, unknown } = prober()
    probe.empty()
    probe.empty()
    probe.ready()
    const [a, b] = [asking(), asking()]
    probe.ask(a)
    probe.ask(b)
    await afterTick()
    expect(sent).toHaveLength(2)
    probe.empty()
    expect(unknown).toEqual([])
    probe.empty()
    expect(unknown).toEqual([a, b])
  })

  it('clear drops what waits and the round out: a new socket sends nothing of it', async () => {
    const { probe, sent, clock } = prober()
    probe.ask(asking())
    probe.clear()
    probe.ready()
    await afterTick()
    clock.advance(5_000)
    await afterTick()
    expect(sent).toEqual([])
  })

  it('a probe that settled while out is neither reported unknown nor asked again', async () => {
    const { probe, sent, unknown, clock } = prober()
    const [a, b] = [asking(), asking()]
    probe.ready()
    probe.ask(a)
    probe.ask(b)
    await afterTick()
    a.phase = 'settled'
    probe.empty()
    probe.empty()
    expect(unknown).toEqual([b])
    const c = asking()
    probe.ask(c)
    await afterTick()
    c.phase = 'settled'
    const d = asking()
    probe.ask(d)
    clock.advance(1_000)
    await afterTick()
    // The round timed out: what it left unnamed is asked again, but not the task that settled.
    expect(sent).toEqual([a.wireUUID, b.wireUUID, c.wireUUID, d.wireUUID])
  })

  it('a round holds at most roundSize; the rest go in the next one', async () => {
    const { probe, sent } = prober(2)
    const records = [asking(), asking(), asking()]
    probe.ready()
    for (const r of records) probe.ask(r)
    await afterTick()
    expect(sent).toHaveLength(2)
    probe.named(records[0]?.wireUUID ?? '')
    probe.named(records[1]?.wireUUID ?? '')
    await afterTick()
    expect(sent).toHaveLength(3)
  })
})

describe('the Poller', () => {
  const options = resolveOptions({ apiKey: 'spec-key-0123456789', poll: { initialDelayMs: 100, multiplier: 2, maxDelayMs: 1_000 } }).poll

  it('asks only for a polling task, once while a poll is out; answered, the next after the grown delay', async () => {
    const { probe, sent, clock, schedule } = prober()
    const poller = new Poller(probe, schedule, options)
    probe.ready()
    const record = asking('sent')
    poller.due(record)
    await afterTick()
    expect(sent).toEqual([])
    record.phase = 'polling'
    poller.due(record)
    poller.due(record)
    await afterTick()
    expect(sent).toEqual([record.wireUUID])
    expect(record.pollAsked).toBe(true)
    probe.named(record.wireUUID)
    poller.answered(record)
    expect(record.pollAsked).toBe(false)
    expect(record.pollAttempt).toBe(1)
    expect(record.wake.at).toBe(clock.now() + 200)
  })

  it('an answer for a task no longer polling schedules nothing', () => {
    const { probe, schedule } = prober()
    const poller = new Poller(probe, schedule, options)
    const record = asking('settled')
    poller.answered(record)
    expect(record.pollAttempt).toBe(0)
    expect(schedule.size).toBe(0)
  })

  it('a new socket polls every task at once, except one whose poll is already out', async () => {
    const { probe, sent, schedule } = prober()
    const poller = new Poller(probe, schedule, options)
    const [waiting, out] = [asking(), asking()]
    poller.start(waiting)
    out.pollAsked = true
    probe.ready()
    poller.resume([waiting, out])
    await afterTick()
    expect(sent).toEqual([waiting.wireUUID])
    // Its wake left the schedule: only the round's own timer is in it.
    expect(waiting.wake.index).toBe(-1)
    expect(schedule.size).toBe(1)
  })
})

describe('the Reconciler', () => {
  function reconciler(unknown: TaskRecord[], pingSent = true) {
    const { probe, sent, clock, schedule } = prober()
    probe.ready()
    const pings: number[] = []
    const reconcile = new Reconciler(
      probe,
      schedule,
      500,
      () => (pings.push(clock.now()), pingSent),
      () => unknown,
    )
    return { reconcile, probe, sent, clock, pings }
  }

  it('after a resume, waits for the pong before asking; a second pong asks nothing more', async () => {
    const record = asking('unknown')
    const { reconcile, probe, sent, pings } = reconciler([record])
    reconcile.pong()
    await afterTick()
    expect(sent).toEqual([])
    reconcile.ready(true)
    expect(pings).toHaveLength(1)
    await afterTick()
    expect(sent).toEqual([])
    reconcile.pong()
    await afterTick()
    expect(sent).toEqual([record.wireUUID])
    probe.named(record.wireUUID)
    reconcile.pong()
    await afterTick()
    expect(sent).toEqual([record.wireUUID])
  })

  it('the grace ends at resumeGraceMs without a pong; a socket lost meanwhile ends it with nothing asked', async () => {
    const record = asking('unknown')
    const first = reconciler([record])
    first.reconcile.ready(true)
    first.clock.advance(500)
    await afterTick()
    expect(first.sent).toEqual([record.wireUUID])
    const second = reconciler([asking('unknown')])
    second.reconcile.ready(true)
    second.reconcile.lost()
    second.clock.advance(1_000)
    second.reconcile.pong()
    await afterTick()
    expect(second.sent).toEqual([])
  })

  it('without a resume it asks at once, but not about a task its replay already completed', async () => {
    const done = asking('unknown')
    done.items = [{ taskType: 'videoInference', taskUUID: done.wireUUID }]
    const open = asking('unknown')
    const { reconcile, sent, pings } = reconciler([done, open])
    reconcile.ready(false)
    await afterTick()
    expect(pings).toEqual([])
    expect(sent).toEqual([open.wireUUID])
  })
})

describe('SessionMemory', () => {
  it('asks to resume only the last session, only after it was lost, only within the window', () => {
    const session = new SessionMemory(1_000)
    expect(session.request(0)).toBeUndefined()
    expect(session.accepted('s1')).toBe(false)
    expect(session.request(10)).toBeUndefined()
    session.lost(100)
    expect(session.request(1_100)).toBe('s1')
    expect(session.accepted('s1')).toBe(true)
    session.lost(2_000)
    expect(session.request(3_001)).toBeUndefined()
    expect(session.accepted('s1')).toBe(false)
    session.lost(4_000)
    expect(session.request(4_000)).toBe('s1')
    expect(session.accepted('s2')).toBe(false)
    expect(session.uuid).toBe('s2')
  })
})
