/**
 * docs/options.md's table against the code: every option the client accepts has a row (or its
 * parent does: `logger`, `clock`), no row names an option that does not exist, and every default
 * the table gives is the one `DEFAULTS` holds.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Shape } from '../../lib/support/option-schema.js'
import { DEFAULTS } from '../../lib/api/options.js'
import { OPTION_SHAPE } from '../../lib/support/resolve-options.js'
import { ROOT } from '../cli/process.js'

/** Every option path the shape accepts, containers included (`heartbeat`, `poll`, …). */
function paths(shape: Shape, prefix: string, into: Set<string>): Set<string> {
  if (typeof shape === 'string') return into
  if ('falseOr' in shape) return paths(shape.falseOr, prefix, into)
  if ('literal' in shape) return paths(shape.or, prefix, into)
  if ('record' in shape) return into
  for (const [key, inner] of Object.entries(shape.object)) {
    const path = prefix === '' ? key : `${prefix}.${key}`
    into.add(path)
    paths(inner, path, into)
  }
  return into
}

const ACCEPTED = paths(OPTION_SHAPE, '', new Set())
const LEAVES = [...ACCEPTED].filter((path) => ![...ACCEPTED].some((other) => other.startsWith(`${path}.`)))

const ROWS = new Map(
  readFileSync(join(ROOT, 'docs/options.md'), 'utf8')
    .split('\n')
    .map((line) => /^\| `([\w.]+)` \| ([^|]*) \|/.exec(line))
    .filter((match) => match !== null)
    .map((match) => [match[1] ?? '', (match[2] ?? '').trim()]),
)

function defaultOf(path: string): unknown {
  let value: unknown = DEFAULTS
  for (const key of path.split('.')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined
  return value
}

/** `10_000` → 10000, `Infinity`, `true`, `'text'`; anything else (prose) → undefined. */
function literal(cell: string): unknown {
  const code = /^`([^`]+)`$/.exec(cell)?.[1]
  if (code === undefined) return undefined
  if (/^-?[\d_]+(\.\d+)?$/.test(code)) return Number(code.replaceAll('_', ''))
  if (code === 'Infinity') return Infinity
  if (code === 'true' || code === 'false') return code === 'true'
  const quoted = /^'(.*)'$/.exec(code)?.[1]
  return quoted
}

describe('docs/options.md', () => {
  it('has a row for every option the client accepts (or for its parent)', () => {
    const missing = LEAVES.filter((path) => !ROWS.has(path) && !path.split('.').some((_, i, parts) => ROWS.has(parts.slice(0, i + 1).join('.'))))
    expect(missing).toEqual([])
  })

  it('names no option the client does not accept', () => {
    expect([...ROWS.keys()].filter((path) => !ACCEPTED.has(path))).toEqual([])
  })

  it('gives every default as the code has it', () => {
    const wrong: string[] = []
    for (const [path, cell] of ROWS) {
      const actual = defaultOf(path)
      if (typeof actual !== 'number' && typeof actual !== 'boolean' && typeof actual !== 'string') continue
      const documented = literal(cell)
      if (documented !== actual) wrong.push(`${path}: documented ${cell}, the code has ${String(actual)}`)
    }
    expect(wrong).toEqual([])
  })

  it('every default the code has is in the table', () => {
    const undocumented = [...ACCEPTED].filter((path) => ['number', 'boolean', 'string'].includes(typeof defaultOf(path)) && !ROWS.has(path))
    expect(undocumented).toEqual([])
  })
})
