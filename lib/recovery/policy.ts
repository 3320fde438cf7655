/**
 * Error code → category → action: the one table every recovery decision reads.
 *
 * A WebSocket has no HTTP status, so the error `code` is all there is. Runware publishes no
 * registry of codes (docs/protocol.md §7), so the table is exact codes first, then name rules,
 * and the user's overrides on top. Unknown codes are rejected: retrying something we cannot
 * classify risks paying twice.
 */
import { categoryOfStatus, LIBRARY_CODES, type ErrorCategory } from './codes.js'

export type { ErrorCategory } from './codes.js'

/** What happens to the task the error names. */
export type TaskAction =
  /** Settle the task with this error. */
  | 'reject'
  /** Resubmit under a fresh taskUUID after a backoff delay (the fate of the first try is known). */
  | 'retry'
  /** The server already has this taskUUID: ask getResponse instead of sending it again. */
  | 'reconcile'

/** What happens to the connection when an error names no task (or, for `pause`, always). */
export type ConnectionAction =
  | 'none'
  /** Stop: no reconnect, every pending task rejects, until the user calls connect(). */
  | 'fail'
  /** Drop this socket and reconnect with backoff. */
  | 'reconnect'
  /** Hold every send for the backoff delay. */
  | 'pause'

export interface Classification {
  readonly category: ErrorCategory
  readonly action: TaskAction
  readonly connection: ConnectionAction
  /** True when trying again later may succeed (`action === 'retry'`). */
  readonly retryable: boolean
}

/** An override: a category, or just the task action to take. */
export type PolicyOverride = ErrorCategory | 'retry' | 'reject'

export interface ErrorPolicyOptions {
  /** Per-code overrides, e.g. `{ modelDisabled: 'reject', myGatewayHiccup: 'retry' }`. Checked after `classify`. */
  codes?: Readonly<Record<string, PolicyOverride>> | undefined
  /** Called first for every error; return undefined to fall through to `codes` and the built-in table. */
  classify?: ((error: { readonly code: string; readonly message?: string; readonly [field: string]: unknown }) => PolicyOverride | undefined) | undefined
}

const CATEGORY_ACTIONS: Readonly<Record<ErrorCategory, { action: TaskAction; connection: ConnectionAction }>> = {
  auth: { action: 'reject', connection: 'fail' },
  quota: { action: 'reject', connection: 'none' },
  validation: { action: 'reject', connection: 'none' },
  safety: { action: 'reject', connection: 'none' },
  notFound: { action: 'reject', connection: 'none' },
  rateLimit: { action: 'retry', connection: 'pause' },
  timeout: { action: 'retry', connection: 'reconnect' },
  provider: { action: 'retry', connection: 'reconnect' },
  server: { action: 'retry', connection: 'reconnect' },
  conflict: { action: 'reconcile', connection: 'none' },
  connection: { action: 'retry', connection: 'reconnect' },
  client: { action: 'reject', connection: 'none' },
  unknown: { action: 'reject', connection: 'none' },
}

