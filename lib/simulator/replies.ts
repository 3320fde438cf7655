/**
 * What the simulator writes: envelopes, error items and the fixed control frames. Shapes follow
 * docs/protocol.md §2–§7. Links point at example.invalid: this is not the real service.
 */
import type { DataItem, ErrorItem } from '../protocol/protocol.js'

/** Origin of every fake URL (results and documentation links). */
export const FAKE_ORIGIN = 'https://example.invalid/runware-simulator'

export const PONG_FRAME = '{"data":[{"taskType":"ping","pong":true}]}'

/** The documented invalid-key message (docs/protocol.md §2.3), reproduced because clients match it. */
const INVALID_API_KEY_MESSAGE = 'Invalid API key. Get one at https://my.runware.ai/signup'

/** Legacy `errorId` for an invalid key (sdk-go, sdk-python); other legacy failures carry 0. */
const LEGACY_INVALID_API_KEY = 19

/** Human text for codes the simulator injects; other codes get a generic line. */
const MESSAGES: Readonly<Record<string, string>> = {
  timeoutProvider: 'The external provider did not respond in time (simulated failure).',
  providerError: 'The provider failed to process the task (simulated failure).',
  serviceUnavailable: 'The service is temporarily unavailable (simulated failure).',
  taskFailed: 'The task failed (simulated failure).',
  contentPolicyViolation: 'The request was blocked by the content policy (simulated failure).',
  insufficientCredits: 'Insufficient credits to run the task (simulated failure).',
  invalidPositivePrompt: 'The positive prompt was rejected (simulated failure).',
  rateLimitExceeded: 'Rate limit exceeded, retry later (simulated).',
  providerRateLimitExceeded: 'The provider rate limit was exceeded, retry later (simulated).',
  invalidApiKey: INVALID_API_KEY_MESSAGE,
  missingApiKey: 'An API key is required. Get one at https://my.runware.ai/signup',
}

export function messageFor(code: string): string {
  return MESSAGES[code] ?? `Simulated error: ${code}.`
}

export function docsFor(taskType: string | undefined, parameter?: string): string {
  const page = taskType ?? 'errors'
  return parameter === undefined ? `${FAKE_ORIGIN}/docs/${page}` : `${FAKE_ORIGIN}/docs/${page}#request-${parameter}`
}

/** The task a reply is about, as far as the request told us (either may be missing or garbage). */
export interface TaskScope {
  taskType?: string
  taskUUID?: string
}

export function scopeOf(value: unknown): TaskScope {
  const scope: TaskScope = {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return scope
  const { taskType, taskUUID } = value as Record<string, unknown>
  if (typeof taskType === 'string' && taskType !== '') scope.taskType = taskType
  if (typeof taskUUID === 'string' && taskUUID !== '') scope.taskUUID = taskUUID
  return scope
}

/** Extra fields of an error item; undefined values are left out of the wire object. */
export type ErrorExtras = Record<string, unknown>

/** A documented error object: code, message, then parameter/limits, then the task it names. */
export function errorItem(code: string, message: string, scope: TaskScope, extras: ErrorExtras = {}): ErrorItem {
  const item: ErrorItem = { code, message }
  for (const [key, value] of Object.entries(extras)) {
    if (value !== undefined) item[key] = value
  }
  if (scope.taskType !== undefined) item.taskType = scope.taskType
  if (scope.taskUUID !== undefined) item.taskUUID = scope.taskUUID
  item.documentation ??= docsFor(scope.taskType, typeof extras.parameter === 'string' ? extras.parameter : undefined)
  return item
}

/** A task-scoped envelope: `{"data":[…]}`, with `"errors"` only when there are some. */
export function encodeEnvelope(data: readonly DataItem[], errors: readonly ErrorItem[]): string {
  return errors.length === 0 ? JSON.stringify({ data }) : JSON.stringify({ data, errors })
}

/** A frame-level error that names no task (invalid JSON, not an array): `{"errors":[…]}`. */
export function connectionErrorFrame(code: string, message: string): string {
  return JSON.stringify({ errors: [{ code, message, documentation: docsFor(undefined) }] })
}

export function authSuccessFrame(connectionSessionUUID: string): string {
  return JSON.stringify({ data: [{ taskType: 'authentication', connectionSessionUUID }] })
}

/**
 * An auth failure in one of the three shapes clients meet (docs/protocol.md §2.3): the documented
 * `errors` list, a singular `error` object, or the legacy `{error: true, errorId, errorMessage}`.
 */
export function authErrorFrame(code: string, shape: 'errors' | 'error' | 'legacy'): string {
  if (shape === 'legacy') {
    return JSON.stringify({
      error: true,
      errorMessageContentId: 1212,
      errorId: code === 'invalidApiKey' ? LEGACY_INVALID_API_KEY : 0,
      errorMessage: code === 'invalidApiKey' ? 'Invalid api key' : messageFor(code),
    })
  }
  const error = { code, message: messageFor(code), parameter: 'apiKey', taskType: 'authentication' }
  return shape === 'error' ? JSON.stringify({ error }) : JSON.stringify({ errors: [error] })
}
