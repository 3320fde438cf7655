/** The task lifecycle table: every edge it allows, none out of settled, and the books it keeps. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { TaskEventType } from '../../lib/api/events.js'
import { Lanes } from '../../lib/tasks/lanes.js'
import { Ledger, TaskRecord, type TaskPhase } from '../../lib/tasks/ledger.js'
import { bareRecord } from '../helpers/records.js'

const PHASES: readonly TaskPhase[] = ['journaling', 'queued', 'waiting', 'sent', 'unknown', 'polling', 'settled']

/** The table as the spec reads it (the twin of ledger.ts's EDGES): from → to → event. */
const ALLOWED: Readonly<Record<TaskPhase, Readonly<Partial<Record<TaskPhase, TaskEventType | null>>>>> = {
  journaling: { queued: null, settled: 'settled' },
  queued: { sent: 'sent', waiting: 'retry', polling: 'polling', settled: 'settled' },
  waiting: { queued: null, settled: 'settled' },
  sent: { unknown: null, polling: 'polling', waiting: 'retry', settled: 'settled' },
  unknown: { queued: 'resubmit', polling: 'polling', waiting: 'retry', settled: 'settled' },
  polling: { polling: null, queued: 'resubmit', waiting: 'retry', settled: 'settled' },
  settled: {},
}
const ON_WIRE = new Set<TaskPhase>(['sent', 'unknown', 'polling'])

const record = (): TaskRecord => bareRecord()

function ledgerWithEvents(): { ledger: Ledger; events: (TaskEventType | null)[] } {
  const events: (TaskEventType | null)[] = []
  const hooks = { admitted: () => events.push('queued'), moved: (_record: TaskRecord, _from: TaskPhase, event: TaskEventType | null) => events.push(event) }
  return { ledger: new Ledger(hooks, new Lanes(undefined, () => 0, { limit: () => undefined })), events }
}

/** Brings a fresh record to `phase` along allowed edges. */
function at(ledger: Ledger, phase: TaskPhase): TaskRecord {
  const r = record()
  ledger.admit(r, phase === 'journaling' ? 'journaling' : 'queued')
  const path: Record<TaskPhase, TaskPhase[]> = {
    journaling: [],
    queued: [],
    sent: ['sent'],
    waiting: ['sent', 'waiting'],
    unknown: ['sent', 'unknown'],
    polling: ['sent', 'polling'],
    settled: ['settled'],
  }
  for (const step of path[phase]) expect(ledger.move(r, step)).toBe(true)
  return r
}

describe('the task lifecycle table', () => {
  for (const from of PHASES) {
    for (const to of PHASES) {
      const edge = ALLOWED[from][to]
      const name = `${from} → ${to}`
      if (edge !== undefined) {
        it(`${name} moves and reports ${String(edge)}`, () => {
          const { ledger, events } = ledgerWithEvents()
          const r = at(ledger, from)
          expect(ledger.canMove(r, to)).toBe(true)
          events.length = 0
          expect(ledger.move(r, to)).toBe(true)
          expect(r.phase).toBe(to)
          expect(events).toEqual([edge])
        })
      } else if (from === 'settled') {
        it(`${name} is refused: settled is terminal, nothing changes`, () => {
          const { ledger, events } = ledgerWithEvents()
          const r = at(ledger, 'settled')
          expect(ledger.canMove(r, to)).toBe(false)
          events.length = 0
          expect(ledger.move(r, to)).toBe(false)
          expect(r.phase).toBe('settled')
          expect(events).toEqual([])
          expect(ledger.size).toBe(0)
          expect(ledger.get(r.wireUUID)).toBeUndefined()
        })
      } else {
        it(`${name} is a bug, and throws`, () => {
          const { ledger } = ledgerWithEvents()
          const r = at(ledger, from)
          expect(ledger.canMove(r, to)).toBe(false)
          expect(() => ledger.move(r, to)).toThrow(/illegal task move/)
        })
      }
    }
  }
})

