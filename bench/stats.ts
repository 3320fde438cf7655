/** Summaries of repeated measurements: the median is the figure, min–max the spread. */

export interface Summary {
  median: number
  min: number
  max: number
  /** Every run's figure, in the order measured (warm-up excluded). */
  runs: number[]
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5)
}

/** Linear-interpolated quantile (q in [0, 1]) of unsorted values; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  const high = Math.ceil(position)
  const a = sorted[low]!
  const b = sorted[high]!
  return a + (b - a) * (position - low)
}

export function summarise(runs: readonly number[]): Summary {
  if (runs.length === 0) return { median: NaN, min: NaN, max: NaN, runs: [] }
  return { median: median(runs), min: Math.min(...runs), max: Math.max(...runs), runs: [...runs] }
}

/** Rounds for JSON output so latest.json stays readable. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

export function roundSummary(summary: Summary, digits = 3): Summary {
  return {
    median: round(summary.median, digits),
    min: round(summary.min, digits),
    max: round(summary.max, digits),
    runs: summary.runs.map((value) => round(value, digits)),
  }
}
