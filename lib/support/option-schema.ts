/**
 * The shape of the options, as data, and the one check against it: an unknown key at any depth
 * or a value of the wrong type throws a TypeError that names the key's path (with the nearest
 * known key when it looks like a typo). Ranges are checked where the values are resolved.
 */

export type Shape =
  | 'string'
  | 'number'
  | 'boolean'
  | 'function'
  /** A plain object of these keys; `required` keys must be present; `open`: other keys are the caller's own. */
  | { object: Readonly<Record<string, Shape>>; required?: readonly string[]; open?: boolean }
  /** A plain object of any keys, each of this shape. */
  | { record: Shape }
  /** `false`, or this shape. */
  | { falseOr: Shape }
  /** This one string, or this shape. */
  | { literal: string; or: Shape }

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

function describe(shape: Shape): string {
  if (typeof shape === 'string') return `a ${shape}`
  if ('falseOr' in shape) return `false or ${describe(shape.falseOr)}`
  if ('literal' in shape) return `"${shape.literal}" or ${describe(shape.or)}`
  return 'an object'
}

/** Edit distance, for "did you mean": the options are few and short. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length] ?? 0
}

function suggestion(key: string, known: readonly string[]): string {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? ` (did you mean "${best}"?)` : ''
}

/** Of an object already known to be one (not null, not an array): made by a literal or with no prototype. */
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/** Throws a TypeError naming the path of the first key that does not fit. Undefined means "the default". */
export function checkShape(value: unknown, shape: Shape, path: string): void {
  if (value === undefined) return
  if (typeof shape === 'string') {
    if (typeof value !== shape) throw new TypeError(`${path} must be ${describe(shape)}, got ${typeName(value)}`)
    return
  }
  if ('falseOr' in shape) {
    if (value !== false) checkShape(value, shape.falseOr, path)
    return
  }
  if ('literal' in shape) {
    if (value === shape.literal) return
    if (typeof value === 'string') throw new TypeError(`${path} must be ${describe(shape)}, got ${JSON.stringify(value.slice(0, 40))}`)
    checkShape(value, shape.or, path)
    return
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be ${describe(shape)}, got ${typeName(value)}`)
  }
  const fields = value as Record<string, unknown>
  if ('record' in shape) {
    if (!isPlainObject(value)) throw new TypeError(`${path} must be a plain object, got ${typeName(value)}`)
    for (const key of Object.keys(fields)) checkKey(key, path)
    for (const [key, entry] of Object.entries(fields)) checkShape(entry, shape.record, `${path}.${key}`)
    return
  }
  // A class instance (console, a pino logger, a test clock) has keys of its own: only what is asked for is checked.
  if (isPlainObject(value) && shape.open !== true) {
    const known = Object.keys(shape.object)
    for (const key of Object.keys(fields)) {
      checkKey(key, path)
      if (!Object.hasOwn(shape.object, key)) throw new TypeError(`unknown option ${path === '' ? '' : `${path}.`}${key}${suggestion(key, known)}`)
    }
  }
  for (const key of shape.required ?? []) {
    if (typeof fields[key] === 'undefined') throw new TypeError(`${path}.${key} is required`)
  }
  for (const [key, entryShape] of Object.entries(shape.object)) {
    // Methods may live on a prototype (a class instance): read them, do not require own keys.
    const entry = fields[key]
    checkShape(entry, entryShape, path === '' ? key : `${path}.${key}`)
  }
}

function checkKey(key: string, path: string): void {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new TypeError(`${path === '' ? '' : `${path}.`}${key} is not an option`)
}
