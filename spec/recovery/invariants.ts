/**
 * The recovery invariants, checked after a run under faults:
 *   - every task settled exactly once;
 *   - a task that met only retryable faults resolved with all its results, none with an id twice;
 *   - a task that met a permanent code rejected with exactly that code;
 *   - no taskUUID was executed twice, and the server produced no more results than were resolved.
 */
import { expect } from 'vitest'
import type { RunwareSocket } from '../../lib/client.js'
import type { RunwareError } from '../../lib/support/errors.js'
import type { TaskEvent } from '../../lib/api/events.js'
import type { ResultItem } from '../../lib/protocol/protocol.js'
import { defaultPolicy } from '../../lib/recovery/policy.js'
import type { Simulator } from '../../lib/simulator/index.js'
import { DEFAULT_KIND } from '../../lib/tasks/admit.js'
import { identityOf } from '../../lib/tasks/outputs.js'

export interface Ledger {
  /** Caller taskUUID → expected number of results. */
  readonly expected: Map<string, number>
  /** Wire taskUUID → caller taskUUID (a retry runs under a fresh id). */
  readonly callerOf: Map<string, string>
  readonly settledEvents: Map<string, number>
  readonly counts: Record<string, number>
}

/** Listens to a client's task events: which wire ids belong to which task, and how often each settled. */
export function watch(client: RunwareSocket): Ledger {
  const ledger: Ledger = { expected: new Map(), callerOf: new Map(), settledEvents: new Map(), counts: {} }
  client.on('task', (event: TaskEvent) => {
    ledger.counts[event.type] = (ledger.counts[event.type] ?? 0) + 1
    if (event.type === 'queued') ledger.callerOf.set(event.taskUUID, event.taskUUID)
    if (event.type === 'retry') ledger.callerOf.set(event.wireUUID, event.taskUUID)
    if (event.type === 'settled') ledger.settledEvents.set(event.taskUUID, (ledger.settledEvents.get(event.taskUUID) ?? 0) + 1)
  })
  client.on('state', (event) => {
    ledger.counts[`state:${event.to}`] = (ledger.counts[`state:${event.to}`] ?? 0) + 1
    if (event.resumed === true) ledger.counts.resumed = (ledger.counts.resumed ?? 0) + 1
  })
  return ledger
}

export interface Outcome {
  taskUUID: string
  result: PromiseSettledResult<ResultItem[]>
}

export interface Figures {
  tasks: number
  resolved: number
  rejectedByCode: Record<string, number>
  itemsResolved: number
  faults: number
}

export function checkInvariants(sim: Simulator, ledger: Ledger, outcomes: readonly Outcome[]): Figures {
  // Codes injected per caller task, across all of its wire ids.
  const injected = new Map<string, string[]>()
  for (const [wire, code] of sim.stats.failedTasks) {
    const caller = ledger.callerOf.get(wire)
    expect(caller, `an injected failure for ${wire} belongs to a task of ours`).toBeDefined()
    if (caller === undefined) continue
    injected.set(caller, [...(injected.get(caller) ?? []), code])
  }
  const figures: Figures = { tasks: outcomes.length, resolved: 0, rejectedByCode: {}, itemsResolved: 0, faults: 0 }
  for (const { taskUUID, result } of outcomes) {
    expect(ledger.settledEvents.get(taskUUID), `task ${taskUUID} settled exactly once`).toBe(1)
    const codes = injected.get(taskUUID) ?? []
    // The policy says which codes are retried: the invariants ask it, never a copy of it.
    const permanent = codes.filter((code) => !defaultPolicy.classify({ code }).retryable)
    expect(permanent.length, `task ${taskUUID} met at most one permanent code`).toBeLessThanOrEqual(1)
    if (permanent.length === 1) {
      expect(result.status, `task ${taskUUID} met ${String(permanent[0])}`).toBe('rejected')
      const code = (result as PromiseRejectedResult).reason as RunwareError
      expect(code.code).toBe(permanent[0])
      figures.rejectedByCode[code.code] = (figures.rejectedByCode[code.code] ?? 0) + 1
      continue
    }
    if (result.status === 'rejected') {
      const error = result.reason as RunwareError
      throw new Error(`task ${taskUUID} met only retryable faults (${codes.join(', ') || 'none'}) but rejected with ${error.code}: ${error.message}`)
    }
    const items = result.value
    expect(items, `task ${taskUUID} has all its results`).toHaveLength(ledger.expected.get(taskUUID) ?? -1)
    // Outputs with an id are never delivered twice. An output without one (a prompt version, a
    // caption) cannot be told from a copy of its frame sent twice on the same socket: equal content
    // is a new output (two versions may be the same words), so only outputs with an id are checked.
    const identified = items.map((item) => identityOf(item, DEFAULT_KIND)).filter((key) => key !== undefined)
    expect(new Set(identified).size, `task ${taskUUID} got no duplicate`).toBe(identified.length)
    figures.resolved += 1
    figures.itemsResolved += items.length
  }
  expect(ledger.settledEvents.size).toBe(outcomes.length)
  expect(sim.stats.executedTwice(), 'no taskUUID executed twice').toEqual([])
  // Nobody paid twice: every result the server produced reached a resolved task.
  expect(sim.stats.itemsProduced).toBe(figures.itemsResolved)
  const f = sim.stats.faults
  figures.faults = f.drops + f.silences + f.failures + f.rateLimits + f.duplicates + f.malformed + f.delays
  return figures
}
