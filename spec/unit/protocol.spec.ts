import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  PING_FRAME,
  authFrame,
  encodeTask,
  encodeFrame,
  encodeTasks,
  isUUID,
  joinEncoded,
  rewire,
  type Envelope,
  type FrameError,
  type FrameIssue,
  type Task,
} from '../../lib/protocol/protocol.js'
import { normaliseErrorItem, parseFrame } from '../../lib/protocol/parse.js'
import { INVALID_WIDTH } from '../fixtures/wire.js'

const U1 = '7a4e6d8f-9a3c-4b1e-8f2d-1c0b9a8e7d6f'
const U2 = '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f'

function ok(text: string): Envelope {
  const parsed = parseFrame(text)
  if (!parsed.ok) throw new Error(`expected an envelope, got ${parsed.error.reason}: ${parsed.error.message}`)
  return parsed.envelope
}

function fails(text: string): FrameError {
  const parsed = parseFrame(text)
  if (parsed.ok) throw new Error(`expected a frame error, got ${JSON.stringify(parsed.envelope)}`)
  return parsed.error
}

function reasons(issues: readonly FrameIssue[]): string[] {
  return issues.map((issue) => issue.reason)
}

describe('parseFrame: envelopes', () => {
  it('reads a data frame', () => {
    const item = { taskType: 'imageInference', taskUUID: U1, imageUUID: 'img-1', imageURL: 'https://x/1.png', seed: 7, cost: 0.0013 }
    expect(ok(JSON.stringify({ data: [item] }))).toEqual({ data: [item], errors: [], issues: [], legacy: false })
  })

  it('reads one frame carrying items of several tasks, in order', () => {
    const items = [
      { taskType: 'imageInference', taskUUID: U1, imageUUID: 'a' },
      { taskType: 'promptEnhance', taskUUID: U2, text: 'x' },
      { taskType: 'imageInference', taskUUID: U1, imageUUID: 'b' },
    ]
    expect(ok(JSON.stringify({ data: items })).data).toEqual(items)
  })

  it('reads auth replies and pongs (no taskUUID)', () => {
    expect(ok('{"data":[{"taskType":"authentication","connectionSessionUUID":"s"}]}').data).toEqual([
      { taskType: 'authentication', connectionSessionUUID: 's' },
    ])
    expect(ok('{"data":[{"taskType":"ping","pong":true}]}').data).toEqual([{ taskType: 'ping', pong: true }])
  })

  it('reads an errors frame, keeping every field of the error object', () => {
    const error = { ...INVALID_WIDTH, taskUUID: U1 }
    expect(ok(JSON.stringify({ errors: [error] }))).toEqual({ data: [], errors: [error], issues: [], legacy: false })
  })

  it('reads `data: []` beside errors', () => {
    const env = ok(`{"data":[],"errors":[{"code":"invalidApiKey","message":"bad key","parameter":"apiKey","taskType":"authentication"}]}`)
    expect(env.data).toEqual([])
    expect(env.errors).toEqual([{ code: 'invalidApiKey', message: 'bad key', parameter: 'apiKey', taskType: 'authentication' }])
    expect(env.issues).toEqual([])
  })

  it('reads a singular `error` object', () => {
    const env = ok(`{"error":{"code":"timeoutProvider","message":"slow","taskUUID":"${U1}"}}`)
    expect(env.errors).toEqual([{ code: 'timeoutProvider', message: 'slow', taskUUID: U1 }])
    expect(env.legacy).toBe(false)
  })

  it('reads a singular `error` array', () => {
    const env = ok(`{"error":[{"code":"a","message":"m1"},{"code":"b","message":"m2"}]}`)
    expect(env.errors).toEqual([
      { code: 'a', message: 'm1' },
      { code: 'b', message: 'm2' },
    ])
  })

  it('reads both `errors` and `error` when a frame has both', () => {
    const env = ok('{"errors":[{"code":"a","message":"m"}],"error":{"code":"b","message":"n"}}')
    expect(env.errors.map((e) => e.code)).toEqual(['a', 'b'])
  })

  it('reads data and errors in the same frame', () => {
    const env = ok(
      `{"data":[{"taskType":"imageInference","taskUUID":"${U1}","imageUUID":"i"}],"errors":[{"code":"providerError","message":"m","taskUUID":"${U2}"}]}`,
    )
    expect(env.data).toHaveLength(1)
    expect(env.errors).toEqual([{ code: 'providerError', message: 'm', taskUUID: U2 }])
  })

  it('reads `data` given as a single object (the imageUpload doc shape)', () => {
    const env = ok(`{"data":{"taskType":"imageUpload","taskUUID":"${U1}","imageUUID":"i"}}`)
    expect(env.data).toEqual([{ taskType: 'imageUpload', taskUUID: U1, imageUUID: 'i' }])
  })

  it('accepts an array-wrapped envelope and merges its parts', () => {
    const env = ok(`[{"data":[{"taskType":"x","taskUUID":"${U1}"}]},{"errors":[{"code":"c","message":"m"}]}]`)
    expect(env.data).toEqual([{ taskType: 'x', taskUUID: U1 }])
    expect(env.errors).toEqual([{ code: 'c', message: 'm' }])
  })

  it('`{"data":[]}` is a real (empty getResponse) answer, not a malformed frame', () => {
    expect(ok('{"data":[]}')).toEqual({ data: [], errors: [], issues: [], legacy: false })
  })

  it('parses a 500-item frame fully, in order', () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ taskType: 'imageInference', taskUUID: U1, imageUUID: `img-${i}`, seed: i }))
    const env = ok(JSON.stringify({ data: items }))
    expect(env.data).toHaveLength(500)
    expect(env.data).toEqual(items)
    expect(env.issues).toEqual([])
  })
})

