/**
 * The library's own codes (recovery/codes.ts): the category each error carries, which codes leave
 * the task's fate unknown (retried under the same taskUUID), and what an HTTP status stands for.
 * The categories are public (`error.category`) and decide what the policy does: the table below
 * is the contract, written out so that a changed category fails here first.
 */
import { describe, expect, it } from 'vitest'
import { FATE_UNKNOWN_CODES, LIBRARY_CODES, categoryOfStatus, type ErrorCategory, type LibraryErrorCode } from '../../lib/recovery/codes.js'
import { libraryError } from '../../lib/support/errors.js'

const CONTRACT: Record<ErrorCategory, readonly LibraryErrorCode[]> = {
  connection: ['connectionLost', 'reconnectFailed', 'connectTimeout', 'authTimeout', 'frameTooLarge', 'redisUnavailable'],
  client: [
    'connectionClosed',
    'aborted',
    'taskTimeout',
    'queueFull',
    'invalidTask',
    'callbackError',
    'resultTimeout',
    'jobConflict',
    'journalLocked',
    'journalInvalid',
    'journalFailed',
    'draining',
  ],
  unknown: ['protocolError', 'internalError', 'legacyError', 'jobFailed', 'httpError', 'streamInterrupted'],
  provider: ['modelUploadFailed'],
  notFound: ['taskUnknown', 'jobNotFound'],
  quota: ['budgetExceeded'],
  auth: [],
  validation: [],
  safety: [],
  rateLimit: [],
  timeout: [],
  server: [],
  conflict: [],
}

describe('library codes', () => {
  it('every code carries its category, on the table and on the error made from it', () => {
    const listed = Object.values(CONTRACT).flat()
    expect(new Set(listed).size).toBe(listed.length)
    expect([...listed].sort()).toEqual(Object.keys(LIBRARY_CODES).sort())
    for (const [category, codes] of Object.entries(CONTRACT)) {
      for (const code of codes) {
        expect(LIBRARY_CODES[code], code).toBe(category)
        expect(libraryError(code, 'm').category, code).toBe(category)
      }
    }
  })

  it('the fate-unknown codes are those where the server may or may not have run the task', () => {
    const expected = [
      'taskTimeout',
      'connectionClosed',
      'connectionLost',
      'aborted',
      'queueFull',
      'reconnectFailed',
      'connectTimeout',
      'authTimeout',
      'frameTooLarge',
      'streamInterrupted',
    ]
    expect([...FATE_UNKNOWN_CODES].sort()).toEqual([...expected].sort())
    for (const code of ['invalidTask', 'protocolError', 'budgetExceeded', 'draining', 'taskUnknown']) expect(FATE_UNKNOWN_CODES.has(code), code).toBe(false)
  })
})

describe('categoryOfStatus', () => {
  const cases: [number, ErrorCategory | undefined][] = [
    [200, undefined],
    [302, undefined],
    [399, undefined],
    [400, 'validation'],
    [401, 'auth'],
    [402, 'quota'],
    [403, 'auth'],
    [404, 'notFound'],
    [405, 'validation'],
    [407, 'validation'],
    [408, 'timeout'],
    [409, 'validation'],
    [413, 'validation'],
    [428, 'validation'],
    [429, 'rateLimit'],
    [430, 'validation'],
    [499, 'validation'],
    [500, 'server'],
    [502, 'server'],
    [503, 'server'],
    [599, 'server'],
    [600, undefined],
    [0, undefined],
  ]
  for (const [status, category] of cases) {
    it(`${status} → ${String(category)}`, () => expect(categoryOfStatus(status)).toBe(category))
  }
})
