/**
 * One error class for everything a task or the connection can fail with: the server's own codes
 * (with every field of the server's error object) and this library's codes.
 *
 * `serverError` is the one place a server error object becomes a RunwareError, and `Scrubber`
 * the one place the API key is taken out of what the server said: every string value (message,
 * parameter, nested fields, keys) on every path, never the JSON text, so a short key cannot
 * mangle a field name.
 */
import type { LibraryErrorCode } from './codes.js'
import { defaultPolicy, type Classification, type ErrorCategory } from './policy.js'
import type { ErrorItem } from './protocol.js'

export type { LibraryErrorCode } from './codes.js'

export interface RunwareErrorInit {
  code: string
  message: string
  parameter?: string | string[] | undefined
  taskType?: string | undefined
  taskUUID?: string | undefined
  documentation?: string | undefined
  /** The server's error object, as received with the API key scrubbed (absent for the library's own errors). */
  raw?: Readonly<Record<string, unknown>> | undefined
  /** Defaults to the built-in policy's answer for `code`. */
  classification?: Classification | undefined
  cause?: unknown
}

export class RunwareError extends Error {
  override readonly name = 'RunwareError'
  /** The server's raw code (`invalidApiKey`, `timeoutProvider`, …) or one of the library's. */
  readonly code: string
  readonly category: ErrorCategory
  /** True when the policy would try again (rate limits, timeouts, provider and server errors). */
  readonly retryable: boolean
  readonly parameter: string | string[] | undefined
  readonly taskType: string | undefined
  /** The caller's taskUUID (the one `run` resolved with), even when a retry ran under another. */
  readonly taskUUID: string | undefined
  readonly documentation: string | undefined
  readonly raw: Readonly<Record<string, unknown>> | undefined

  constructor(init: RunwareErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    const classification = init.classification ?? defaultPolicy.classify({ code: init.code })
    this.code = init.code
    this.category = classification.category
    this.retryable = classification.retryable
    this.parameter = init.parameter
    this.taskType = init.taskType
    this.taskUUID = init.taskUUID
    this.documentation = init.documentation
    this.raw = init.raw
  }

  /**
   * Wraps a server error object as given; `taskUUID` overrides the wire id with the caller's. The
   * client itself goes through `serverError`, which scrubs the API key first.
   */
  static fromServer(item: ErrorItem, classification: Classification, taskUUID = item.taskUUID, taskType = item.taskType): RunwareError {
    return new RunwareError({
      code: item.code,
      message: item.message,
      parameter: item.parameter,
      taskType,
      taskUUID,
      documentation: item.documentation,
      raw: item,
      classification,
    })
  }

  /** A copy of a shared error (an auth failure, a close) addressed to one task. */
  forTask(taskUUID: string, taskType: string): RunwareError {
    return new RunwareError({
      code: this.code,
      message: this.message,
      parameter: this.parameter,
      taskType,
      taskUUID,
      documentation: this.documentation,
      raw: this.raw,
      classification: { category: this.category, action: this.retryable ? 'retry' : 'reject', connection: 'none', retryable: this.retryable },
      cause: this.cause,
    })
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      category: this.category,
      retryable: this.retryable,
      message: this.message,
      parameter: this.parameter,
      taskType: this.taskType,
      taskUUID: this.taskUUID,
      documentation: this.documentation,
    }
  }
}

export function libraryError(code: LibraryErrorCode, message: string, fields: Omit<RunwareErrorInit, 'code' | 'message'> = {}): RunwareError {
  return new RunwareError({ ...fields, code, message })
}

export const REDACTED = '[redacted]'

/** Deeper than a parsed frame may be (protocol.ts bounds it); what lies deeper is dropped. */
const MAX_SCRUB_DEPTH = 64

/**
 * Below this length a secret cannot be told from part of a word: it is still taken out of every
 * value, but names (object keys, the error `code`) are left as they are, so `k` never turns
 * `taskType` into `tas[redacted]Type`.
 */
const MIN_SECRET_IN_NAMES = 8

/** Takes one secret (the API key) out of text and values. */
export class Scrubber {
  readonly #names: boolean

  constructor(private readonly secret: string) {
    this.#names = secret.length >= MIN_SECRET_IN_NAMES
  }

  text(value: string): string {
    return this.secret !== '' && value.includes(this.secret) ? value.split(this.secret).join(REDACTED) : value
  }

  /** A name (a key, a code): scrubbed only when the secret is long enough to be told from a word. */
  name(value: string): string {
    return this.#names ? this.text(value) : value
  }

  /** A copy of `value` with the secret taken out of every string and key, at most 64 levels deep. */
  value(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.text(value)
    if (typeof value !== 'object' || value === null) return value
    if (depth >= MAX_SCRUB_DEPTH) return '[too deep]'
    if (Array.isArray(value)) return value.map((entry) => this.value(entry, depth + 1))
    const copy: Record<string, unknown> = {}
    for (const [key, entry] of Object.entries(value)) {
      const name = this.name(key)
      // defineProperty: a key named __proto__ stays a plain field of the copy.
      Object.defineProperty(copy, name, { value: this.value(entry, depth + 1), enumerable: true, writable: true, configurable: true })
    }
    return copy
  }

  /** Log fields: strings scrubbed, anything else as is. */
  fields(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
    if (fields === undefined) return undefined
    return this.value(fields) as Record<string, unknown>
  }
}

/** What a server error is about: the caller's id and type override what the wire said. */
export interface ErrorScope {
  taskUUID?: string | undefined
  taskType?: string | undefined
}

/** The one place a server error object becomes a RunwareError: every string value scrubbed. */
export function serverError(item: ErrorItem, classification: Classification, scrubber: Scrubber, scope: ErrorScope = {}): RunwareError {
  const raw = scrubber.value(item) as ErrorItem
  raw.code = scrubber.name(item.code)
  return RunwareError.fromServer(raw, classification, scope.taskUUID ?? raw.taskUUID, scope.taskType ?? raw.taskType)
}