describe('parseFrame: error items', () => {
  it('keeps `parameter` as a string', () => {
    expect(ok('{"errors":[{"code":"c","message":"m","parameter":"width"}]}').errors[0]!.parameter).toBe('width')
  })

  it('keeps `parameter` as an array of names (cross-field violations)', () => {
    const env = ok('{"errors":[{"code":"invalidParameter","message":"m","parameter":["width","height"],"allowedValues":[1,2]}]}')
    expect(env.errors).toEqual([{ code: 'invalidParameter', message: 'm', parameter: ['width', 'height'], allowedValues: [1, 2] }])
    expect(env.issues).toEqual([])
  })

  it.each([
    ['a number', '5'],
    ['an object', '{"a":1}'],
    ['an array holding a non-string', '["width",3]'],
    ['a boolean', 'true'],
  ])('drops a `parameter` that is %s, with an issue, and keeps the error', (_name, json) => {
    const env = ok(`{"errors":[{"code":"invalidWidth","message":"m","parameter":${json},"taskUUID":"${U1}"}]}`)
    expect(env.errors).toEqual([{ code: 'invalidWidth', message: 'm', taskUUID: U1 }])
    expect(Object.hasOwn(env.errors[0]!, 'parameter')).toBe(false)
    expect(reasons(env.issues)).toEqual(['badField'])
  })

  function expectProtocolError(json: string, message: string): void {
    const env = ok(`{"errors":[${json}]}`)
    expect(env.errors).toHaveLength(1)
    expect(env.errors[0]!.code).toBe('protocolError')
    expect(env.errors[0]!.message).toBe(message)
    expect(reasons(env.issues)).toEqual(['badField'])
  }

  it.each([
    ['empty', '{"code":"","message":"m"}', 'm'],
    ['a number', '{"code":42,"message":"m"}', 'm'],
    ['null', '{"code":null,"message":"m"}', 'm'],
    ['an object', '{"code":{"id":1}}', 'protocolError'],
  ])('an error item whose code is %s gets code protocolError', (_name, json, message) => {
    expectProtocolError(json, message)
  })

  it('an error item without a code gets code protocolError (parseFrame must not throw)', () => {
    expectProtocolError('{"message":"m"}', 'm')
  })

  it('an empty error object gets code protocolError and message protocolError', () => {
    expectProtocolError('{}', 'protocolError')
  })

  it('a singular error object without a code gets code protocolError', () => {
    expect(parseFrame('{"error":{"message":"boom"}}')).toMatchObject({ ok: true, envelope: { errors: [{ code: 'protocolError', message: 'boom' }] } })
  })

  it('a non-string message becomes the code', () => {
    expect(ok('{"errors":[{"code":"c","message":{"text":"m"}}]}').errors[0]!.message).toBe('c')
  })

  it('drops a non-string taskUUID, taskType or documentation, with an issue each', () => {
    const env = ok('{"errors":[{"code":"c","message":"m","taskUUID":5,"taskType":["x"],"documentation":null}]}')
    expect(env.errors).toEqual([{ code: 'c', message: 'm' }])
    expect(reasons(env.issues)).toEqual(['badField', 'badField', 'badField'])
  })

  it('normaliseErrorItem refuses a non-object and never mutates its input', () => {
    const issues: FrameIssue[] = []
    expect(normaliseErrorItem('x', issues)).toBeUndefined()
    expect(reasons(issues)).toEqual(['itemNotObject'])
    const input = { code: 'c', message: 'm', parameter: 7 }
    expect(normaliseErrorItem(input, [])).toEqual({ code: 'c', message: 'm' })
    expect(input).toEqual({ code: 'c', message: 'm', parameter: 7 })
  })
})