/** Exact codes, checked before any rule. Each group says why it is not left to the rules. */
const EXACT: ReadonlyMap<string, ErrorCategory> = new Map<string, ErrorCategory>([
  // This library's own codes (codes.ts: each with why).
  ...(Object.entries(LIBRARY_CODES) as [string, ErrorCategory][]),
  // A generic internal error is transient; Runware's SDKs classify it as unknown and give up.
  ['serverError', 'server'],
  ['internalServerError', 'server'],
  ['serviceUnavailable', 'server'],
  ['serverUnavailable', 'server'],
  ['standardError', 'server'],
  ['unknownError', 'server'],
  ['undefinedError', 'server'],
  ['defaultError', 'server'],
  ['unrecognizedResponse', 'server'],
  ['errorRetrievingAccountManagement', 'server'],
  // The server already knows this taskUUID: it was accepted, so poll rather than resend.
  // (Before the `conflict*` validation rule.)
  ['conflictTaskUUID', 'conflict'],
  // Generic runtime failures of one task: the next attempt may land on a healthy worker.
  ['inferenceError', 'provider'],
  ['processingFailed', 'provider'],
  ['taskFailed', 'provider'],
  ['downloadFailed', 'provider'],
  ['uploadFailed', 'provider'],
  ['noAvailableServer', 'provider'],
  ['modelUnavailable', 'provider'],
  ['modelDisabled', 'provider'],
  ['modelNotReady', 'provider'],
  ['mediaStorageFileCouldNotBeMoved', 'provider'],
  // The user's identity is refused: retrying cannot help and would loop forever.
  ['unauthorized', 'auth'],
  ['forbidden', 'auth'],
  ['permissionDenied', 'auth'],
  ['insufficientPermissions', 'auth'],
  ['authenticationFailed', 'auth'],
  ['authFailed', 'auth'],
  ['invalidAuthentication', 'auth'],
  ['invalidCredentials', 'auth'],
  ['missingAuthentication', 'auth'],
  ['tokenExpired', 'auth'],
  ['tokenInvalid', 'auth'],
  ['tokenMissing', 'auth'],
  ['tokenRevoked', 'auth'],
  ['accountSuspended', 'auth'],
  ['accountDisabled', 'auth'],
  ['organizationSuspended', 'auth'],
  ['organizationDisabled', 'auth'],
  ['workspaceSuspended', 'auth'],
  ['workspaceDisabled', 'auth'],
  // Money: nothing changes until the account is topped up; the user decides.
  ['quotaExceeded', 'quota'],
  ['paymentRequired', 'quota'],
  // Moderation verdicts are deterministic for the same input.
  ['contentPolicyViolation', 'safety'],
  ['promptBlocked', 'safety'],
  ['imageBlocked', 'safety'],
  ['moderationFailed', 'safety'],
  // Gone or cancelled: asking again returns the same answer.
  ['taskCancelled', 'notFound'],
  // The request itself is wrong; it fails the same way every time.
  ['unknownParameter', 'validation'],
  ['incompatibleParameters', 'validation'],
  ['mismatchProviderSettingsProvider', 'validation'],
  ['unknownProviderSettingsProvider', 'validation'],
  ['transparentModelMismatch', 'validation'],
  ['modelOwnershipValidationError', 'validation'],
  ['modelAlreadyExists', 'validation'],
  ['validationFailed', 'validation'],
])

interface Rule {
  readonly test: (code: string) => boolean
  readonly category: ErrorCategory
}

/** Name rules, in order: the first match wins. Order matters where names overlap. */
const RULES: readonly Rule[] = [
  // Anything about the API key is the user's identity (invalidApiKey, missingApiKey, …).
  { test: (code) => code.includes('ApiKey'), category: 'auth' },
  // Throttling is transient by definition (providerRateLimitExceeded before `provider*`).
  { test: (code) => /ratelimit/i.test(code), category: 'rateLimit' },
  // Money before `provider*` (providerInsufficientCredits) and `invalid*`.
  { test: (code) => /Credits|Quota|Balance/.test(code), category: 'quota' },
  // Moderation before `provider*` (providerContentPolicyViolation).
  { test: (code) => code.includes('ContentPolicy') || code.endsWith('ContentDetected'), category: 'safety' },
  // Not found or expired before `provider*` (providerNotFound).
  { test: (code) => code.endsWith('NotFound') || code.endsWith('Expired'), category: 'notFound' },
  // The request is wrong; resending it cannot help (before `timeout`: invalidTimeout is a bad field).
  { test: (code) => /^(invalid|missing|unsupported|conflict|duplicate|value|array|max)[A-Z]/.test(code), category: 'validation' },
  // Any timeout, in any case (providerTimeout, providerGatewayTimeout, webhookTimeout; Runware's own
  // canonical example, timeoutProvider, which its SDKs' case-sensitive "Timeout" match never retries).
  { test: (code) => /timeout/i.test(code), category: 'timeout' },
  // Upstream failures (providerError, providerUnavailable, providerBadGateway, …), and
  // providerAuthenticationFailed: the provider's credentials are Runware's, not the user's (retry, do not stop).
  { test: (code) => code.startsWith('provider'), category: 'provider' },
]

