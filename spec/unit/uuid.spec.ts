import { describe, expect, it } from 'vitest'
import { randomTaskUUID } from '../../lib/protocol/protocol.js'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('randomTaskUUID', () => {
  it('gives RFC 9562 version 4 ids, all different, across many draws of the random block', () => {
    const ids = Array.from({ length: 3_000 }, randomTaskUUID)
    expect(ids.every((id) => UUID_V4.test(id))).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('uses every hex digit in the random positions (the bytes are not stuck)', () => {
    const digits = new Set(Array.from({ length: 200 }, randomTaskUUID).join('').replaceAll('-', ''))
    expect([...digits].sort().join('')).toBe('0123456789abcdef')
  })

  it('fixes only the version and variant bits: every other position takes digits on both sides of 8', () => {
    const ids = Array.from({ length: 400 }, randomTaskUUID)
    for (let at = 0; at < 36; at++) {
      if ([8, 13, 14, 18, 19, 23].includes(at)) continue
      const digits = new Set(ids.map((id) => parseInt(id[at] ?? '0', 16)))
      expect([at, [...digits].some((d) => d < 8), [...digits].some((d) => d >= 8)]).toEqual([at, true, true])
    }
    expect(new Set(ids.map((id) => id[14]))).toEqual(new Set(['4']))
    expect([...new Set(ids.map((id) => id[19]))].every((d) => '89ab'.includes(d ?? ''))).toBe(true)
  })
})
