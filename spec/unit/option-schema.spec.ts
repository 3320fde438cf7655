/** The option check on its own (support/option-schema.ts): each shape, each message, the typo hint's bound. */
import { describe, expect, it } from 'vitest'
import { checkShape, type Shape } from '../../lib/support/option-schema.js'

/** The message checkShape throws, or undefined when the value fits. */
function message(value: unknown, shape: Shape, path = 'opt'): string | undefined {
  try {
    checkShape(value, shape, path)
    return undefined
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError)
    return (error as TypeError).message
  }
}

describe('leaf shapes', () => {
  it('a value of the right type passes; undefined always passes (the default)', () => {
    expect(message('x', 'string')).toBeUndefined()
    expect(message(1, 'number')).toBeUndefined()
    expect(message(false, 'boolean')).toBeUndefined()
    expect(message(() => 1, 'function')).toBeUndefined()
    for (const shape of ['string', 'number', { object: { a: 'number' } }, { record: 'string' }, { falseOr: 'number' }] as Shape[]) {
      expect(message(undefined, shape)).toBeUndefined()
    }
  })

  it('names the expected shape and what came, with the article right', () => {
    expect(message(1, 'string')).toBe('opt must be a string, got number')
    expect(message('1', 'number')).toBe('opt must be a number, got string')
    expect(message(1, 'boolean')).toBe('opt must be a boolean, got number')
    expect(message(1, 'function')).toBe('opt must be a function, got number')
    expect(message(null, 'string')).toBe('opt must be a string, got null')
    expect(message([], 'string')).toBe('opt must be a string, got an array')
    expect(message({}, 'number')).toBe('opt must be a number, got object')
  })
})

describe('false or a shape', () => {
  const shape: Shape = { falseOr: 'number' }
  it('false and the shape pass; anything else names both', () => {
    expect(message(false, shape)).toBeUndefined()
    expect(message(5, shape)).toBeUndefined()
    expect(message(true, shape)).toBe('opt must be a number, got boolean')
    expect(message('5', shape)).toBe('opt must be a number, got string')
  })
  it('describes itself as "false or …" where it is nested', () => {
    expect(message('x', { literal: 'auto', or: { falseOr: 'number' } })).toBe('opt must be "auto" or false or a number, got "x"')
  })
})

describe('one string or a shape', () => {
  const shape: Shape = { literal: 'auto', or: 'number' }
  it('the string and the shape pass', () => {
    expect(message('auto', shape)).toBeUndefined()
    expect(message(3, shape)).toBeUndefined()
  })
  it('another string is quoted, cut to 40 characters', () => {
    expect(message('manual', shape)).toBe('opt must be "auto" or a number, got "manual"')
    expect(message('y'.repeat(41), shape)).toBe(`opt must be "auto" or a number, got "${'y'.repeat(40)}"`)
  })
  it('another type is checked against the shape', () => {
    expect(message(true, shape)).toBe('opt must be a number, got boolean')
    expect(message(true, { literal: 'auto', or: { object: {} } })).toBe('opt must be an object, got boolean')
  })
})

describe('objects', () => {
  const shape: Shape = { object: { timeoutMs: 'number', nested: { object: { flag: 'boolean' } } } }

  it('refuses what is not an object: null, an array, a primitive', () => {
    expect(message(null, shape)).toBe('opt must be an object, got null')
    expect(message([1], shape)).toBe('opt must be an object, got an array')
    expect(message(7, shape)).toBe('opt must be an object, got number')
  })

  it('checks each known key at its path, nested, from the root with no leading dot', () => {
    expect(message({ timeoutMs: 'x' }, shape)).toBe('opt.timeoutMs must be a number, got string')
    expect(message({ nested: { flag: 1 } }, shape)).toBe('opt.nested.flag must be a boolean, got number')
    expect(message({ timeoutMs: 'x' }, shape, '')).toBe('timeoutMs must be a number, got string')
    expect(message({ timeoutMs: 1, nested: { flag: true } }, shape)).toBeUndefined()
  })

  it('an unknown key is named with its path', () => {
    expect(message({ zzzzzzzz: 1 }, shape)).toBe('unknown option opt.zzzzzzzz')
    expect(message({ zzzzzzzz: 1 }, shape, '')).toBe('unknown option zzzzzzzz')
    expect(message({ nested: { other: 1 } }, shape)).toBe('unknown option opt.nested.other')
  })

  it('an unknown key is found before a known key of the wrong type', () => {
    expect(message({ timeoutMs: 'x', zzzzzzzz: 1 }, shape)).toBe('unknown option opt.zzzzzzzz')
  })

  it('an object with no prototype is a plain object: its keys are checked', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { zzzzzzzz: 1 })
    expect(message(bare, shape)).toBe('unknown option opt.zzzzzzzz')
  })

  it('a class instance (a logger, a clock) is checked for what is asked only, its own keys allowed', () => {
    class Logger {
      extra = 1
      timeoutMs = 5
    }
    expect(message(new Logger(), shape)).toBeUndefined()
    class Wrong {
      extra = 1
      timeoutMs = 'slow'
    }
    expect(message(new Wrong(), shape)).toBe('opt.timeoutMs must be a number, got string')
  })

  it('methods on a prototype count as present', () => {
    class Clock {
      now(): number {
        return 0
      }
    }
    const required: Shape = { object: { now: 'function' }, required: ['now'] }
    expect(message(new Clock(), required)).toBeUndefined()
    expect(message({}, required)).toBe('opt.now is required')
  })

  it('an open object takes keys of the caller’s own, and still checks its own', () => {
    const open: Shape = { object: { id: 'string' }, open: true }
    expect(message({ id: 'a', mine: 1 }, open)).toBeUndefined()
    expect(message({ id: 1, mine: 1 }, open)).toBe('opt.id must be a string, got number')
  })

  it('required keys must be there; present ones pass', () => {
    const required: Shape = { object: { a: 'number', b: 'number' }, required: ['a', 'b'] }
    expect(message({ a: 1 }, required)).toBe('opt.b is required')
    expect(message({ b: 1 }, required)).toBe('opt.a is required')
    expect(message({ a: 1, b: 2 }, required)).toBeUndefined()
  })

  for (const key of ['__proto__', 'constructor', 'prototype']) {
    it(`the key ${key} is refused, at the root and nested`, () => {
      const value = JSON.parse(`{"${key}": 1}`) as unknown
      expect(message(value, { object: { [key]: 'number' } })).toBe(`opt.${key} is not an option`)
      expect(message(value, { object: { [key]: 'number' } }, '')).toBe(`${key} is not an option`)
    })
  }
})