function builtInCategory(code: string): ErrorCategory {
  const exact = EXACT.get(code)
  if (exact !== undefined) return exact
  for (const rule of RULES) if (rule.test(code)) return rule.category
  return 'unknown'
}

function isCategory(value: string): value is ErrorCategory {
  return Object.hasOwn(CATEGORY_ACTIONS, value)
}

function classification(category: ErrorCategory, action: TaskAction = CATEGORY_ACTIONS[category].action): Classification {
  return { category, action, connection: CATEGORY_ACTIONS[category].connection, retryable: action === 'retry' }
}

const BUILT_IN: ReadonlyMap<ErrorCategory, Classification> = new Map(
  (Object.keys(CATEGORY_ACTIONS) as ErrorCategory[]).map((category) => [category, classification(category)]),
)

const CACHE_LIMIT = 1024

export class ErrorPolicy {
  readonly #codes: ReadonlyMap<string, PolicyOverride>
  readonly #classify: ErrorPolicyOptions['classify']
  /** Built-in answers by code, bounded: a server could invent any number of codes. */
  readonly #cache = new Map<string, Classification>()
  readonly #onThrow: ((error: unknown) => void) | undefined

  /** `onThrow` hears of a `classify` that threw; the built-in table answers for that error. */
  constructor(options: ErrorPolicyOptions = {}, onThrow?: (error: unknown) => void) {
    this.#onThrow = onThrow
    this.#codes = new Map(Object.entries(options.codes ?? {}))
    for (const [code, override] of this.#codes) {
      // Checked at run time: plain JavaScript callers get no type error for a typo.
      const value: string = override
      if (!isCategory(value) && value !== 'retry' && value !== 'reject') {
        throw new TypeError(`errorPolicy.codes.${code}: "${value}" is not a category, "retry" or "reject"`)
      }
    }
    this.#classify = options.classify
  }

  classify(error: { readonly code: string; readonly [field: string]: unknown }): Classification {
    const override = this.#validOverride(this.#userOverride(error)) ?? this.#codes.get(error.code)
    if (override !== undefined) return this.#applyOverride(error.code, override)
    let cached = this.#cache.get(error.code)
    if (cached === undefined) {
      cached = BUILT_IN.get(builtInCategory(error.code)) ?? classification('unknown')
      if (this.#cache.size < CACHE_LIMIT) this.#cache.set(error.code, cached)
    }
    // Over HTTP, a code the table does not know falls in its status's category.
    const status = cached.category === 'unknown' && typeof error.httpStatus === 'number' ? categoryOfStatus(error.httpStatus) : undefined
    return status === undefined ? cached : (BUILT_IN.get(status) ?? cached)
  }

  /** Caller code: a throw is reported and counts as no override. */
  #userOverride(error: { readonly code: string; readonly [field: string]: unknown }): string | undefined {
    if (this.#classify === undefined) return undefined
    try {
      const answer: unknown = this.#classify(error)
      return typeof answer === 'string' ? answer : undefined
    } catch (thrown) {
      this.#onThrow?.(thrown)
      return undefined
    }
  }

  /** A classify function is plain code: a value that is no override (a typo) falls through to the table. */
  #validOverride(value: string | undefined): PolicyOverride | undefined {
    if (value === undefined) return undefined
    return isCategory(value) || value === 'retry' || value === 'reject' ? value : undefined
  }

  #applyOverride(code: string, override: PolicyOverride): Classification {
    if (isCategory(override)) return classification(override)
    return classification(builtInCategory(code), override)
  }
}

export const defaultPolicy = new ErrorPolicy()

/** The category a code falls in under the built-in table (no overrides). */
export function categoryOf(code: string): ErrorCategory {
  return builtInCategory(code)
}
