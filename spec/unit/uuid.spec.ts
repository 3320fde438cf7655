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
})
