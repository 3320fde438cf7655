/**
 * The ledger's books per model (adaptive concurrency: each model's lane has a limit): what it
 * counts on the wire and waiting, and what `take` hands out within each limit. The lanes' own
 * races with a real server are in spec/capacity/lanes.spec.ts (outside the mutation set: slow).
 */
import { describe, expect, it } from 'vitest'
import { libraryError } from '../../lib/support/errors.js'
import { Lanes, type Lane } from '../../lib/tasks/lanes.js'
import { Ledger, taskEvent, type TaskRecord } from '../../lib/tasks/ledger.js'
import { bareRecord } from '../helpers/records.js'

function ledgerOf(limit: number, now: () => number = () => 0): Ledger {
  const hooks = { admitted: () => undefined, moved: () => undefined }
  return new Ledger(hooks, new Lanes({ initial: limit, min: 1, max: 64 }, now, { limit: () => undefined }))
}

const laneOf = (record: TaskRecord): Lane => record.lane as Lane
const ids = (records: readonly TaskRecord[]): string[] => records.map((r) => r.id)

describe('the ledger, per model', () => {
  it('take stays within the lane’s limit and sends the next one when one leaves the wire', () => {
    const ledger = ledgerOf(2)
    const [a, b, c] = [bareRecord(), bareRecord(), bareRecord()]
    for (const r of [a, b, c]) ledger.admit(r)
    expect(ids(ledger.take(10))).toEqual(ids([a, b]))
    expect(laneOf(a).inFlight).toBe(2)
    expect(laneOf(a).count).toBe(1)
    expect(ledger.take(10)).toEqual([])
    ledger.move(a, 'settled')
    expect(laneOf(a).inFlight).toBe(1)
    expect(ids(ledger.take(10))).toEqual(ids([c]))
    expect(laneOf(a).count).toBe(0)
  })

  it('a task a previous process left in flight counts against its lane from the start', () => {
    const ledger = ledgerOf(1)
    const left = bareRecord()
    const fresh = bareRecord()
    ledger.admit(left, 'unknown')
    ledger.admit(fresh)
    expect(laneOf(left).inFlight).toBe(1)
    expect(ledger.take(10)).toEqual([])
    // Back to the queue (the server did not know it): urgent, and the lane has room for one.
    ledger.move(left, 'queued')
    expect(laneOf(left).inFlight).toBe(0)
    expect(ids(ledger.take(10))).toEqual(ids([left]))
  })

  it('an urgent task waits while its lane is full, and goes first once there is room', () => {
    const ledger = ledgerOf(1)
    const [a, b, c] = [bareRecord(), bareRecord(), bareRecord()]
    ledger.admit(a, 'unknown')
    ledger.admit(b, 'unknown')
    ledger.admit(c)
    ledger.move(b, 'queued')
    expect(laneOf(b).inFlight).toBe(1)
    expect(ledger.take(10)).toEqual([])
    ledger.move(a, 'settled')
    expect(ids(ledger.take(10))).toEqual(ids([b]))
    expect(laneOf(b).inFlight).toBe(1)
    ledger.move(b, 'settled')
    expect(ids(ledger.take(10))).toEqual(ids([c]))
  })

  it('queued tasks that settle without being sent are counted out of their lane, which then empties', () => {
    const ledger = ledgerOf(4)
    const [a, b] = [bareRecord(), bareRecord()]
    ledger.admit(a)
    ledger.admit(b)
    ledger.move(a, 'settled')
    expect(laneOf(a).count).toBe(1)
    expect(laneOf(a).fresh).toHaveLength(2)
    ledger.move(b, 'settled')
    expect(laneOf(a).count).toBe(0)
    expect(laneOf(a).fresh).toHaveLength(0)
    expect(ledger.take(10)).toEqual([])
  })

  it('a skipped task is not counted against what take was asked for', () => {
    const ledger = ledgerOf(8)
    const [a, b, c] = [bareRecord(), bareRecord(), bareRecord()]
    for (const r of [a, b, c]) ledger.admit(r)
    ledger.move(a, 'settled')
    expect(ids(ledger.take(2))).toEqual(ids([b, c]))
  })

  it('a paused model sends nothing new until its pause ends, and says when that is', () => {
    let now = 0
    const ledger = ledgerOf(4, () => now)
    const [a, b] = [bareRecord(), bareRecord()]
    ledger.admit(a)
    ledger.admit(b)
    expect(ledger.resumeAt()).toBe(Infinity)
    ledger.pauseModel(a, 100)
    expect(ledger.resumeAt()).toBe(100)
    expect(ledger.take(10)).toEqual([])
    now = 100
    expect(ledger.resumeAt()).toBe(Infinity)
    expect(ids(ledger.take(10))).toEqual(ids([a, b]))
  })
})

describe('taskEvent', () => {
  it('queued carries only the task; a retry without detail says unknown, no delay, the next attempt', () => {
    const r = bareRecord()
    expect(taskEvent(r, 'queued', undefined)).toEqual({ taskUUID: r.id, taskType: 'imageInference', type: 'queued' })
    r.submissions = 1
    expect(taskEvent(r, 'retry', undefined)).toEqual({
      taskUUID: r.id,
      taskType: 'imageInference',
      type: 'retry',
      code: 'unknown',
      delayMs: 0,
      attempt: 2,
      wireUUID: r.wireUUID,
    })
    const error = libraryError('taskTimeout', 'late')
    expect(taskEvent(r, 'retry', { error, delayMs: 5 })).toMatchObject({ code: 'taskTimeout', delayMs: 5 })
  })
})
