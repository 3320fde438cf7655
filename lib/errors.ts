/**
 * One error class for everything a task or the connection can fail with: the server's own codes
 * (with every field of the server's error object) and this library's codes.
 */
import type { ErrorItem } from './protocol.js'
import { defaultPolicy, type Classification, type ErrorCategory } from './policy.js'

/** Codes this library produces itself (the server never sends them). */
export type LibraryErrorCode =
  | 'taskTimeout'
  | 'aborted'
  | 'connectionClosed'
  | 'connectionLost'
  | 'queueFull'
  | 'reconnectFailed'
  | 'protocolError'
  | 'invalidTask'
  | 'connectTimeout'
  | 'authTimeout'

export interface RunwareErrorInit {
  code: string
  message: string
  parameter?: string | string[] | undefined
  taskType?: string | undefined
  taskUUID?: string | undefined
  documentation?: string | undefined
  /** The server's error object, untouched (absent for the library's own errors). */
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

  /** Wraps a server error object; `taskUUID` overrides the wire id with the caller's. */
  static fromServer(item: ErrorItem, classification: Classification, taskUUID = item.taskUUID): RunwareError {
    return new RunwareError({
      code: item.code,
      message: item.message,
      parameter: item.parameter,
      taskType: item.taskType,
      taskUUID,
      documentation: item.documentation,
      raw: item,
      classification,
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

export function libraryError(
  code: LibraryErrorCode,
  message: string,
  fields: Omit<RunwareErrorInit, 'code' | 'message'> = {},
): RunwareError {
  return new RunwareError({ ...fields, code, message })
}
