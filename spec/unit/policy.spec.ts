/**
 * The error policy against docs/protocol.md §7.5 (both tables, every code named) and the
 * "Error policy" table of design.md. Expectations are written from the notes, not read back from
 * lib/policy.ts: where the two disagree, the notes' recommended policy (end of §7.5) wins.
 */
import { describe, expect, it } from 'vitest'
import { RunwareError, libraryError, type LibraryErrorCode } from '../../lib/support/errors.js'
import {
  ErrorPolicy,
  categoryOf,
  defaultPolicy,
  type ConnectionAction,
  type ErrorCategory,
  type PolicyOverride,
  type TaskAction,
} from '../../lib/recovery/policy.js'
import type { ErrorItem } from '../../lib/protocol/protocol.js'
import { INVALID_WIDTH } from '../fixtures/wire.js'

interface Expected {
  readonly action: TaskAction
  readonly retryable: boolean
  readonly connection: ConnectionAction
}

/** design.md "Error policy" table (plus the library-only categories `connection` and `client`). */
const BY_CATEGORY: Readonly<Record<ErrorCategory, Expected>> = {
  auth: { action: 'reject', retryable: false, connection: 'fail' },
  quota: { action: 'reject', retryable: false, connection: 'none' },
  validation: { action: 'reject', retryable: false, connection: 'none' },
  safety: { action: 'reject', retryable: false, connection: 'none' },
  notFound: { action: 'reject', retryable: false, connection: 'none' },
  rateLimit: { action: 'retry', retryable: true, connection: 'pause' },
  timeout: { action: 'retry', retryable: true, connection: 'reconnect' },
  provider: { action: 'retry', retryable: true, connection: 'reconnect' },
  server: { action: 'retry', retryable: true, connection: 'reconnect' },
  conflict: { action: 'reconcile', retryable: false, connection: 'none' },
  connection: { action: 'retry', retryable: true, connection: 'reconnect' },
  client: { action: 'reject', retryable: false, connection: 'none' },
  unknown: { action: 'reject', retryable: false, connection: 'none' },
}

type Row = readonly [code: string, category: ErrorCategory]

/** §7.5, "Seen on the wire": every code in the table. */
const SEEN_ON_THE_WIRE: readonly Row[] = [
  ['invalidApiKey', 'auth'],
  ['missingApiKey', 'auth'],
  // Official deriveCode says unknown; the notes' recommended policy says transient.
  ['timeoutProvider', 'timeout'],
  ['conflictTaskUUID', 'conflict'],
  ['invalidWidth', 'validation'],
  ['invalidCustomHeight', 'validation'],
  ['invalidParameter', 'validation'],
  ['invalidPositivePrompt', 'validation'],
  ['invalidPositivePromptLength', 'validation'],
  ['missingPositivePrompt', 'validation'],
  ['invalidModel', 'validation'],
  ['unsupportedDuration', 'validation'],
  ['taskFailed', 'provider'],
  // Official deriveCode says unknown; the notes' recommended policy says transient.
  ['serverError', 'server'],
  ['quotaExceeded', 'quota'],
  ['insufficientCredits', 'quota'],
  ['providerRateLimitExceeded', 'rateLimit'],
  ['contentPolicyViolation', 'safety'],
  ['providerError', 'provider'],
]

