/** recovery.ts as tables: what the client does, given what a code is (policy) and where the task or connection stands. */
import { describe, expect, it } from 'vitest'
import type { ErrorCategory } from '../../lib/recovery/codes.js'
import type { ConnectionState } from '../../lib/api/events.js'
import { STATES } from '../../lib/machines/states.js'
import type { TaskPhase } from '../../lib/tasks/ledger.js'
import { ErrorPolicy, type Classification } from '../../lib/recovery/policy.js'
import { decideEmptyAnswer, decideLost, decideTaskError, decideUnaddressed, type TaskErrorContext } from '../../lib/recovery/recovery.js'

const policy = new ErrorPolicy()
/** A code of each category, as the built-in table classifies it. */
const SAMPLE: Readonly<Record<ErrorCategory, string>> = {
  auth: 'invalidApiKey',
  quota: 'insufficientCredits',
  validation: 'invalidWidth',
  safety: 'contentPolicyViolation',
  notFound: 'taskNotFound',
  rateLimit: 'rateLimitExceeded',
  timeout: 'timeoutProvider',
  provider: 'providerError',
  server: 'serverError',
  conflict: 'conflictTaskUUID',
  connection: 'connectionLost',
  client: 'taskTimeout',
  unknown: 'somethingNobodyKnows',
}
const classify = (category: ErrorCategory): Classification => {
  const classification = policy.classify({ code: SAMPLE[category] })
  expect(classification.category).toBe(category)
  return classification
}
const context = (overrides: Partial<TaskErrorContext> = {}): TaskErrorContext => ({
  phase: 'sent',
  submissions: 1,
  maxAttempts: 3,
  retryDelayMs: 100,
  now: 1_000,
  deadline: 1_000_000,
  ...overrides,
})

describe('decideTaskError: an error that names the task', () => {
  const table: [ErrorCategory, TaskPhase, string][] = [
    ['auth', 'sent', 'reject'],
    ['quota', 'sent', 'reject'],
    ['validation', 'sent', 'reject'],
    ['safety', 'polling', 'reject'],
    ['notFound', 'sent', 'reject'],
    ['notFound', 'polling', 'reject'],
    // The answer to a probe after a reconnect: the server never got it.
    ['notFound', 'unknown', 'resend'],
    // Only notFound means "never received": a refusal while the fate was unknown is still a refusal.
    ['validation', 'unknown', 'reject'],
    ['rateLimit', 'sent', 'retry'],
    ['timeout', 'sent', 'retry'],
    ['provider', 'polling', 'retry'],
    ['server', 'unknown', 'retry'],
    ['connection', 'sent', 'retry'],
    ['conflict', 'sent', 'poll'],
    ['conflict', 'unknown', 'poll'],
    ['client', 'sent', 'reject'],
    ['unknown', 'sent', 'reject'],
  ]
  it.each(table)('%s while %s → %s', (category, phase, expected) => {
    expect(decideTaskError(classify(category), context({ phase })).do).toBe(expected)
  })

  it('a retryable error out of attempts, or out of time, rejects', () => {
    expect(decideTaskError(classify('timeout'), context({ submissions: 3, maxAttempts: 3 })).do).toBe('reject')
    expect(decideTaskError(classify('timeout'), context({ now: 1_000, retryDelayMs: 500, deadline: 1_500 })).do).toBe('reject')
    expect(decideTaskError(classify('timeout'), context({ now: 1_000, retryDelayMs: 499, deadline: 1_500 }))).toEqual({
      do: 'retry',
      delayMs: 499,
      pauseSends: false,
    })
    expect(decideTaskError(classify('timeout'), context({ deadline: undefined, now: 1e15 })).do).toBe('retry')
  })

  it('a rate limit pauses every send, retried or not', () => {
    expect(decideTaskError(classify('rateLimit'), context())).toEqual({ do: 'retry', delayMs: 100, pauseSends: true })
    expect(decideTaskError(classify('rateLimit'), context({ submissions: 3 }))).toEqual({ do: 'reject', pauseSends: true })
    expect(decideTaskError(classify('provider'), context())).toMatchObject({ pauseSends: false })
  })

  it('follows a user override of the category or the action', () => {
    const custom = new ErrorPolicy({ codes: { invalidWidth: 'retry', providerError: 'reject' } })
    expect(decideTaskError(custom.classify({ code: 'invalidWidth' }), context()).do).toBe('retry')
    expect(decideTaskError(custom.classify({ code: 'providerError' }), context()).do).toBe('reject')
  })
})

describe('decideUnaddressed: an error that names no task', () => {
  const table: [ErrorCategory, ConnectionState, string][] = [
    ['auth', 'ready', 'fail'],
    ['auth', 'authenticating', 'fail'],
    ['quota', 'ready', 'none'],
    ['quota', 'authenticating', 'none'],
    ['validation', 'ready', 'none'],
    ['rateLimit', 'ready', 'pause'],
    // Before the auth reply a retryable code drops the socket and tries again.
    ['rateLimit', 'authenticating', 'reconnect'],
    ['timeout', 'ready', 'reconnect'],
    ['timeout', 'authenticating', 'reconnect'],
    ['provider', 'ready', 'reconnect'],
    ['server', 'ready', 'reconnect'],
    ['conflict', 'ready', 'none'],
    ['unknown', 'ready', 'none'],
    // An unknown code before the auth reply is reported; the handshake goes on.
    ['unknown', 'authenticating', 'none'],
  ]
  it.each(table)('%s while %s → %s', (category, state, expected) => {
    // The state table's handshake column: true while authenticating.
    expect(decideUnaddressed(classify(category), STATES[state].handshake).do).toBe(expected)
  })
})

describe('decideLost: the socket died', () => {
  const table: [TaskPhase, boolean, string][] = [
    ['queued', true, 'keep'],
    ['waiting', true, 'keep'],
    ['sent', true, 'reconcile'],
    ['unknown', true, 'keep'],
    ['polling', true, 'keep'],
    ['queued', false, 'keep'],
    ['waiting', false, 'keep'],
    ['sent', false, 'reject'],
    ['unknown', false, 'reject'],
    ['polling', false, 'reject'],
  ]
  it.each(table)('%s with recover %s → %s', (phase, recover, expected) => {
    expect(decideLost(phase, recover)).toBe(expected)
  })
})

describe('decideEmptyAnswer: getResponse does not know the id', () => {
  it('a task whose fate was unknown is resent under the same id', () => {
    expect(decideEmptyAnswer('unknown', 0, 3)).toEqual({ do: 'resend' })
  })

  it('a polled task is polled again until maxEmptyAnswers, then rejected (with the conflict or taskUnknown: the receiver)', () => {
    expect(decideEmptyAnswer('polling', 1, 3)).toEqual({ do: 'pollAgain' })
    expect(decideEmptyAnswer('polling', 2, 3)).toEqual({ do: 'pollAgain' })
    expect(decideEmptyAnswer('polling', 3, 3)).toEqual({ do: 'reject' })
  })
})
