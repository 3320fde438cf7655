import { describe, expect, it } from 'vitest'
import { parseFrame } from '../../lib/protocol/parse.js'

const U1 = '7a4e6d8f-9a3c-4b1e-8f2d-1c0b9a8e7d6f'
const item = `{"taskType":"imageInference","taskUUID":"${U1}"}`
const nested = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`

describe('parseFrame: the edges of the bounded walk', () => {
  it("an envelope's own unsafe key is dropped and named; its items still count", () => {
    const parsed = parseFrame(`{"__proto__":{"polluted":true},"data":[${item}]}`)
    expect(parsed).toEqual({
      ok: true,
      envelope: {
        data: [{ taskType: 'imageInference', taskUUID: U1 }],
        errors: [],
        legacy: false,
        issues: [{ reason: 'unsafeKey', message: 'dropped key "__proto__"' }],
      },
    })
  })

  it('a legacy error envelope is bounded like an item: too deep, it is refused and the frame has nothing left', () => {
    const text = `{"error":true,"errorId":19,"errorMessage":"bad key","x":${nested(62)}}`
    const parsed = parseFrame(text)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.error).toMatchObject({ reason: 'emptyEnvelope', message: 'an error envelope nests deeper than 64 levels of its frame' })
    const within = parseFrame(`{"error":true,"errorId":19,"errorMessage":"bad key","x":${nested(61)}}`)
    expect(within).toMatchObject({ ok: true, envelope: { legacy: true, errors: [{ code: 'invalidApiKey', message: 'bad key' }], issues: [] } })
  })

  it('an error item too deep is named as an error item, with its task', () => {
    const parsed = parseFrame(`{"data":[${item}],"errors":[{"code":"c","taskUUID":"e","x":${nested(62)}}]}`)
    expect(parsed).toMatchObject({ ok: true, envelope: { data: [{ taskUUID: U1 }], errors: [] } })
    if (parsed.ok) {
      expect(parsed.envelope.issues).toEqual([{ reason: 'tooDeep', message: 'an error item nests deeper than 64 levels of its frame', taskUUID: 'e' }])
    }
  })

  it('a singular error object too deep is refused the same way, and a non-object errors field is reported once', () => {
    const deep = parseFrame(`{"data":[${item}],"error":{"code":"c","x":${nested(62)}}}`)
    expect(deep).toMatchObject({
      ok: true,
      envelope: { errors: [], issues: [{ reason: 'tooDeep', message: 'an error item nests deeper than 64 levels of its frame' }] },
    })
    const text = parseFrame(`{"data":[${item}],"errors":"oops"}`)
    expect(text).toMatchObject({ ok: true, envelope: { data: [{ taskUUID: U1 }], issues: [{ reason: 'badEnvelopeField', message: 'errors is string oops' }] } })
    if (text.ok) expect(text.envelope.issues).toHaveLength(1)
  })

  it('a data item without taskType or taskUUID is kept with no issue, whatever else the frame holds', () => {
    const parsed = parseFrame(`{"data":[{"taskUUID":"${U1}"},{"taskType":"ping"}],"errors":[{"code":"c","message":"m"}]}`)
    expect(parsed).toEqual({
      ok: true,
      envelope: { data: [{ taskUUID: U1 }, { taskType: 'ping' }], errors: [{ code: 'c', message: 'm' }], legacy: false, issues: [] },
    })
  })

  it('null data is no issue; an error parameter that is a list with a non-name in it is dropped and named', () => {
    const parsed = parseFrame('{"data":null,"errors":[{"code":"c","message":"m","parameter":["width",5]},{"code":"d","message":"n","parameter":["a","b"]}]}')
    expect(parsed).toEqual({
      ok: true,
      envelope: {
        data: [],
        errors: [
          { code: 'c', message: 'm' },
          { code: 'd', message: 'n', parameter: ['a', 'b'] },
        ],
        legacy: false,
        issues: [{ reason: 'badField', message: 'error parameter is an array' }],
      },
    })
  })
})