/** §7.5, "Listed by Runware's official SDK classifier": every code named in every category row. */
const CLASSIFIER: readonly Row[] = [
  // validation: the prefix rules (one sample each), then every named code
  ['invalidSteps', 'validation'],
  ['missingModel', 'validation'],
  ['conflictModelArchitecture', 'validation'],
  ['duplicatePreloadModelAIR', 'validation'],
  ['unsupportedParameter', 'validation'],
  ['unsupportedTaskType', 'validation'],
  ['valueTooLarge', 'validation'],
  ['arrayTooSmall', 'validation'],
  ['maxLycorisModelsExceeded', 'validation'],
  ['unknownParameter', 'validation'],
  ['incompatibleParameters', 'validation'],
  ['mismatchProviderSettingsProvider', 'validation'],
  ['unknownProviderSettingsProvider', 'validation'],
  ['transparentModelMismatch', 'validation'],
  ['modelOwnershipValidationError', 'validation'],
  ['modelAlreadyExists', 'validation'],
  ['validationFailed', 'validation'],
  // auth (authTimeout is in this row too: see its own test below)
  ['invalidApiKey', 'auth'],
  ['missingApiKey', 'auth'],
  ['expiredApiKey', 'auth'],
  ['revokedApiKey', 'auth'],
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
  // quota
  ['insufficientCredits', 'quota'],
  ['providerInsufficientCredits', 'quota'],
  ['thirdPartyInsufficientCredits', 'quota'],
  ['textInferenceVideoInputInsufficientCredits', 'quota'],
  ['insufficientBalance', 'quota'],
  ['monthlyQuotaReached', 'quota'],
  ['quotaExceeded', 'quota'],
  ['paymentRequired', 'quota'],
  // rateLimit
  ['rateLimitExceeded', 'rateLimit'],
  ['inferenceRateLimitExceeded', 'rateLimit'],
  ['providerRateLimitExceeded', 'rateLimit'],
  ['inferenceRateLimitRequestTooLarge', 'rateLimit'],
  // safety
  ['contentPolicyViolation', 'safety'],
  ['providerContentPolicyViolation', 'safety'],
  ['sensitiveContentDetected', 'safety'],
  ['unsafeContentDetected', 'safety'],
  ['nsfwContentDetected', 'safety'],
  ['promptBlocked', 'safety'],
  ['imageBlocked', 'safety'],
  ['moderationFailed', 'safety'],
  // timeout (and the recommended "any code containing timeout, any case")
  ['providerTimeout', 'timeout'],
  ['providerGatewayTimeout', 'timeout'],
  ['webhookTimeout', 'timeout'],
  ['timeoutProvider', 'timeout'],
  ['timeout', 'timeout'],
  ['gatewayTimeout', 'timeout'],
  ['queueTIMEOUT', 'timeout'],
  // notFound
  ['modelNotFound', 'notFound'],
  ['taskNotFound', 'notFound'],
  ['mediaNotFound', 'notFound'],
  ['providerNotFound', 'notFound'],
  ['taskExpired', 'notFound'],
  ['mediaExpired', 'notFound'],
  ['taskCancelled', 'notFound'],
  ['taskFailedOrNotFound', 'notFound'],
  // serverError (the library calls the category `server`)
  ['internalServerError', 'server'],
  ['serviceUnavailable', 'server'],
  ['serverUnavailable', 'server'],
  ['standardError', 'server'],
  ['unknownError', 'server'],
  ['undefinedError', 'server'],
  ['defaultError', 'server'],
  ['unrecognizedResponse', 'server'],
  ['errorRetrievingAccountManagement', 'server'],
  ['serverError', 'server'],
  // provider
  ['providerError', 'provider'],
  ['providerUnavailable', 'provider'],
  ['providerBadGateway', 'provider'],
  ['providerInternalError', 'provider'],
  ['providerUnknownError', 'provider'],
  ['providerAuthenticationFailed', 'provider'],
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
]

/** The library's own codes, as lib/policy.ts's comments describe them. */
const LIBRARY: readonly (readonly [LibraryErrorCode, ErrorCategory])[] = [
  ['taskTimeout', 'client'], // the task's own deadline passed
  ['aborted', 'client'], // the user's AbortSignal fired
  ['connectionClosed', 'client'], // the user called close()
  ['connectionLost', 'connection'], // the socket died; the task may be resent
  ['queueFull', 'client'], // maxQueued reached
  ['reconnectFailed', 'connection'], // every reconnect attempt failed; later may work
  ['protocolError', 'unknown'], // unreadable server answer: never retry blindly
  ['invalidTask', 'client'], // rejected before it was sent
  ['connectTimeout', 'connection'], // the socket did not open in time
  ['authTimeout', 'connection'], // no auth reply in time: a slow server, not a bad key
]

function expectClassified(code: string, category: ErrorCategory): void {
  const got = defaultPolicy.classify({ code })
  const want = BY_CATEGORY[category]
  expect({ code, category: got.category, action: got.action, retryable: got.retryable }).toEqual({
    code,
    category,
    action: want.action,
    retryable: want.retryable,
  })
  expect(categoryOf(code)).toBe(category)
  expect(new ErrorPolicy().classify({ code }).category).toBe(category)
}

