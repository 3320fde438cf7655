/** The shape every scenario reports in, and how it becomes a markdown table and latest.json. */
import { CLIENT_LABELS, CLIENT_NAMES, type ClientName } from './clients/index.js'
import type { Config } from './config.js'
import type { SdkRunner } from './sdk-runner.js'
import type { SimControl } from './sim-control.js'
import { round, roundSummary, summarise, type Summary } from './stats.js'

export type Format = 'rate' | 'ms' | 'us' | 'bytes' | 'percent' | 'count'

/** A measured figure (median, min–max), or a text where a client cannot run the scenario. */
export type Cell = { summary: Summary; format: Format } | { text: string }

export interface Row {
  scenario: string
  metric: string
  cells: Partial<Record<ClientName, Cell>>
  /** Ours against the others; `key` names it in latest.json. */
  ratio?: { key: string; value: number; text: string }
  /** `measured` is the figure the target is judged on. */
  target?: { key: string; text: string; pass: boolean; measured: number }
}

export interface ScenarioResult {
  rows: Row[]
  /** Every figure in detail, for latest.json. */
  data: unknown
  /** Footnotes for the table (why n/a, what a figure means). */
  notes: string[]
}

export interface ScenarioContext {
  sim: SimControl
  /** sdk-js's throughput and latency runs, in a process of their own. */
  sdk: SdkRunner
  config: Config
  log: (line: string) => void
}

export interface Scenario {
  name: string
  run(context: ScenarioContext): Promise<ScenarioResult>
}

const DIGITS: Record<Format, number> = { rate: 0, ms: 3, us: 2, bytes: 0, percent: 2, count: 0 }

export function formatValue(value: number, format: Format): string {
  if (!Number.isFinite(value)) return String(value)
  const digits = DIGITS[format]
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  return format === 'percent' ? `${text} %` : text
}

export function measured(runs: readonly number[], format: Format): Cell {
  return { summary: summarise(runs), format }
}

export function text(value: string): Cell {
  return { text: value }
}

function cellText(cell: Cell | undefined): string {
  if (cell === undefined) return ''
  if ('text' in cell) return cell.text
  const { median, min, max, runs } = cell.summary
  const figure = formatValue(median, cell.format)
  if (runs.length < 2) return figure
  return `${figure} (${formatValue(min, cell.format)}–${formatValue(max, cell.format)})`
}

function escape(value: string): string {
  return value.replaceAll('|', '\\|')
}

export function markdownTable(rows: readonly Row[], notes: readonly string[]): string {
  const header = ['scenario', 'metric', ...CLIENT_NAMES.map((name) => CLIENT_LABELS[name]), 'ratio', 'target', 'result']
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`]
  for (const row of rows) {
    const cells = [
      row.scenario,
      row.metric,
      ...CLIENT_NAMES.map((name) => cellText(row.cells[name])),
      row.ratio?.text ?? '',
      row.target?.text ?? '',
      row.target === undefined ? '' : row.target.pass ? 'pass' : '**MISS**',
    ]
    lines.push(`| ${cells.map(escape).join(' | ')} |`)
  }
  const footnotes = notes.map((note, index) => `${index + 1}. ${note}`)
  return [...lines, '', 'Figures: median of the measured runs (min–max in brackets), after a discarded warm-up.', ...footnotes].join('\n')
}

function cellJson(cell: Cell): unknown {
  if ('text' in cell) return { text: cell.text }
  return { ...roundSummary(cell.summary), format: cell.format }
}

export function rowsJson(rows: readonly Row[]): unknown[] {
  return rows.map((row) => ({
    metric: row.metric,
    cells: Object.fromEntries(Object.entries(row.cells).map(([name, cell]) => [name, cellJson(cell)])),
    ...(row.ratio === undefined ? {} : { ratio: { key: row.ratio.key, value: round(row.ratio.value, 4) } }),
    ...(row.target === undefined ? {} : { target: row.target }),
  }))
}

export function ratiosOf(rows: readonly Row[]): Record<string, number> {
  const ratios: Record<string, number> = {}
  for (const row of rows) if (row.ratio !== undefined) ratios[row.ratio.key] = round(row.ratio.value, 4)
  return ratios
}

export function targetsOf(rows: readonly Row[]): Record<string, { target: string; pass: boolean; measured: number }> {
  const targets: Record<string, { target: string; pass: boolean; measured: number }> = {}
  for (const row of rows) {
    if (row.target === undefined) continue
    targets[row.target.key] = { target: row.target.text, pass: row.target.pass, measured: round(row.target.measured, 4) }
  }
  return targets
}