describe('parseFrame: legacy shape', () => {
  it('{error:true, errorId:19} → invalidApiKey, legacy true', () => {
    const env = ok('{"error":true,"errorMessageContentId":1212,"errorId":19,"errorMessage":"Invalid api key"}')
    expect(env.legacy).toBe(true)
    expect(env.errors).toHaveLength(1)
    expect(env.errors[0]).toMatchObject({
      code: 'invalidApiKey',
      message: 'Invalid api key',
      taskType: 'authentication',
      errorId: 19,
      errorMessageContentId: 1212,
    })
    expect(env.errors[0]!.taskUUID).toBeUndefined()
  })

  it.each([
    ['another errorId', '{"error":true,"errorId":7,"errorMessage":"nope"}', 'nope'],
    ['errorId "19" as a string', '{"error":true,"errorId":"19","errorMessage":"nope"}', 'nope'],
    ['no errorId and no message', '{"error":true}', 'authentication failed'],
  ])('%s → legacyError, legacy true', (_name, text, message) => {
    const env = ok(text)
    expect(env.legacy).toBe(true)
    expect(env.errors.map((e) => [e.code, e.message, e.taskType])).toEqual([['legacyError', message, 'authentication']])
  })

  it('error: false is not the legacy shape', () => {
    const env = ok(`{"error":false,"data":[{"taskType":"x","taskUUID":"${U1}"}]}`)
    expect(env.legacy).toBe(false)
    expect(env.errors).toEqual([])
  })
})

describe('parseFrame: unusable frames', () => {
  it.each(['not json', '', '{"data":', "{'data':[]}", '{"data":[]}}'])('%j → notJson', (text) => {
    const error = fails(text)
    expect(error.reason).toBe('notJson')
    expect(error.excerpt).toBe(text)
  })

  it.each(['5', '"x"', 'null', '[1,2]', 'true', '[]', '[{"data":[]},5]'])('%s → notObject', (text) => {
    const error = fails(text)
    expect(error.reason).toBe('notObject')
    expect(error.excerpt).toBe(text)
  })

  it.each(['{}', '{"foo":1}', '{"errors":[]}', '{"data":null}'])('%s → emptyEnvelope', (text) => {
    expect(fails(text).reason).toBe('emptyEnvelope')
  })

  it('a frame whose every item is malformed is an emptyEnvelope naming the problems', () => {
    const error = fails('{"data":[1,"x"]}')
    expect(error.reason).toBe('emptyEnvelope')
    expect(error.message).toContain('data item is number 1, not an object')
    expect(error.message).toContain('not an object')
  })

  it('a non-object `data` or `errors` field is an issue', () => {
    const env = ok(`{"data":"oops","errors":[{"code":"c","message":"m"}]}`)
    expect(reasons(env.issues)).toEqual(['badEnvelopeField'])
    expect(env.errors).toHaveLength(1)
    const env2 = ok(`{"data":[{"taskType":"x","taskUUID":"${U1}"}],"errors":"boom"}`)
    expect(reasons(env2.issues)).toEqual(['badEnvelopeField'])
    expect(env2.data).toHaveLength(1)
  })

  it('cuts long excerpts to 120 characters plus an ellipsis', () => {
    const text = `not json ${'x'.repeat(500)}`
    const error = fails(text)
    expect(error.excerpt).toBe(`${text.slice(0, 120)}…`)
  })

  function neverThrows(texts: fc.Arbitrary<string>): void {
    fc.assert(
      fc.property(texts, (text) => {
        const parsed = parseFrame(text)
        expect(typeof parsed.ok).toBe('boolean')
      }),
      { numRuns: 1_000 },
    )
  }

  it('never throws for arbitrary text or JSON, nor for envelopes whose error items carry a code', () => {
    const errorItem = fc.record({ code: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }, { requiredKeys: ['code'] })
    const withCode = fc.tuple(
      fc.jsonValue(),
      fc.array(
        fc.oneof(
          errorItem,
          fc.jsonValue().filter((v) => typeof v !== 'object' || v === null),
        ),
      ),
    )
    neverThrows(
      fc.oneof(
        fc.string(),
        fc.json(),
        withCode.map(([data, errors]) => JSON.stringify({ data, errors })),
      ),
    )
  })

  it('never throws, whatever the envelope holds', () => {
    neverThrows(fc.jsonValue().map((v) => JSON.stringify({ data: v, errors: v })))
  })
})