describe('records', () => {
  const shape: Shape = { record: 'number' }
  it('any key, each value of the shape, at its path', () => {
    expect(message({ a: 1, b: 2 }, shape)).toBeUndefined()
    expect(message({ a: 1, b: 'x' }, shape)).toBe('opt.b must be a number, got string')
  })
  it('refuses a class instance and what is not an object', () => {
    class Codes {
      a = 1
    }
    expect(message(new Codes(), shape)).toBe('opt must be a plain object, got object')
    expect(message([1], shape)).toBe('opt must be an object, got an array')
    expect(message(null, shape)).toBe('opt must be an object, got null')
  })
  it('refuses a prototype-polluting key before looking at values', () => {
    expect(message(JSON.parse('{"__proto__": "x"}'), shape)).toBe('opt.__proto__ is not an option')
    expect(message(JSON.parse('{"constructor": 1}'), shape)).toBe('opt.constructor is not an option')
    expect(message(JSON.parse('{"prototype": 1}'), shape, '')).toBe('prototype is not an option')
  })
  it('an object with no prototype is a plain object', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 })
    expect(message(bare, shape)).toBeUndefined()
  })
})

describe('the typo hint', () => {
  const hint = (key: string, known: readonly string[]): string | undefined => {
    const text = message({ [key]: 1 }, { object: Object.fromEntries(known.map((k) => [k, 'number'])) }, '')
    const match = text === undefined ? null : /\(did you mean "(.*)"\?\)$/.exec(text)
    return match?.[1]
  }

  it('names the nearest key, ignoring case', () => {
    expect(hint('TIMEOUTMS', ['timeoutMs', 'retry'])).toBe('timeoutMs')
    expect(hint('retyr', ['timeoutMs', 'reply', 'retry'])).toBe('retry')
    // Both within the bound (4 for 12 characters): 3 edits and 1 edit away.
    expect(hint('abcdefghijkl', ['abcdefghiXYZ', 'abcdefghijkQ'])).toBe('abcdefghijkQ')
    expect(hint('abcdefghijkl', ['abcdefghijkQ', 'abcdefghiXYZ'])).toBe('abcdefghijkQ')
  })

  it('on a tie, the first known key', () => {
    expect(hint('ab', ['aa', 'bb'])).toBe('aa')
    expect(hint('ab', ['bb', 'aa'])).toBe('bb')
  })

  it('counts insertions, deletions and substitutions (edit distance)', () => {
    // Each pair is 2 edits apart: within the bound for a short key, so named.
    expect(hint('abcd', ['ab'])).toBe('ab')
    expect(hint('ab', ['abcd'])).toBe('abcd')
    expect(hint('xbcy', ['abcd'])).toBe('abcd')
    expect(hint('bacd', ['abcd'])).toBe('abcd')
    // 3 edits: beyond a short key's bound of 2.
    expect(hint('xycz', ['abcd'])).toBeUndefined()
    expect(hint('abcdefg', ['abcd'])).toBeUndefined()
    expect(hint('a', ['abcd'])).toBeUndefined()
  })

  it('the bound grows with the known key: a third of its length, at least 2', () => {
    // 'abcdefghijkl' has 12 characters: up to 4 edits are named, 5 are not.
    expect(hint('abcdefghWXYZ', ['abcdefghijkl'])).toBe('abcdefghijkl')
    expect(hint('abcdefgVWXYZ', ['abcdefghijkl'])).toBeUndefined()
    // 8 characters: a third is 2 (floored), so 2 edits are named and 3 are not.
    expect(hint('abcdefYZ', ['abcdefgh'])).toBe('abcdefgh')
    expect(hint('abcdeXYZ', ['abcdefgh'])).toBeUndefined()
    // 9 characters: a third is 3.
    expect(hint('abcdefXYZ', ['abcdefghi'])).toBe('abcdefghi')
    expect(hint('abcdeWXYZ', ['abcdefghi'])).toBeUndefined()
  })

  it('the message ends with the hint, or with the key when none is near', () => {
    expect(message({ retyr: 1 }, { object: { retry: 'number' } }, 'o')).toBe('unknown option o.retyr (did you mean "retry"?)')
    expect(message({ zzzzz: 1 }, { object: { retry: 'number' } }, 'o')).toBe('unknown option o.zzzzz')
    expect(message({ zzzzz: 1 }, { object: {} }, 'o')).toBe('unknown option o.zzzzz')
  })
})
