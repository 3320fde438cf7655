/** Numbers for people: percentiles, durations, rates and an aligned two-column table. */

/** Nearest-rank percentile (p in [0, 100]) of unsorted values; undefined for none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`)
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1]
}

/** 850 ms, 1.4 s, 2 min 5 s. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–'
  if (ms < 1_000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1_000)} s`
}

/** Items per second over a duration, for progress lines. */
export function formatRate(count: number, elapsedMs: number): string {
  if (elapsedMs <= 0) return '0/s'
  const rate = (count * 1_000) / elapsedMs
  return `${rate >= 100 ? Math.round(rate) : rate.toFixed(1)}/s`
}

function isMap(value: ReadonlyMap<string, number> | Readonly<Record<string, number>>): value is ReadonlyMap<string, number> {
  return value instanceof Map
}

/** `{a: 2, b: 1}` → "a 2, b 1", largest first; "none" when empty. */
export function formatCounts(counts: ReadonlyMap<string, number> | Readonly<Record<string, number>>): string {
  const entries: [string, number][] = isMap(counts) ? [...counts] : Object.entries(counts)
  const shown = entries.filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  return shown.length === 0 ? 'none' : shown.map(([name, n]) => `${name} ${n}`).join(', ')
}

export type Row = readonly [label: string, value: string | number, note?: string]

/** Labels padded to one width, values right-aligned, notes after: a table that survives copy-paste. */
export function table(rows: readonly Row[], indent = '  '): string {
  const labelWidth = Math.max(0, ...rows.map(([label]) => label.length))
  const valueWidth = Math.max(0, ...rows.map(([, value]) => String(value).length))
  return rows
    .map(([label, value, note]) => {
      const line = `${indent}${label.padEnd(labelWidth)}  ${String(value).padStart(valueWidth)}`
      return note === undefined || note === '' ? line : `${line}   ${note}`
    })
    .join('\n')
}