describe('parseFrame: malformed items are skipped, the rest survives', () => {
  it('skips data items that are not objects, with an issue each', () => {
    const good1 = { taskType: 'imageInference', taskUUID: U1, imageUUID: 'a' }
    const good2 = { taskType: 'imageInference', taskUUID: U1, imageUUID: 'b' }
    const env = ok(JSON.stringify({ data: [1, good1, null, 'str', [good2], good2, true] }))
    expect(env.data).toEqual([good1, good2])
    expect(reasons(env.issues)).toEqual(['itemNotObject', 'itemNotObject', 'itemNotObject', 'itemNotObject', 'itemNotObject'])
  })

  it('skips error items that are not objects', () => {
    const env = ok('{"errors":[5,{"code":"c","message":"m"},null]}')
    expect(env.errors).toEqual([{ code: 'c', message: 'm' }])
    expect(reasons(env.issues)).toEqual(['itemNotObject', 'itemNotObject'])
  })

  it.each([
    ['a number', '12345'],
    ['null', 'null'],
    ['an object', '{"id":"x"}'],
    ['an array', `["${U1}"]`],
  ])('skips a data item whose taskUUID is %s', (_name, json) => {
    const env = ok(
      `{"data":[{"taskType":"imageInference","taskUUID":${json},"imageUUID":"bad"},{"taskType":"imageInference","taskUUID":"${U1}","imageUUID":"good"}]}`,
    )
    expect(env.data).toEqual([{ taskType: 'imageInference', taskUUID: U1, imageUUID: 'good' }])
    expect(reasons(env.issues)).toEqual(['badField'])
  })

  it('skips a data item whose taskType is not a string', () => {
    const env = ok(`{"data":[{"taskType":7,"taskUUID":"${U1}"},{"taskType":"x","taskUUID":"${U1}"}]}`)
    expect(env.data).toEqual([{ taskType: 'x', taskUUID: U1 }])
    expect(reasons(env.issues)).toEqual(['badField'])
  })
})