describe('ErrorPolicy: §7.5 "Seen on the wire"', () => {
  it.each(SEEN_ON_THE_WIRE)('%s → %s', (code, category) => {
    expectClassified(code, category)
  })
})

describe("ErrorPolicy: §7.5 codes listed by Runware's SDK classifier", () => {
  it.each(CLASSIFIER)('%s → %s', (code, category) => {
    expectClassified(code, category)
  })
})

describe("ErrorPolicy: the library's own codes", () => {
  it.each(LIBRARY)('%s → %s', (code, category) => {
    expectClassified(code, category)
  })

  it('classifies libraryError() instances the same way', () => {
    for (const [code, category] of LIBRARY) {
      const error = libraryError(code, 'x')
      expect([code, error.category, error.retryable]).toEqual([code, category, BY_CATEGORY[category].retryable])
    }
  })
})

describe('ErrorPolicy: the cases Runware gets wrong, and other called-out codes', () => {
  it('timeoutProvider is a retryable timeout (Runware deriveCode calls it unknown)', () => {
    const c = defaultPolicy.classify({ code: 'timeoutProvider', message: 'provider did not answer', taskUUID: 'x' })
    expect(c.category).toBe('timeout')
    expect(c.retryable).toBe(true)
    expect(c.action).toBe('retry')
  })

  it('serverError is a retryable server error (Runware deriveCode calls it unknown)', () => {
    const c = defaultPolicy.classify({ code: 'serverError' })
    expect(c.category).toBe('server')
    expect(c.retryable).toBe(true)
    expect(c.action).toBe('retry')
    expect(c.connection).toBe('reconnect')
  })

  it('conflictTaskUUID → reconcile (already accepted: poll), never retry and never the conflict* validation rule', () => {
    const c = defaultPolicy.classify({ code: 'conflictTaskUUID', context: { taskType: 'imageInference' } })
    expect(c).toEqual({ category: 'conflict', action: 'reconcile', connection: 'none', retryable: false })
  })

  it('providerAuthenticationFailed is provider (Runware’s upstream credentials), retryable, not auth', () => {
    const c = defaultPolicy.classify({ code: 'providerAuthenticationFailed' })
    expect(c).toEqual({ category: 'provider', action: 'retry', connection: 'reconnect', retryable: true })
  })

  it('providerRateLimitExceeded → rateLimit, retry, connection action pause (not provider)', () => {
    expect(defaultPolicy.classify({ code: 'providerRateLimitExceeded' })).toEqual({
      category: 'rateLimit',
      action: 'retry',
      connection: 'pause',
      retryable: true,
    })
  })

  it.each(['invalidApiKey', 'missingApiKey', 'unauthorized', 'forbidden', 'tokenRevoked', 'accountSuspended', 'workspaceDisabled'])(
    'auth code %s has connection action fail and task action reject',
    (code) => {
      expect(defaultPolicy.classify({ code })).toEqual({ category: 'auth', action: 'reject', connection: 'fail', retryable: false })
    },
  )

  it.each(['somethingNew', 'xyz', 'Error', 'reconnectionFailed', 'noWebSocketImpl'])(
    'unknown code %s → unknown, reject, not retryable, no connection action',
    (code) => {
      expect(defaultPolicy.classify({ code })).toEqual({ category: 'unknown', action: 'reject', connection: 'none', retryable: false })
    },
  )

  it('authTimeout (listed under auth by the SDK classifier) is transient: it contains "timeout" (recommended policy) and is a library handshake code', () => {
    const c = defaultPolicy.classify({ code: 'authTimeout' })
    expect(c.retryable).toBe(true)
    expect(c.action).toBe('retry')
    expect(c.connection).not.toBe('fail')
  })

  it('unknownModel (SDK-only) is permanent: rejected, not retryable', () => {
    const c = defaultPolicy.classify({ code: 'unknownModel' })
    expect(c.action).toBe('reject')
    expect(c.retryable).toBe(false)
    expect(['notFound', 'validation', 'unknown']).toContain(c.category)
  })

  it('the legacy invalid-key shape (errorId 19 → invalidApiKey) stops the connection', () => {
    expect(defaultPolicy.classify({ code: 'invalidApiKey', errorId: 19 }).connection).toBe('fail')
  })

  // §7.5 "Legacy numeric scheme: errorId 19 = invalid API key; anything else = unknown (GO, PY)".
  it('a legacy errorId other than 19 (code legacyError) is unknown per §7.5, not auth', () => {
    expect(categoryOf('legacyError')).toBe('unknown')
    expect(defaultPolicy.classify({ code: 'legacyError' })).toEqual({ category: 'unknown', action: 'reject', connection: 'none', retryable: false })
  })

  it('never auto-retries auth, quota, safety or validation codes, whatever the code', () => {
    for (const [code, category] of [...SEEN_ON_THE_WIRE, ...CLASSIFIER]) {
      if (category === 'auth' || category === 'quota' || category === 'safety' || category === 'validation') {
        expect([code, defaultPolicy.classify({ code }).retryable]).toEqual([code, false])
      }
    }
  })
})

