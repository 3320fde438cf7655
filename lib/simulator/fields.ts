/**
 * Field checks for task validation. The first failing check wins (the server reports one problem
 * per task); later checks then return their fallback, so a task plan can be read top to bottom.
 */
import type { ErrorItem, Task } from '../protocol/protocol.js'
import { modelMismatch } from './models.js'
import { errorItem } from './replies.js'

const capitalise = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1)

interface IntegerRule {
  min: number
  max: number
  /** The value must be a multiple of this. */
  multiple?: number
  /** Used when the field is absent; when undefined the field is required. */
  fallback?: number
}

interface StringRule {
  min?: number
  max?: number
  /** When false, an absent field is fine (and yields undefined). @default true */
  required?: boolean
}

export class Fields {
  error: ErrorItem | undefined

  constructor(
    private readonly task: Task,
    private readonly taskUUID: string,
  ) {}

  /** Records a failure unless an earlier one is already recorded; returns the recorded one. */
  fail(code: string, parameter: string, message: string, extras: Record<string, unknown> = {}): ErrorItem {
    return (this.error ??= errorItem(code, message, { taskType: this.task.taskType, taskUUID: this.taskUUID }, { parameter, ...extras }))
  }

  private missing(name: string, type: string): void {
    this.fail(`missing${capitalise(name)}`, name, `Missing required parameter '${name}'.`, { type })
  }

  string(name: string, rule: StringRule = {}): string | undefined {
    const value = this.task[name]
    if (value === undefined || value === null) {
      if (rule.required ?? true) this.missing(name, 'string')
      return undefined
    }
    const min = rule.min ?? 1
    const max = rule.max ?? Number.MAX_SAFE_INTEGER
    if (typeof value !== 'string' || value.length < min || value.length > max) {
      const limits = rule.max === undefined ? `at least ${min} characters` : `between ${min} and ${max} characters`
      this.fail(`invalid${capitalise(name)}`, name, `Invalid value for '${name}' parameter. It must be a string of ${limits}.`, {
        type: 'string',
        min,
        max: rule.max,
      })
      return undefined
    }
    return value
  }

  integer(name: string, rule: IntegerRule): number {
    const value = this.task[name]
    const fallback = rule.fallback ?? rule.min
    if (value === undefined || value === null) {
      if (rule.fallback === undefined) this.missing(name, 'integer')
      return fallback
    }
    const ok =
      typeof value === 'number' &&
      Number.isInteger(value) &&
      value >= rule.min &&
      value <= rule.max &&
      (rule.multiple === undefined || value % rule.multiple === 0)
    if (!ok) {
      const step = rule.multiple === undefined ? '' : ` and a multiple of ${rule.multiple}`
      this.fail(
        `invalid${capitalise(name)}`,
        name,
        `Invalid value for '${name}' parameter. It must be an integer between ${rule.min} and ${rule.max}${step}.`,
        {
          type: 'integer',
          min: rule.min,
          max: rule.max,
          multiplier: rule.multiple,
        },
      )
      return fallback
    }
    return value
  }

  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.task[name]
    if (value === undefined || value === null) return fallback
    const match = allowed.find((option) => option === value)
    if (match === undefined) {
      this.fail(`invalid${capitalise(name)}`, name, `Invalid value for '${name}' parameter. Allowed values: ${allowed.join(', ')}.`, {
        type: 'string',
        allowedValues: [...allowed],
      })
      return fallback
    }
    return match
  }

  /** The model's AIR: required unless said otherwise; a model the catalogue lists for another type is refused. */
  model(required = true): string | undefined {
    const air = this.string('model', { required })
    const mismatch = air === undefined ? undefined : modelMismatch(air, this.task.taskType)
    if (mismatch !== undefined) this.fail('invalidModel', 'model', mismatch, { type: 'string' })
    return air
  }

  /**
   * The task's input media: `inputs.image` or `inputs.video` (the current schema; which kinds the
   * type takes), or the legacy top-level `inputImage`. A string: a URL, a data URI, base64 data or
   * a media UUID (mediaStorage's, imageUpload's).
   */
  input(kinds: readonly InputKind[] = ['image']): { kind: InputKind; value: string } | undefined {
    const inputs = this.task.inputs
    const given = typeof inputs === 'object' && inputs !== null && !Array.isArray(inputs) ? (inputs as Record<string, unknown>) : {}
    const found = kinds.find((kind) => given[kind] !== undefined && given[kind] !== null)
    const kind = found ?? 'image'
    const value = this.task.inputImage ?? (found === undefined ? undefined : given[found])
    const name = this.task.inputImage !== undefined ? 'inputImage' : `inputs.${kind}`
    if (value === undefined || value === null) {
      // The code older clients know; the parameter names the field the current schema uses.
      this.fail(
        'missingInputImage',
        kinds.length > 1 ? `inputs.${kinds.join('|')}` : `inputs.${kinds[0] ?? 'image'}`,
        `Missing required parameter 'inputs.${kinds.join("' or 'inputs.")}'.`,
        { type: 'string' },
      )
      return undefined
    }
    if (typeof value !== 'string' || value === '') {
      this.fail('invalidInputImage', name, `Invalid value for '${name}' parameter. It must be a URL, a data URI, base64 data or a media UUID.`, {
        type: 'string',
      })
      return undefined
    }
    return { kind, value }
  }

  /** The legacy name of `input()` for image-only types. */
  inputImage(): string | undefined {
    return this.input(['image'])?.value
  }

  /** A non-empty array whose every element passes `check` (which says what is wrong, or undefined). */
  list(name: string, check: (element: unknown) => string | undefined, rule: { max?: number } = {}): readonly unknown[] | undefined {
    const value = this.task[name]
    if (value === undefined || value === null) {
      this.missing(name, 'array')
      return undefined
    }
    const max = rule.max ?? 1_000
    const problem =
      !Array.isArray(value) || value.length === 0 || value.length > max
        ? `It must be an array of 1 to ${max} elements.`
        : value.map(check).find((why) => why !== undefined)
    if (problem !== undefined) {
      this.fail(`invalid${capitalise(name)}`, name, `Invalid value for '${name}' parameter. ${problem}`, { type: 'array' })
      return undefined
    }
    return value as unknown[]
  }
}

export type InputKind = 'image' | 'video'