describe('parseFrame: unsafe keys', () => {
  function assertNotPolluted(): void {
    const probe: Record<string, unknown> = {}
    expect(probe.polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
    expect(Object.prototype).not.toHaveProperty('x')
  }

  it.each(['__proto__', 'constructor', 'prototype'])('drops %s on a data item', (key) => {
    const env = ok(`{"data":[{"taskType":"x","taskUUID":"${U1}","${key}":{"polluted":true},"seed":1}]}`)
    expect(env.data).toHaveLength(1)
    const item = env.data[0]!
    expect(Object.hasOwn(item, key)).toBe(false)
    expect(Object.keys(item)).toEqual(['taskType', 'taskUUID', 'seed'])
    expect(Object.getPrototypeOf(item)).toBe(Object.prototype)
    expect(reasons(env.issues)).toEqual(['unsafeKey'])
    assertNotPolluted()
    // Merging the parsed item must not reach the prototype either.
    const merged = Object.assign({}, item) as Record<string, unknown>
    expect(merged.polluted).toBeUndefined()
    assertNotPolluted()
  })

  it('drops unsafe keys at any depth and at the top level', () => {
    const text =
      `{"__proto__":{"polluted":true},"data":[{"taskType":"x","taskUUID":"${U1}","meta":{"deep":[{"constructor":{"prototype":{"x":1}}, ` +
      `"keep":1}]}}],"errors":[{"code":"c","message":"m","prototype":1}]}`
    const env = ok(text)
    expect(env.data).toEqual([{ taskType: 'x', taskUUID: U1, meta: { deep: [{ keep: 1 }] } }])
    expect(env.errors).toEqual([{ code: 'c', message: 'm' }])
    expect(reasons(env.issues).every((r) => r === 'unsafeKey')).toBe(true)
    expect(env.issues.length).toBeGreaterThanOrEqual(4)
    assertNotPolluted()
  })

  it('drops unsafe keys spelled with \\u escapes', () => {
    const spelled = '\\u005f\\u005fproto\\u005f\\u005f'
    const ctor = 'c\\u006fnstructor'
    const text = `{"data":[{"taskType":"x","taskUUID":"${U1}","${spelled}":{"polluted":true},"${ctor}":{"prototype":{"x":1}},"n":1}]}`
    expect(text).not.toContain('__proto__')
    expect(text).not.toContain('constructor')
    const env = ok(text)
    expect(env.data).toEqual([{ taskType: 'x', taskUUID: U1, n: 1 }])
    expect(reasons(env.issues)).toContain('unsafeKey')
    assertNotPolluted()
  })

  it('drops an escaped __proto__ in the legacy shape too', () => {
    const env = ok('{"error":true,"errorId":19,"\\u005f_proto__":{"polluted":true}}')
    expect(env.errors[0]!.code).toBe('invalidApiKey')
    expect(Object.hasOwn(env.errors[0]!, '__proto__')).toBe(false)
    assertNotPolluted()
  })

  it('keeps harmless keys and values that merely contain those words', () => {
    const env = ok(`{"data":[{"taskType":"x","taskUUID":"${U1}","constructorName":"a","text":"__proto__ constructor prototype","proto":1}]}`)
    expect(env.data).toEqual([{ taskType: 'x', taskUUID: U1, constructorName: 'a', text: '__proto__ constructor prototype', proto: 1 }])
    expect(env.issues).toEqual([])
  })

  it('decodes ordinary \\u escapes in values', () => {
    const env = ok(`{"data":[{"taskType":"caption","taskUUID":"${U1}","text":"caf\\u00e9 \\ud83d\\ude00"}]}`)
    expect(env.data[0]!.text).toBe('café 😀')
  })
})

describe('encodeTasks / encodeTask / joinEncoded', () => {
  it('joinEncoded(tasks.map(encodeTask)) equals encodeTasks(tasks) and round-trips', () => {
    const task = fc
      .record({
        taskType: fc.string({ minLength: 1 }),
        taskUUID: fc.uuid(),
        fields: fc.dictionary(
          fc.string().filter((k) => k !== 'taskType' && k !== 'taskUUID' && k !== '__proto__'),
          fc.jsonValue(),
          { maxKeys: 5 },
        ),
      })
      .map(({ taskType, taskUUID, fields }): Task => ({ ...fields, taskType, taskUUID }))
    fc.assert(
      fc.property(fc.array(task, { maxLength: 8 }), (tasks) => {
        const joined = joinEncoded(tasks.map(encodeTask))
        expect(joined).toBe(encodeTasks(tasks))
        expect(JSON.parse(joined)).toEqual(JSON.parse(JSON.stringify(tasks)))
      }),
      { numRuns: 300 },
    )
  })

  it('encodeFrame of snapshots and encoded texts in any mix equals one stringify of the tasks', () => {
    const flat = fc.dictionary(
      fc.string().filter((k) => k !== '__proto__'),
      fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null)),
      { maxKeys: 5 },
    )
    const task = fc.record({
      fields: fc.oneof(
        flat,
        fc.dictionary(
          fc.string().filter((k) => k !== '__proto__'),
          fc.jsonValue(),
          { maxKeys: 5 },
        ),
      ),
      asText: fc.boolean(),
    })
    fc.assert(
      fc.property(fc.array(task, { maxLength: 8 }), (tasks) => {
        const wires = tasks.map(({ fields, asText }) => (asText ? encodeTask(fields as Task) : fields))
        expect(encodeFrame(wires)).toBe(JSON.stringify(tasks.map((t) => t.fields)))
      }),
      { numRuns: 300 },
    )
  })

  it('rewire gives a snapshot or a text a new id and count, leaving the original alone', () => {
    const snapshot = { taskUUID: U1, taskType: 'imageInference', numberResults: 4 }
    const again = rewire(snapshot, U2, { field: 'numberResults', value: 1 })
    expect(again).toEqual({ taskUUID: U2, taskType: 'imageInference', numberResults: 1 })
    expect(snapshot.taskUUID).toBe(U1)
    expect(rewire(snapshot, U2)).toEqual({ ...snapshot, taskUUID: U2 })
    const text = encodeTask({ taskUUID: U1, taskType: 'imageInference', inputs: { image: 'x' }, numberResults: 4 })
    expect(JSON.parse(rewire(text, U2, { field: 'numberResults', value: 2 }) as string)).toEqual({
      taskUUID: U2,
      taskType: 'imageInference',
      inputs: { image: 'x' },
      numberResults: 2,
    })
  })

  it('encodes exact frames', () => {
    const tasks: Task[] = [
      { taskType: 'imageInference', taskUUID: U1, positivePrompt: 'a "cat"', numberResults: 2 },
      { taskType: 'promptEnhance', taskUUID: U2, prompt: 'p', promptVersions: 3 },
    ]
    const expected =
      `[{"taskType":"imageInference","taskUUID":"${U1}","positivePrompt":"a \\"cat\\"","numberResults":2},` +
      `{"taskType":"promptEnhance","taskUUID":"${U2}","prompt":"p","promptVersions":3}]`
    expect(encodeTasks(tasks)).toBe(expected)
    expect(joinEncoded(tasks.map(encodeTask))).toBe(expected)
    expect(joinEncoded([])).toBe('[]')
    expect(encodeTasks([])).toBe('[]')
  })

  it('encodeTask throws a TypeError for a BigInt', () => {
    expect(() => encodeTask({ taskType: 'imageInference', seed: 10n })).toThrow(TypeError)
  })

  it('encodeTask throws a TypeError for a cycle', () => {
    const task: Task = { taskType: 'imageInference', nested: {} }
    ;(task.nested as Record<string, unknown>).self = task
    expect(() => encodeTask(task)).toThrow(TypeError)
  })

  it('PING_FRAME is the documented ping', () => {
    expect(JSON.parse(PING_FRAME)).toEqual([{ taskType: 'ping', ping: true }])
  })
})