describe('ErrorPolicy: over HTTP, and where the rules look', () => {
  it('a code the table does not know takes its HTTP status’s category; a known code keeps its own', () => {
    const policy = new ErrorPolicy()
    expect(policy.classify({ code: 'somethingNew', httpStatus: 503 }).category).toBe('server')
    expect(policy.classify({ code: 'somethingNew', httpStatus: 429 }).category).toBe('rateLimit')
    expect(policy.classify({ code: 'somethingNew' }).category).toBe('unknown')
    expect(policy.classify({ code: 'invalidApiKey', httpStatus: 500 }).category).toBe('auth')
    expect(policy.classify({ code: 'timeoutProvider', httpStatus: 500 }).category).toBe('timeout')
  })

  it('the validation prefixes count only at the start of a code', () => {
    expect(new ErrorPolicy().classify({ code: 'modelinvalidState' }).category).toBe('unknown')
    expect(new ErrorPolicy().classify({ code: 'invalidState' }).category).toBe('validation')
  })
})

describe('ErrorPolicy: connection action per category (design.md "Error policy")', () => {
  const sample: readonly Row[] = [
    ['invalidApiKey', 'auth'],
    ['insufficientCredits', 'quota'],
    ['invalidWidth', 'validation'],
    ['contentPolicyViolation', 'safety'],
    ['taskNotFound', 'notFound'],
    ['rateLimitExceeded', 'rateLimit'],
    ['providerError', 'provider'],
    ['internalServerError', 'server'],
    ['conflictTaskUUID', 'conflict'],
    ['connectionLost', 'connection'],
    ['aborted', 'client'],
    ['somethingNew', 'unknown'],
  ]
  it.each(sample)('%s (%s)', (code, category) => {
    expect(defaultPolicy.classify({ code }).connection).toBe(BY_CATEGORY[category].connection)
  })

  // Every retryable category but rateLimit (which pauses instead) reconnects when the error names
  // no task; reconcile then learns which task it was.
  it('timeout codes reconnect when they name no task (issue #4: any retryable error without taskUUID)', () => {
    const codes = ['timeoutProvider', 'providerTimeout', 'webhookTimeout']
    expect(codes.map((code) => defaultPolicy.classify({ code }).connection)).toEqual(['reconnect', 'reconnect', 'reconnect'])
  })
})

