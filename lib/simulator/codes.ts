/**
 * Every error code the simulator sends, and where it comes from, so a test written against it
 * knows which codes the live server is known to send and which the simulator made up:
 *
 *   wire        seen on the wire (Runware's docs, real payloads, Runware's CLI/SDK fixtures)
 *   classifier  listed by Runware's own SDK error classifier: plausible, not confirmed on the wire
 *   pattern     a field check: `missing<Field>` / `invalid<Field>`, the naming the classifier and the
 *               docs' examples follow; the exact name for a given field is the simulator's
 *   invented    the simulator's own: Runware documents no code for the case
 *
 * Sources: docs/protocol.md §7.5.
 */
export type CodeSource = 'wire' | 'classifier' | 'pattern' | 'invented'

export const SIMULATOR_CODES: Readonly<Record<string, { source: CodeSource; when: string }>> = {
  invalidApiKey: { source: 'wire', when: 'authentication with a key not in apiKeys' },
  missingApiKey: { source: 'classifier', when: 'authentication without a key' },
  conflictTaskUUID: { source: 'wire', when: 'a taskUUID the account already used (within retentionMs)' },
  invalidModel: { source: 'wire', when: 'a model the catalogue lists for another task type' },
  invalidWidth: { source: 'wire', when: 'width outside the model’s limits (likewise invalidHeight)' },
  timeoutProvider: { source: 'wire', when: 'injected failure (failNext, chaos)' },
  providerError: { source: 'wire', when: 'injected failure' },
  taskFailed: { source: 'wire', when: 'injected failure' },
  contentPolicyViolation: { source: 'wire', when: 'injected failure' },
  insufficientCredits: { source: 'wire', when: 'injected failure' },
  invalidPositivePrompt: { source: 'wire', when: 'injected failure, or a prompt outside 2–3000 characters' },
  providerRateLimitExceeded: { source: 'wire', when: 'injected rate limit' },
  serviceUnavailable: { source: 'classifier', when: 'injected failure' },
  rateLimitExceeded: { source: 'classifier', when: 'injected rate limit (rateLimit, chaos); a model whose slots and queue are full (capacity)' },
  queueWaitTimeout: { source: 'invented', when: 'a task that waited past its model’s capacity maxWaitMs (Runware documents REST 504, no WebSocket code)' },
  internalServerError: { source: 'classifier', when: 'a bug in the simulator while handling one task' },
  unsupportedTaskType: { source: 'classifier', when: 'a taskType the simulator does not run' },
  taskNotFound: { source: 'classifier', when: 'getTaskDetails (and getResponse with unknownTaskAnswer "error") for an unknown taskUUID' },
  taskExpired: { source: 'classifier', when: 'the same for a task forgotten after retentionMs' },
  'missing<Field>': { source: 'pattern', when: 'a required field absent (missingPrompt, missingModel, missingInputImage, …)' },
  'invalid<Field>': { source: 'pattern', when: 'a field of the wrong type or outside its limits (invalidNumberResults, invalidMessages, …)' },
  authenticationRequired: { source: 'invented', when: 'a task on a socket that has not authenticated' },
  invalidJSON: { source: 'invented', when: 'a frame that is not JSON' },
  invalidPayload: { source: 'invented', when: 'a frame that is not a non-empty JSON array' },
  missingTaskType: { source: 'invented', when: 'an array element with no string taskType' },
  missingTaskUUID: { source: 'invented', when: 'a task without a taskUUID' },
  invalidTaskUUID: { source: 'invented', when: 'a taskUUID that is not a UUID' },
  unsupportedDeliveryMethod: { source: 'invented', when: 'async for a sync-only type, or sync for videoInference' },
  methodNotAllowed: { source: 'invented', when: 'an HTTP request that is not a POST' },
  payloadTooLarge: { source: 'invented', when: 'an HTTP body over maxBodyBytes' },
}

/**
 * The HTTP status a REST answer carries, by its first error's code: Runware's errors page gives the
 * statuses by meaning (400, 401, 402, 403, 404, 429, 500, 503), its rate-limit page 429, 503 and 504
 * for capacity; which code gets which is the simulator's reading of them. Any other code is 400.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<string, number>> = {
  invalidApiKey: 401,
  missingApiKey: 401,
  insufficientCredits: 402,
  taskNotFound: 404,
  taskExpired: 404,
  methodNotAllowed: 405,
  payloadTooLarge: 413,
  rateLimitExceeded: 429,
  providerRateLimitExceeded: 429,
  internalServerError: 500,
  providerError: 500,
  taskFailed: 500,
  timeoutProvider: 500,
  serviceUnavailable: 503,
  queueWaitTimeout: 504,
}

export function httpStatusOf(code: string): number {
  return HTTP_STATUS_BY_CODE[code] ?? 400
}

/** Where `code` comes from; field checks resolve to their pattern. */
export function sourceOf(code: string): CodeSource | undefined {
  const exact = SIMULATOR_CODES[code]
  if (exact !== undefined) return exact.source
  if (/^missing[A-Z]/.test(code)) return 'pattern'
  if (/^invalid[A-Z]/.test(code)) return 'pattern'
  return undefined
}