describe('isUUID', () => {
  it.each([U1, U2, U1.toUpperCase(), '00000000-0000-0000-0000-000000000000', crypto.randomUUID()])('accepts %s', (value) => {
    expect(isUUID(value)).toBe(true)
  })

  it.each(['', 'task-1', U1.replaceAll('-', ''), `{${U1}}`, ` ${U1}`, `${U1} `, `${U1}\n`, `${U1}0`, U1.slice(1), U1.replace('7', 'g'), `urn:uuid:${U1}`])(
    'rejects the string %j',
    (value) => {
      expect(isUUID(value)).toBe(false)
    },
  )

  it.each([undefined, null, 12, {}, [U1], new String(U1)])('rejects the non-string %s', (value) => {
    expect(isUUID(value)).toBe(false)
  })

  it('accepts every UUID fast-check generates', () => {
    fc.assert(
      fc.property(fc.uuid(), (value) => {
        expect(isUUID(value)).toBe(true)
      }),
    )
  })
})

describe('authFrame', () => {
  it('never includes a session when none is given', () => {
    const frame = authFrame('key-1')
    expect(frame).toBe('[{"taskType":"authentication","apiKey":"key-1"}]')
    expect(frame).not.toContain('connectionSessionUUID')
    expect(frame).not.toContain('taskUUID')
  })

  it('includes the session when given, and nothing else', () => {
    expect(JSON.parse(authFrame('key-1', U2))).toEqual([{ taskType: 'authentication', apiKey: 'key-1', connectionSessionUUID: U2 }])
  })

  it('escapes the key', () => {
    expect(JSON.parse(authFrame('a"b\\c'))).toEqual([{ taskType: 'authentication', apiKey: 'a"b\\c' }])
  })
})