describe('the books', () => {
  it('admit reports queued and counts the task as queued, not in flight', () => {
    const { ledger, events } = ledgerWithEvents()
    const r = record()
    ledger.admit(r)
    expect(events).toEqual(['queued'])
    expect([ledger.size, ledger.queued, ledger.waitingToSend, ledger.inFlight]).toEqual([1, 1, 1, 0])
    expect(ledger.get(r.id)).toBe(r)
  })

  it('take sends the urgent ones first, counts a submission only under a fresh id', () => {
    const { ledger } = ledgerWithEvents()
    const [a, b] = [record(), record()]
    ledger.admit(a)
    ledger.admit(b)
    ledger.move(ledger.take(1)[0]!, 'unknown')
    expect(a.submissions).toBe(1)
    ledger.move(a, 'queued')
    expect(ledger.take(10)).toEqual([a, b])
    // A same-id resend is not a new submission.
    expect([a.submissions, b.submissions]).toEqual([1, 1])
    ledger.rekey(a, '00000000-0000-4000-8000-ffffffffffff')
    ledger.move(a, 'waiting')
    ledger.move(a, 'queued')
    ledger.take(10)
    expect(a.submissions).toBe(2)
  })

  it('a queued task that leaves the queue another way is skipped by take, and counted out at once', () => {
    const { ledger } = ledgerWithEvents()
    const [a, b, c, d] = [record(), record(), record(), record()]
    for (const r of [a, b, c, d]) ledger.admit(r)
    ledger.move(b, 'settled')
    // Leaves the fresh queue for a retry's delay, then comes back as urgent: sent once, first.
    ledger.move(c, 'waiting')
    expect([ledger.queued, ledger.waitingToSend]).toEqual([2, 2])
    ledger.move(c, 'queued')
    expect([ledger.queued, ledger.waitingToSend]).toEqual([2, 3])
    expect(ledger.take(2)).toEqual([c, a])
    expect(ledger.take(10)).toEqual([d])
    expect(ledger.take(10)).toEqual([])
    expect([ledger.queued, ledger.waitingToSend, ledger.inFlight]).toEqual([0, 0, 3])
  })

  it('take never gives more than it is asked for, from either queue', () => {
    const { ledger } = ledgerWithEvents()
    const records = [record(), record(), record(), record()]
    for (const r of records) ledger.admit(r)
    // Two of them become urgent (a same-id resend after a lost socket).
    for (const r of ledger.take(2)) {
      ledger.move(r, 'unknown')
      ledger.move(r, 'queued')
    }
    expect(ledger.take(1)).toHaveLength(1)
    expect(ledger.take(2)).toHaveLength(2)
    expect(ledger.take(5)).toHaveLength(1)
    expect(ledger.waitingToSend).toBe(0)
  })

  it('the fresh queue starts over when it empties, however it emptied', () => {
    const { ledger } = ledgerWithEvents()
    const first = [record(), record()]
    for (const r of first) ledger.admit(r)
    for (const r of first) ledger.move(r, 'settled')
    expect(ledger.queued).toBe(0)
    const next = record()
    ledger.admit(next)
    expect(ledger.take(10)).toEqual([next])
  })

  it('a retried task is found under every id it went out under, until it settles', () => {
    const { ledger } = ledgerWithEvents()
    const r = at(ledger, 'sent')
    const first = r.wireUUID
    ledger.rekey(r, '00000000-0000-4000-8000-aaaaaaaaaaaa')
    ledger.move(r, 'waiting')
    expect(ledger.get(first)).toBe(r)
    expect(ledger.get('00000000-0000-4000-8000-aaaaaaaaaaaa')).toBe(r)
    expect(ledger.size).toBe(1)
    expect(ledger.records()).toEqual([r])
    ledger.move(r, 'settled')
    expect(ledger.get(first)).toBeUndefined()
    expect(ledger.get('00000000-0000-4000-8000-aaaaaaaaaaaa')).toBeUndefined()
    expect(ledger.size).toBe(0)
  })

  it('from any start, over any walk of allowed moves: in flight = on the wire, waiting to send = queued, new work = journaling or fresh, settled stays', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('queued' as const, 'journaling' as const, 'unknown' as const), { minLength: 5, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(4), fc.constantFrom(...PHASES)), { maxLength: 60 }),
        (starts, steps) => {
          const { ledger } = ledgerWithEvents()
          const records = Array.from({ length: 5 }, () => record())
          records.forEach((r, i) => ledger.admit(r, starts[i]))
          // New work waits in the fresh queue: admitted queued, or queued out of the journal; anything else coming back is urgent.
          const fresh = new Set(records.filter((r) => r.phase === 'queued'))
          for (const [index, to] of steps) {
            const r = records[index]!
            const from = r.phase
            if (to === 'sent') {
              if (from === 'queued') ledger.take(Infinity)
              for (const sent of fresh) if (sent.phase !== 'queued') fresh.delete(sent)
              continue
            }
            const allowed = ALLOWED[from][to] !== undefined
            if (!allowed && from !== 'settled') continue
            expect(ledger.move(r, to)).toBe(allowed)
            if (allowed && from === 'journaling' && to === 'queued') fresh.add(r)
            else if (allowed && from === 'queued') fresh.delete(r)
          }
          const live = records.filter((r) => r.phase !== 'settled')
          expect(ledger.size).toBe(live.length)
          expect(ledger.inFlight).toBe(live.filter((r) => ON_WIRE.has(r.phase)).length)
          expect(ledger.waitingToSend).toBe(live.filter((r) => r.phase === 'queued').length)
          // maxQueued bounds new work: queued, and journaling (not yet written).
          for (const r of fresh) if (r.phase !== 'queued') fresh.delete(r)
          expect(ledger.queued).toBe(live.filter((r) => r.phase === 'journaling').length + fresh.size)
          for (const r of records) expect(ledger.get(r.wireUUID)).toBe(r.phase === 'settled' ? undefined : r)
        },
      ),
    )
  })
})