describe('ErrorPolicy: user overrides', () => {
  it('codes with a category: takes that category and its actions', () => {
    const policy = new ErrorPolicy({ codes: { myGatewayHiccup: 'server', modelDisabled: 'validation', timeoutProvider: 'auth' } })
    expect(policy.classify({ code: 'myGatewayHiccup' })).toEqual({ category: 'server', action: 'retry', connection: 'reconnect', retryable: true })
    expect(policy.classify({ code: 'modelDisabled' })).toEqual({ category: 'validation', action: 'reject', connection: 'none', retryable: false })
    expect(policy.classify({ code: 'timeoutProvider' })).toEqual({ category: 'auth', action: 'reject', connection: 'fail', retryable: false })
    // other codes keep the built-in answer
    expect(policy.classify({ code: 'providerError' }).category).toBe('provider')
    // the default policy is untouched
    expect(defaultPolicy.classify({ code: 'modelDisabled' }).category).toBe('provider')
  })

  it("codes with 'retry': keeps the built-in category, retries", () => {
    const policy = new ErrorPolicy({ codes: { myGatewayHiccup: 'retry', invalidWidth: 'retry' } })
    expect(policy.classify({ code: 'myGatewayHiccup' })).toEqual({ category: 'unknown', action: 'retry', connection: 'none', retryable: true })
    expect(policy.classify({ code: 'invalidWidth' })).toEqual({ category: 'validation', action: 'retry', connection: 'none', retryable: true })
  })

  it("codes with 'reject': keeps the built-in category, rejects", () => {
    const policy = new ErrorPolicy({ codes: { modelDisabled: 'reject', timeoutProvider: 'reject' } })
    expect(policy.classify({ code: 'modelDisabled' })).toEqual({ category: 'provider', action: 'reject', connection: 'reconnect', retryable: false })
    expect(policy.classify({ code: 'timeoutProvider' })).toMatchObject({ category: 'timeout', action: 'reject', retryable: false })
  })

  it('a classify function wins over codes and sees the whole error', () => {
    const seen: unknown[] = []
    const policy = new ErrorPolicy({
      codes: { providerError: 'retry', other: 'quota' },
      classify: (error) => {
        seen.push(error)
        return error.message?.includes('moderation') === true ? 'safety' : undefined
      },
    })
    const error = { code: 'providerError', message: 'blocked by moderation', taskUUID: 'u1' }
    expect(policy.classify(error)).toEqual({ category: 'safety', action: 'reject', connection: 'none', retryable: false })
    expect(seen).toEqual([error])
  })

  it('classify returning undefined falls through to codes, then to the built-in table', () => {
    const policy = new ErrorPolicy({ codes: { other: 'quota' }, classify: () => undefined })
    expect(policy.classify({ code: 'other' }).category).toBe('quota')
    expect(policy.classify({ code: 'providerError' })).toEqual({ category: 'provider', action: 'retry', connection: 'reconnect', retryable: true })
    expect(policy.classify({ code: 'nothingKnown' }).category).toBe('unknown')
  })

  it('classify returning retry/reject keeps the built-in category', () => {
    const policy = new ErrorPolicy({ classify: (e) => (e.code === 'somethingNew' ? 'retry' : 'reject') })
    expect(policy.classify({ code: 'somethingNew' })).toEqual({ category: 'unknown', action: 'retry', connection: 'none', retryable: true })
    expect(policy.classify({ code: 'rateLimitExceeded' })).toEqual({ category: 'rateLimit', action: 'reject', connection: 'pause', retryable: false })
  })

  it.each(['bogus', 'Retry', 'toString', '__proto__', 'constructor', '', 5, null])(
    'an invalid codes value (%s) throws a TypeError at construction',
    (value) => {
      const codes = { someCode: value } as unknown as Record<string, PolicyOverride>
      expect(() => new ErrorPolicy({ codes })).toThrow(TypeError)
    },
  )

  it('the TypeError names the code and the value', () => {
    expect(() => new ErrorPolicy({ codes: { myCode: 'retyr' as PolicyOverride } })).toThrow(/myCode.*retyr/)
  })

  // A plain-JavaScript classify function can return a typo; the client switches on `action`, so an
  // action outside reject/retry/reconcile matches no case and the task never settles.
  it('a classify function returning an invalid value never yields an invalid action', () => {
    const policy = new ErrorPolicy({ classify: () => 'retyr' as PolicyOverride })
    let result: ReturnType<ErrorPolicy['classify']> | undefined
    try {
      result = policy.classify({ code: 'providerError' })
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError)
      return
    }
    expect(['reject', 'retry', 'reconcile']).toContain(result.action)
  })

  it('answers stay right past the built-in cache limit (thousands of distinct codes)', () => {
    const policy = new ErrorPolicy()
    for (let i = 0; i < 3_000; i++) expect(policy.classify({ code: `novel${i}` }).category).toBe('unknown')
    for (let i = 0; i < 3_000; i++) expect(policy.classify({ code: `provider${i}` }).category).toBe('provider')
    expect(policy.classify({ code: 'invalidApiKey' }).connection).toBe('fail')
    expect(policy.classify({ code: 'timeoutProvider' }).retryable).toBe(true)
  })

  it('overrides are case-sensitive exact codes', () => {
    const policy = new ErrorPolicy({ codes: { ProviderError: 'reject' } })
    expect(policy.classify({ code: 'providerError' }).action).toBe('retry')
  })
})