describe('parseFrame: what is wrong with a frame, said exactly', () => {
  // The words reach the caller in the `error` event and the log: a frame tells what it got.
  const item = (fields: string): string => `{"taskType":"imageInference","taskUUID":"${U1}"${fields}}`

  it.each([
    ['5', 'notObject', 'frame is number 5, not an object'],
    ['[1]', 'notObject', 'frame is an array, not an object'],
    // One part is not an object: the whole array is the frame, and it is not an envelope.
    ['[{"data":[]},5]', 'notObject', 'frame is an array, not an object'],
    ['{}', 'emptyEnvelope', 'frame has neither data nor errors'],
    ['{"data":[null]}', 'emptyEnvelope', 'data item is null, not an object'],
    ['{"data":[[1]]}', 'emptyEnvelope', 'data item is an array, not an object'],
    ['{"data":[{"taskUUID":7}]}', 'emptyEnvelope', 'data item taskUUID is number 7'],
    ['{"data":[{"taskUUID":{}}]}', 'emptyEnvelope', 'data item taskUUID is an object'],
    ['{"data":[{"taskType":null}]}', 'emptyEnvelope', 'data item taskType is null'],
    ['{"data":"x"}', 'emptyEnvelope', 'data is string x'],
    ['{"errors":5}', 'emptyEnvelope', 'errors is number 5'],
    ['{"errors":[true]}', 'emptyEnvelope', 'error item is boolean true, not an object'],
    // Every issue is named, in order.
    ['{"data":[5,null]}', 'emptyEnvelope', 'data item is number 5, not an object; data item is null, not an object'],
    ['not json', 'notJson', 'frame is not valid JSON'],
  ])('%s → %s: "%s"', (text, reason, message) => {
    expect(fails(text)).toEqual({ reason, message, excerpt: text })
  })

  it.each([
    ['only errors', `{"errors":[{"code":"invalidModel","message":"no","taskUUID":"${U1}"}]}`],
    ['only the singular error', `{"error":{"code":"invalidModel","message":"no","taskUUID":"${U1}"}}`],
    ['data and null errors', `{"data":[{"taskType":"imageInference","taskUUID":"${U1}","nested":{"a":1}}],"errors":null}`],
    ['null data beside errors', `{"data":null,"errors":[{"code":"invalidModel","message":"no","taskUUID":"${U1}"}]}`],
  ])('a frame with %s has nothing wrong with it: no issue (an issue is a protocolError event)', (_name, text) => {
    const parsed = parseFrame(text)
    expect(parsed.ok).toBe(true)
    if (parsed.ok) expect(parsed.envelope.issues).toEqual([])
  })

  it('an excerpt of exactly 120 characters is whole; 121 are cut', () => {
    const exact = `x${'y'.repeat(119)}`
    expect(fails(exact).excerpt).toBe(exact)
    expect(fails(`${exact}z`).excerpt).toBe(`${exact}…`)
  })

  it('a good item beside bad ones is kept, each bad one named', () => {
    const text = `{"data":[${item('')},5,{"taskUUID":7},{"taskType":[]}]}`
    expect(parseFrame(text)).toEqual({
      ok: true,
      envelope: {
        data: [{ taskType: 'imageInference', taskUUID: U1 }],
        errors: [],
        legacy: false,
        issues: [
          { reason: 'itemNotObject', message: 'data item is number 5, not an object' },
          { reason: 'badField', message: 'data item taskUUID is number 7' },
          { reason: 'badField', message: 'data item taskType is an array' },
        ],
      },
    })
  })

  it('an errors-only frame has no issue about the data it does not carry, and the reverse', () => {
    expect(ok('{"errors":[{"code":"c","message":"m"}]}').issues).toEqual([])
    expect(ok(`{"data":[${item('')},{"taskUUID":"${U2}"}]}`).issues).toEqual([])
  })

  it('a data frame with an error beside it keeps the error (the common frame is not read as results only)', () => {
    expect(ok(`{"data":[${item('')}],"error":{"code":"c","message":"m"}}`).errors).toEqual([{ code: 'c', message: 'm' }])
    expect(ok(`{"data":[${item('')}],"errors":[{"code":"c","message":"m"}]}`).errors).toEqual([{ code: 'c', message: 'm' }])
  })

  it('a results frame with one bad item is read item by item, not taken whole', () => {
    expect(ok(`{"data":[${item('')},{"taskType":"x","taskUUID":5}]}`).data).toEqual([{ taskType: 'imageInference', taskUUID: U1 }])
    expect(ok(`{"data":[${item('')},{"taskUUID":"${U2}","taskType":5}]}`).data).toEqual([{ taskType: 'imageInference', taskUUID: U1 }])
  })

  it('error items: a bad code, parameter or field is named and the item kept', () => {
    const env = ok(`{"errors":[{"message":"m"},{"code":"c","parameter":5},{"code":"c","taskType":5,"documentation":[]}]}`)
    expect(env.errors).toEqual([
      { code: 'protocolError', message: 'm' },
      { code: 'c', message: 'c' },
      { code: 'c', message: 'c' },
    ])
    expect(env.issues).toEqual([
      { reason: 'badField', message: 'error item code is missing' },
      { reason: 'badField', message: 'error parameter is number 5' },
      { reason: 'badField', message: 'error taskType is number 5' },
      { reason: 'badField', message: 'error documentation is an array' },
    ])
  })

  it('an array-wrapped envelope with one empty answer is an answer, whatever its other parts hold', () => {
    expect(parseFrame('[{"data":[]},{"data":[5]}]')).toMatchObject({
      ok: true,
      envelope: { data: [], issues: [{ message: 'data item is number 5, not an object' }] },
    })
  })

  it('an unsafe key is dropped and named, even inside an array inside an item', () => {
    const env = ok(`{"data":[${item(',"outputs":[{"__proto__":{"polluted":true},"url":"u"}]')}]}`)
    expect(env.data[0]?.outputs).toEqual([{ url: 'u' }])
    expect(env.issues).toEqual([{ reason: 'unsafeKey', message: 'dropped key "__proto__"' }])
  })

  it('depth counts through arrays as well as objects', () => {
    const deep = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`
    // Envelope 1, data 2, item 3, the field's arrays from 4.
    const tooDeep = ok(`{"data":[${item(`,"x":${deep(62)}`)}]}`)
    expect(tooDeep.data).toEqual([])
    expect(tooDeep.issues).toEqual([
      { reason: 'tooDeep', message: 'a data item nests deeper than 64 levels of its frame', taskUUID: expect.any(String) as string },
    ])
    expect(ok(`{"data":[${item(`,"x":${deep(61)}`)}]}`).data).toHaveLength(1)
  })

  it('an item too deep is refused on its own, named by its taskUUID; the rest of the frame counts', () => {
    const deep = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`
    const env = ok(
      `{"data":[{"taskType":"imageInference","taskUUID":"a","imageUUID":"1"},{"taskType":"imageInference","taskUUID":"b","x":${deep}}],` +
        `"errors":[{"code":"c","taskUUID":"e","deep":${deep}}]}`,
    )
    expect(env.data.map((d) => d.taskUUID)).toEqual(['a'])
    expect(env.errors).toEqual([])
    expect(env.issues.map((issue) => [issue.reason, issue.taskUUID])).toEqual([
      ['tooDeep', 'b'],
      ['tooDeep', 'e'],
    ])
  })

  it('a data item with a bad taskType is skipped and names its task, if it has one', () => {
    expect(ok('{"data":[{"taskType":7,"taskUUID":"t"},{"taskType":"x","taskUUID":"u"}]}').issues).toEqual([
      { reason: 'badField', message: 'data item taskType is number 7', taskUUID: 't' },
    ])
  })
})
