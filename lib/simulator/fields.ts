/**
 * Field checks for task validation. The first failing check wins (the server reports one problem
 * per task); later checks then return their fallback, so a task plan can be read top to bottom.
 */
import type { ErrorItem, Task } from '../protocol.js'
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
      this.fail(`invalid${capitalise(name)}`, name, `Invalid value for '${name}' parameter. It must be an integer between ${rule.min} and ${rule.max}${step}.`, {
        type: 'integer',
        min: rule.min,
        max: rule.max,
        multiplier: rule.multiple,
      })
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

  /** An input image given as `inputImage` (legacy) or `inputs.image` (current schema). */
  inputImage(): string | undefined {
    const legacy = this.task.inputImage
    const inputs = this.task.inputs
    const current = typeof inputs === 'object' && inputs !== null ? (inputs as Record<string, unknown>).image : undefined
    const value = legacy ?? current
    if (value === undefined || value === null) {
      this.missing('inputImage', 'string')
      return undefined
    }
    if (typeof value !== 'string' || value === '') {
      this.fail('invalidInputImage', 'inputImage', "Invalid value for 'inputImage' parameter. It must be a URL, a data URI, base64 data or an image UUID.", {
        type: 'string',
      })
      return undefined
    }
    return value
  }
}
