/**
 * The demo's books: what became of each task (completed, rejected with a code the simulator
 * injected for it, or lost), and the summary printed at the end.
 */
import type { Simulator } from '../simulator/index.js'
import type { DemoTask } from './mix.js'
import { formatCounts, formatDuration, table, type Row } from './summary.js'

export interface Tracked {
  readonly spec: DemoTask
  readonly taskUUID: string
  /** Every id the task went out under: its own, then one per retry. */
  readonly wireUUIDs: string[]
  readonly startedAt: number
  settledAt?: number
  outcome?: { kind: 'resolved'; items: number } | { kind: 'rejected'; code: string; message: string }
}

export type Verdict = 'completed' | 'rejected' | 'lost'

/**
 * Completed: resolved with every expected item. Rejected: with a code the simulator injected for
 * one of the task's wire ids. Anything else (unsettled, short of items, an unexplained error) is lost.
 */
export function verdict(task: Pick<Tracked, 'spec' | 'wireUUIDs' | 'outcome'>, injected: (wireUUID: string) => string | undefined): Verdict {
  const outcome = task.outcome
  if (outcome === undefined) return 'lost'
  if (outcome.kind === 'resolved') return outcome.items === task.spec.expected ? 'completed' : 'lost'
  return task.wireUUIDs.some((id) => injected(id) === outcome.code) ? 'rejected' : 'lost'
}

export interface DemoReport {
  tasks: number
  completed: number
  rejectedByCode: Map<string, number>
  lost: Tracked[]
  executedTwice: number
  resolvedItems: number
  itemsProduced: number
  retriedTasks: number
  retries: number
  retryCodes: Map<string, number>
  resubmits: number
  reconnects: number
  reconnectReasons: Map<string, number>
  resumes: number
  simulatorResumes: number
  protocolErrors: number
  p50: number | undefined
  p99: number | undefined
  wallMs: number
  faults: Simulator['stats']['faults']
}

export function demoPassed(report: DemoReport): boolean {
  return report.lost.length === 0 && report.executedTwice === 0 && report.resolvedItems === report.itemsProduced
}

export function formatDemoSummary(report: DemoReport, color: boolean): string {
  const faults = report.faults
  const permanent = [...report.rejectedByCode.values()].reduce((a, b) => a + b, 0)
  const rows: Row[] = [
    ['completed', report.completed, 'resolved with all their results'],
    ['rejected by code', permanent, permanent === 0 ? '' : `${formatCounts(report.rejectedByCode)} (injected by the simulator)`],
    ['retried', report.retriedTasks, `tasks; ${report.retries} retries under a fresh taskUUID: ${formatCounts(report.retryCodes)}`],
    ['resubmitted', report.resubmits, 'same taskUUID after a reconnect (the server never had them)'],
    ['reconnects', report.reconnects, formatCounts(report.reconnectReasons)],
    ['resumes', report.resumes, `sessions resumed (simulator: ${report.simulatorResumes})`],
    ['lost', report.lost.length, ''],
    ['executed twice', report.executedTwice, ''],
    ['items', report.resolvedItems, `resolved by the client; simulator produced ${report.itemsProduced}`],
    ['latency p50', formatDuration(report.p50), 'run() to settle'],
    ['latency p99', formatDuration(report.p99), ''],
    ['wall time', formatDuration(report.wallMs), ''],
  ]
  const injected =
    `  injected: ${faults.drops} socket drops, ${faults.silences} silences, ${faults.failures} task failures, ${faults.rateLimits} ` +
    `rate limits, ${faults.duplicates} duplicate frames, ${faults.malformed} malformed frames (${report.protocolErrors} ` +
    `reached the client), ${faults.delays} delays, ${faults.lostAcks} lost acknowledgements, ${faults.lostAnswers} lost ` +
    `getResponse answers`
  const ok = demoPassed(report)
  const paint = (text: string, code: number): string => (color ? `\x1b[${code}m${text}\x1b[0m` : text)
  const verdictLine = ok
    ? paint('OK: nothing lost, nothing ran twice, every item produced was delivered.', 32)
    : paint(
        `FAILED: ${report.lost.length} lost, ${report.executedTwice} executed twice, items ${report.resolvedItems} resolved ` +
          `vs ${report.itemsProduced} produced.`,
        31,
      )
  return `\nSummary (${report.tasks} tasks)\n${table(rows)}\n${injected}\n\n${verdictLine}\n`
}
