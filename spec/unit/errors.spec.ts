/** The error helpers on their own (support/errors.ts): thrown values as text, stackless errors, the scrubber, serverError. */
import { describe, expect, it } from 'vitest'
import { defaultPolicy } from '../../lib/recovery/policy.js'
import {
  describeThrown,
  libraryError,
  MIN_API_KEY_LENGTH,
  REDACTED,
  Scrubber,
  serverError,
  shortKeyMessage,
  stackless,
  taskError,
} from '../../lib/support/errors.js'

const KEY = 'k3y-0123456789abcdef-0123456789ab'

describe('describeThrown', () => {
  it('an Error gives its message alone', () => {
    expect(describeThrown(new Error('boom'))).toBe('boom')
    expect(describeThrown(new TypeError(''))).toBe('')
  })
  it('anything else gives its string form', () => {
    expect(describeThrown(42)).toBe('42')
    expect(describeThrown('text')).toBe('text')
    expect(describeThrown(undefined)).toBe('undefined')
    expect(describeThrown(Symbol('s'))).toBe('Symbol(s)')
    expect(describeThrown({ toString: () => 'custom' })).toBe('custom')
  })
  it('an Error whose message is not a string, or whose message getter throws, is taken whole', () => {
    const odd = new Error('x')
    Object.defineProperty(odd, 'message', { value: 7 })
    odd.toString = () => 'odd error'
    expect(describeThrown(odd)).toBe('odd error')
    const throwing = new Error('x')
    Object.defineProperty(throwing, 'message', {
      get() {
        throw new Error('getter')
      },
    })
    throwing.toString = () => 'whole'
    expect(describeThrown(throwing)).toBe('whole')
  })
  it('a value that cannot become text is named by its type', () => {
    const hostile = {
      toString() {
        throw new Error('no')
      },
    }
    expect(describeThrown(hostile)).toBe('a thrown object that cannot be turned into text')
    expect(describeThrown(Object.create(null))).toBe('a thrown object that cannot be turned into text')
  })
})

describe('stackless', () => {
  it('makes errors without frames and restores the limit, also when making throws', () => {
    const limit = Error.stackTraceLimit
    const error = stackless(() => new Error('quiet'))
    expect(error.stack?.split('\n')).toEqual(['Error: quiet'])
    expect(Error.stackTraceLimit).toBe(limit)
    expect(() =>
      stackless(() => {
        throw new Error('inside')
      }),
    ).toThrow('inside')
    expect(Error.stackTraceLimit).toBe(limit)
  })
  it('taskError has no frames; libraryError keeps them (it points at the caller)', () => {
    expect(taskError('aborted', 'a').stack?.split('\n')).toHaveLength(1)
    expect(libraryError('invalidTask', 'b').stack?.split('\n').length).toBeGreaterThan(1)
  })
})

describe('shortKeyMessage', () => {
  it('says how long the key is, how long it should be, and why', () => {
    expect(shortKeyMessage('apiKey', 3)).toBe(
      `apiKey is 3 characters long: a Runware API key has 32, and one shorter than ${MIN_API_KEY_LENGTH} cannot ` +
        'be kept out of what the client reports (it would match ordinary text)',
    )
  })
})

describe('Scrubber', () => {
  const scrubber = new Scrubber(KEY)

  it('takes every occurrence of the key out of text, and leaves other text alone', () => {
    expect(scrubber.text(`a ${KEY} b ${KEY}`)).toBe(`a ${REDACTED} b ${REDACTED}`)
    expect(scrubber.text('nothing here')).toBe('nothing here')
  })

  it('an empty secret takes nothing out', () => {
    expect(new Scrubber('').text('taskType')).toBe('taskType')
    expect(new Scrubber('').value({ a: 'b' })).toEqual({ a: 'b' })
  })

  it('walks objects and arrays, keys included, into an ordinary copy', () => {
    const copy = scrubber.value({ [KEY]: [KEY, 1, null, { deep: KEY }], n: 5 }) as Record<string, unknown>
    expect(copy).toEqual({ [REDACTED]: [REDACTED, 1, null, { deep: REDACTED }], n: 5 })
    const descriptor = Object.getOwnPropertyDescriptor(copy, 'n')
    expect(descriptor).toEqual({ value: 5, enumerable: true, writable: true, configurable: true })
    expect(JSON.stringify(copy)).toContain(REDACTED)
  })

  it('a key named __proto__ stays a plain field of the copy', () => {
    const copy = scrubber.value(JSON.parse('{"__proto__": {"x": 1}}')) as Record<string, unknown>
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.keys(copy)).toEqual(['__proto__'])
  })

  it('stops 64 levels deep: what lies deeper becomes "[too deep]"', () => {
    const nest = (levels: number, wrap: (inner: unknown) => unknown): unknown => {
      let value: unknown = 'leaf'
      for (let i = 0; i < levels; i++) value = wrap(value)
      return value
    }
    const depthOf = (value: unknown, step: (outer: unknown) => unknown): [number, unknown] => {
      let depth = 0
      let at = value
      while (typeof at === 'object' && at !== null) {
        at = step(at)
        depth += 1
      }
      return [depth, at]
    }
    const objects = (inner: unknown): unknown => ({ a: inner })
    const inObject = (outer: unknown): unknown => (outer as { a: unknown }).a
    expect(depthOf(scrubber.value(nest(64, objects)), inObject)).toEqual([64, 'leaf'])
    expect(depthOf(scrubber.value(nest(65, objects)), inObject)).toEqual([64, '[too deep]'])
    const arrays = (inner: unknown): unknown => [inner]
    const inArray = (outer: unknown): unknown => (outer as unknown[])[0]
    expect(depthOf(scrubber.value(nest(64, arrays)), inArray)).toEqual([64, 'leaf'])
    expect(depthOf(scrubber.value(nest(65, arrays)), inArray)).toEqual([64, '[too deep]'])
  })

  it('fields: undefined stays undefined; values are scrubbed', () => {
    expect(scrubber.fields(undefined)).toBeUndefined()
    expect(scrubber.fields({ url: `wss://x?key=${KEY}`, n: 1 })).toEqual({ url: `wss://x?key=${REDACTED}`, n: 1 })
  })
})

describe('serverError', () => {
  const scrubber = new Scrubber(KEY)
  const item = { code: `bad${KEY}`, message: `echo ${KEY}`, taskUUID: 'wire-id', taskType: 'imageInference', parameter: KEY }
  const classification = defaultPolicy.classify({ code: 'invalidPositivePrompt' })

  it('scrubs the code, the message, the raw object; keeps the wire id and type when no scope is given', () => {
    const error = serverError(item, classification, scrubber)
    expect(error.code).toBe(`bad${REDACTED}`)
    expect(error.message).toBe(`echo ${REDACTED}`)
    expect(error.parameter).toBe(REDACTED)
    expect(error.taskUUID).toBe('wire-id')
    expect(error.taskType).toBe('imageInference')
    expect(JSON.stringify(error.raw)).not.toContain(KEY)
    expect(item.code).toBe(`bad${KEY}`)
  })

  it('the scope names the caller’s id and type instead', () => {
    const error = serverError(item, classification, scrubber, { taskUUID: 'caller-id', taskType: 'upscale' })
    expect(error.taskUUID).toBe('caller-id')
    expect(error.taskType).toBe('upscale')
  })
})