describe('RunwareError', () => {
  it('is an Error and a RunwareError with its name, code, category and retryable', () => {
    const error = new RunwareError({ code: 'timeoutProvider', message: 'provider timed out', taskUUID: 't1', taskType: 'imageInference' })
    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(RunwareError)
    expect(error.name).toBe('RunwareError')
    expect(error.message).toBe('provider timed out')
    expect(error.code).toBe('timeoutProvider')
    expect(error.category).toBe('timeout')
    expect(error.retryable).toBe(true)
    expect(error.taskUUID).toBe('t1')
    expect(error.taskType).toBe('imageInference')
    expect(error.parameter).toBeUndefined()
    expect(error.raw).toBeUndefined()
    expect(Object.prototype.toString.call(error)).toBe('[object Error]')
    expect(String(error)).toBe('RunwareError: provider timed out')
    expect(error.stack).toContain('RunwareError')
  })

  it('takes category and retryable from the policy: unknown codes are not retryable', () => {
    const error = new RunwareError({ code: 'somethingNew', message: 'm' })
    expect([error.category, error.retryable]).toEqual(['unknown', false])
    const auth = new RunwareError({ code: 'invalidApiKey', message: 'm' })
    expect([auth.category, auth.retryable]).toEqual(['auth', false])
  })

  it('uses an explicit classification over the default policy', () => {
    const classification = new ErrorPolicy({ codes: { invalidWidth: 'retry' } }).classify({ code: 'invalidWidth' })
    const error = new RunwareError({ code: 'invalidWidth', message: 'm', classification })
    expect([error.category, error.retryable]).toEqual(['validation', true])
  })

  it('keeps a cause', () => {
    const cause = new Error('root')
    expect(new RunwareError({ code: 'aborted', message: 'm', cause }).cause).toBe(cause)
    expect('cause' in new RunwareError({ code: 'aborted', message: 'm' })).toBe(false)
  })

  it('fromServer keeps every field and the raw object', () => {
    const item: ErrorItem = { ...INVALID_WIDTH }
    const copy = structuredClone(item)
    const error = RunwareError.fromServer(item, defaultPolicy.classify(item))
    expect(error.code).toBe('invalidWidth')
    expect(error.message).toBe("Invalid value for 'width' parameter.")
    expect(error.parameter).toBe('width')
    expect(error.taskType).toBe('imageInference')
    expect(error.taskUUID).toBe('019c42a0-0000-4000-8000-000000000000')
    expect(error.documentation).toBe('https://runware.ai/docs/en/image-inference/api-reference#request-width')
    expect(error.category).toBe('validation')
    expect(error.retryable).toBe(false)
    expect(error.raw).toEqual(copy)
    expect(error.raw?.min).toBe(256)
    expect(error.raw?.max).toBe(16383)
    expect(item).toEqual(copy)
  })

  it('fromServer keeps an array parameter and lets the caller substitute its taskUUID', () => {
    const item: ErrorItem = { code: 'invalidParameter', message: 'm', parameter: ['width', 'height'], taskUUID: 'wire-id' }
    const error = RunwareError.fromServer(item, defaultPolicy.classify(item), 'caller-id')
    expect(error.parameter).toEqual(['width', 'height'])
    expect(error.taskUUID).toBe('caller-id')
    expect(error.raw?.taskUUID).toBe('wire-id')
  })

  it('fromServer takes category and retryable from the classification it is given', () => {
    const item: ErrorItem = { code: 'providerRateLimitExceeded', message: 'slow down' }
    const error = RunwareError.fromServer(item, defaultPolicy.classify(item))
    expect([error.category, error.retryable]).toEqual(['rateLimit', true])
  })

  it('toJSON gives every public field (and JSON.stringify uses it)', () => {
    const item: ErrorItem = {
      code: 'contentPolicyViolation',
      message: 'blocked',
      parameter: 'positivePrompt',
      taskType: 'imageInference',
      taskUUID: 'u',
      documentation: 'd',
    }
    const error = RunwareError.fromServer(item, defaultPolicy.classify(item))
    const expected = {
      name: 'RunwareError',
      code: 'contentPolicyViolation',
      category: 'safety',
      retryable: false,
      message: 'blocked',
      parameter: 'positivePrompt',
      taskType: 'imageInference',
      taskUUID: 'u',
      documentation: 'd',
    }
    expect(error.toJSON()).toEqual(expected)
    expect(JSON.parse(JSON.stringify(error))).toEqual(expected)
  })
})
