/**
 * One error class for everything a task or the connection can fail with: the server's own codes
 * (with every field of the server's error object) and this library's codes.
 *
 * `serverError` is the one place a server error object becomes a RunwareError, and `Scrubber`
 * the one place the API key is taken out of what the server said: every string value (message,
 * parameter, nested fields, keys) on every path, never the JSON text.
 */
import type { LibraryErrorCode } from '../recovery/codes.js'
import { defaultPolicy, type Classification, type ErrorCategory } from '../recovery/policy.js'
import type { ErrorItem } from '../protocol/protocol.js'

export type { LibraryErrorCode } from '../recovery/codes.js'

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
    return stackless(
      () =>
        new RunwareError({
          code: item.code,
          message: item.message,
          parameter: item.parameter,
          taskType,
          taskUUID,
          documentation: item.documentation,
          raw: item,
          classification,
        }),
    )
  }

  /** A copy of a shared error (an auth failure, a close) addressed to one task. */
  forTask(taskUUID: string, taskType: string): RunwareError {
    return stackless(
      () =>
        new RunwareError({
          code: this.code,
          message: this.message,
          parameter: this.parameter,
          taskType,
          taskUUID,
          documentation: this.documentation,
          raw: this.raw,
          classification: { category: this.category, action: this.retryable ? 'retry' : 'reject', connection: 'none', retryable: this.retryable },
          cause: this.cause,
        }),
    )
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

/**
 * What a thrown value says, as text, whatever it is: caller code may throw anything (an object
 * whose toString throws, a Symbol.toPrimitive that throws, a revoked proxy, an Error whose
 * `message` getter throws). Never throws itself.
 */
export function describeThrown(value: unknown): string {
  try {
    if (value instanceof Error) {
      const message: unknown = value.message
      if (typeof message === 'string') return message
    }
  } catch {
    // A getter or a proxy trap threw: try the value as a whole.
  }
  try {
    const text: unknown = typeof value === 'symbol' ? value.toString() : String(value)
    if (typeof text === 'string') return text
  } catch {
    // Its own conversion threw.
  }
  // typeof never throws.
  return `a thrown ${typeof value} that cannot be turned into text`
}

export function libraryError(code: LibraryErrorCode, message: string, fields: Omit<RunwareErrorInit, 'code' | 'message'> = {}): RunwareError {
  return new RunwareError(initOf(code, message, fields))
}

/** One shape for every init (a spread makes a new one each time, and costs several µs per error). */
function initOf(code: string, message: string, fields: Omit<RunwareErrorInit, 'code' | 'message'>): RunwareErrorInit {
  return {
    code,
    message,
    parameter: fields.parameter,
    taskType: fields.taskType,
    taskUUID: fields.taskUUID,
    documentation: fields.documentation,
    raw: fields.raw,
    classification: fields.classification,
    cause: fields.cause,
  }
}

/**
 * Errors minted inside the library's own work (a deadline, an abort, a lost socket, a server's
 * error item, a close) carry no stack frames. Captured there, a stack names only the library's
 * internals (the caller's `run` ran in another turn), and capturing it is most of what settling a
 * task costs: 100,000 aborts in one loop. Errors returned to the caller's own call (invalidTask,
 * queueFull) keep theirs: they point at the caller's line.
 */
export function stackless<T>(make: () => T): T {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return make()
  } finally {
    Error.stackTraceLimit = limit
  }
}

/** A library error that settles a task from inside the library's work (see `stackless`). */
export function taskError(code: LibraryErrorCode, message: string, fields: Omit<RunwareErrorInit, 'code' | 'message'> = {}): RunwareError {
  return stackless(() => new RunwareError(initOf(code, message, fields)))
}

export const REDACTED = '[redacted]'

/** Deeper than a parsed frame may be (protocol.ts bounds it); what lies deeper is dropped. */
const MAX_SCRUB_DEPTH = 64

/**
 * The shortest API key the client takes (Runware's are 32 characters). A shorter one cannot be
 * told from ordinary text: taken out of what the server says, a key `k` would turn `taskType` into
 * `tas[redacted]Type`, and a key `act` would still be readable inside `[redacted]`.
 */
export const MIN_API_KEY_LENGTH = 16

export function shortKeyMessage(what: string, length: number): string {
  return (
    `${what} is ${length} characters long: a Runware API key has 32, and one shorter than ${MIN_API_KEY_LENGTH} cannot ` +
    `be kept out of what the client reports (it would match ordinary text)`
  )
}

/** Takes one secret (the API key, at least MIN_API_KEY_LENGTH long) out of text and values. */
export class Scrubber {
  constructor(private readonly secret: string) {}

  text(value: string): string {
    // No includes() first: its answer changes nothing (text without the secret splits into itself), so no spec
    // could check it; it saves ~0.2 µs per string, and nothing here is on the hot path (errors, logs, orphans).
    return this.secret === '' ? value : value.split(this.secret).join(REDACTED)
  }

  /** A copy of `value` with the secret taken out of every string and key, at most 64 levels deep. */
  value(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.text(value)
    if (typeof value !== 'object' || value === null) return value
    if (depth >= MAX_SCRUB_DEPTH) return '[too deep]'
    if (Array.isArray(value)) return value.map((entry) => this.value(entry, depth + 1))
    const copy: Record<string, unknown> = {}
    for (const [key, entry] of Object.entries(value)) {
      // defineProperty: a key named __proto__ stays a plain field of the copy.
      Object.defineProperty(copy, this.text(key), { value: this.value(entry, depth + 1), enumerable: true, writable: true, configurable: true })
    }
    return copy
  }

  /** Log fields: strings scrubbed, anything else as is. */
  fields(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
    return this.value(fields) as Record<string, unknown> | undefined
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
  raw.code = scrubber.text(item.code)
  return RunwareError.fromServer(raw, classification, scope.taskUUID ?? raw.taskUUID, scope.taskType ?? raw.taskType)
}
