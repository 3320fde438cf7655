import { describe, expect, it } from 'vitest'
import { RunwareError } from '../../lib/support/errors.js'
import type { ResultItem } from '../../lib/protocol/protocol.js'
import { completionOf } from '../../lib/tasks/admit.js'
import { countField, itemKey } from '../helpers/items.js'
import { checkRunOptions, prepareTask, type PreparedTask } from '../../lib/tasks/admit.js'
import { encodeFrame } from '../../lib/protocol/protocol.js'

const U1 = '7a4e6d8f-9a3c-4b1e-8f2d-1c0b9a8e7d6f'
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const never = (): boolean => false

function prepared(input: unknown, isPending: (uuid: string) => boolean = never): PreparedTask {
  const result = prepareTask(input, isPending)
  if (result instanceof RunwareError) throw new Error(`expected a prepared task, got ${result.code}: ${result.message}`)
  return result
}

/** The task's text as it would leave in a frame of its own. */
function onWire(p: PreparedTask): string {
  return encodeFrame([p.wire]).slice(1, -1)
}

function refused(input: unknown, isPending: (uuid: string) => boolean = never): RunwareError {
  const result = prepareTask(input, isPending)
  if (!(result instanceof RunwareError)) throw new Error(`expected invalidTask, got ${onWire(result)}`)
  expect(result.code).toBe('invalidTask')
  expect(result.category).toBe('client')
  expect(result.retryable).toBe(false)
  return result
}

const image = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  taskType: 'imageInference',
  model: 'runware:100@1',
  positivePrompt: 'a cat',
  ...fields,
})

describe('prepareTask: refusals', () => {
  it.each([
    ['a number', 5, 'number'],
    ['a string', 'imageInference', 'string'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['an array', [image()], 'an array'],
    ['a function', () => image(), 'function'],
    ['a boolean', true, 'boolean'],
  ])('refuses %s as a task', (_name, input, detail) => {
    const error = refused(input)
    expect(error.message).toBe(`a task must be a plain object, got ${detail}`)
    expect(error.taskUUID).toBeUndefined()
  })

  it.each([
    ['missing', {}, 'undefined'],
    ['empty', { taskType: '' }, 'string'],
    ['a number', { taskType: 7 }, 'number'],
    ['null', { taskType: null }, 'null'],
    ['an array', { taskType: ['imageInference'] }, 'an array'],
  ])('refuses a taskType that is %s', (_name, input, detail) => {
    expect(refused(input).message).toBe(`task.taskType must be a non-empty string, got ${detail}`)
  })

  it.each(['authentication', 'ping', 'getResponse'])('refuses the reserved taskType %s', (taskType) => {
    const error = refused({ taskType, taskUUID: U1 })
    expect(error.message).toBe(`taskType "${taskType}" is managed by the client and cannot be run`)
    expect(error.taskType).toBe(taskType)
  })

  it.each([
    ['a non-UUID string', 'task-1', 'task.taskUUID must be a UUID, got "task-1"'],
    ['an empty string', '', 'task.taskUUID must be a UUID, got ""'],
    ['a number', 12, 'task.taskUUID must be a UUID, got number'],
    ['null', null, 'task.taskUUID must be a UUID, got null'],
    ['a UUID with spaces', ` ${U1}`, `task.taskUUID must be a UUID, got " ${U1}"`],
  ])('refuses a taskUUID that is %s', (_name, taskUUID, message) => {
    const error = refused(image({ taskUUID }))
    expect(error.message).toBe(message)
    expect(error.taskType).toBe('imageInference')
  })

  it('refuses a taskUUID that is already pending, and asks about exactly that id', () => {
    const asked: string[] = []
    const error = refused(image({ taskUUID: U1 }), (uuid) => {
      asked.push(uuid)
      return true
    })
    expect(error.message).toBe(`taskUUID ${U1} is already pending`)
    expect(error.taskUUID).toBe(U1)
    expect(asked).toEqual([U1])
  })

  it.each([0, -1, 1.5, '2', 1_001, NaN, Infinity, null, true])('refuses numberResults %s', (numberResults) => {
    expect(refused(image({ taskUUID: U1, numberResults })).message).toBe('task.numberResults must be an integer from 1 to 1000')
  })

  it.each([0, 2.5, '3', 5_000, -2])('refuses promptVersions %s on promptEnhance', (promptVersions) => {
    const error = refused({ taskType: 'promptEnhance', prompt: 'p', promptVersions })
    expect(error.message).toBe('task.promptVersions must be an integer from 1 to 1000')
    expect(error.taskType).toBe('promptEnhance')
  })

  it.each(['ASYNC', 'Sync', '', 1, null])('refuses deliveryMethod %j', (deliveryMethod) => {
    expect(refused(image({ deliveryMethod })).message).toBe(
      `task.deliveryMethod must be "sync", "async" or (over HTTP) "stream", got ${JSON.stringify(deliveryMethod)}`,
    )
  })

  it('refuses deliveryMethod "stream" for anything but textInference, and for textInference unless the transport serves it', () => {
    expect(refused(image({ deliveryMethod: 'stream' })).message).toBe('task.deliveryMethod "stream" is for textInference only')
    const text = { taskType: 'textInference', model: 'x:1@1', messages: [{ role: 'user', content: 'hi' }], deliveryMethod: 'stream' }
    const overSocket = prepareTask(text, () => false)
    expect(overSocket).toBeInstanceOf(RunwareError)
    expect((overSocket as RunwareError).message).toContain("transport: 'http'")
    const overHttp = prepareTask(text, () => false, undefined, { streams: true })
    expect(overHttp).not.toBeInstanceOf(RunwareError)
    expect((overHttp as PreparedTask).stream).toBe(true)
    expect((overHttp as PreparedTask).async).toBe(false)
  })

  it('refuses a BigInt anywhere in the task', () => {
    const error = refused(image({ taskUUID: U1, seed: 10n }))
    expect(error.message).toMatch(/^task cannot be encoded as JSON: .*BigInt/)
    expect(error.taskUUID).toBe(U1)
  })

  it('refuses a cyclic task', () => {
    const input = image({ taskUUID: U1, inputs: {} })
    ;(input.inputs as Record<string, unknown>).self = input
    expect(refused(input).message).toMatch(/^task cannot be encoded as JSON: .*circular/i)
  })

  it('refuses a nested cycle', () => {
    const loop: Record<string, unknown> = {}
    loop.loop = loop
    expect(refused(image({ extra: [loop] })).message).toMatch(/^task cannot be encoded as JSON/)
  })
})

describe('prepareTask: accepted tasks', () => {
  it('refuses an object with a toJSON method (its encoding would not be the task checked)', () => {
    const error = refused({ ...image({ taskUUID: U1 }), toJSON: () => 'something else' })
    expect(error.message).toBe('a task must be a plain object, got one with a toJSON method')
  })

  it('fills a UUID v4 taskUUID when absent, without touching the input', () => {
    const input = image()
    const p = prepared(input)
    expect(p.taskUUID).toMatch(UUID_V4)
    expect(JSON.parse(onWire(p))).toEqual({ ...input, taskUUID: p.taskUUID })
    expect(input).not.toHaveProperty('taskUUID')
    expect(p.completion).toEqual({ kind: 'count', count: 1 })
  })

  it('fills a fresh UUID for an explicit undefined, and a different one each time', () => {
    const a = prepared(image({ taskUUID: undefined }))
    const b = prepared(image())
    expect(a.taskUUID).toMatch(UUID_V4)
    expect(a.taskUUID).not.toBe(b.taskUUID)
  })

  it('keeps a given UUID and asks isPending about it', () => {
    const p = prepared(image({ taskUUID: U1, numberResults: 4 }))
    expect(p.taskUUID).toBe(U1)
    expect(p.completion).toEqual({ kind: 'count', count: 4 })
    expect(JSON.parse(onWire(p))).toEqual({ ...image({ taskUUID: U1, numberResults: 4 }) })
  })

  it.each(['sync', 'async'])('accepts deliveryMethod %s', (deliveryMethod) => {
    expect(prepared(image({ deliveryMethod })).async).toBe(deliveryMethod === 'async')
  })

  it('accepts numberResults 1 and 1000', () => {
    expect(prepared(image({ numberResults: 1 })).completion).toEqual({ kind: 'count', count: 1 })
    expect(prepared(image({ numberResults: 1_000 })).completion).toEqual({ kind: 'count', count: 1_000 })
  })

  it('encodes the task once: mutating the input afterwards does not change encoded', () => {
    const input = image({ taskUUID: U1, numberResults: 2 })
    const p = prepared(input)
    const encodedBefore = onWire(p)
    input.positivePrompt = 'a dog'
    input.numberResults = 9
    input.taskUUID = 'changed'
    delete input.model
    expect(onWire(p)).toBe(encodedBefore)
    expect(JSON.parse(onWire(p))).toEqual({ taskType: 'imageInference', model: 'runware:100@1', positivePrompt: 'a cat', taskUUID: U1, numberResults: 2 })
  })

  // What goes on the wire is fixed when run() is called: the client keeps only its own snapshot (a
  // retry rewires it), so a caller reusing and mutating a task template cannot change it.
  it('fixes what is sent at run(): mutating a nested object of the input afterwards does not change encoded', () => {
    const input = image({ taskUUID: U1, inputs: { referenceImages: ['a.png'] }, lora: [{ model: 'l1', weight: 1 }] })
    const p = prepared(input)
    const before = onWire(p)
    ;(input.inputs as { referenceImages: string[] }).referenceImages[0] = 'b.png'
    ;(input.lora as { weight: number }[])[0]!.weight = 0
    expect(onWire(p)).toBe(before)
    expect(JSON.parse(onWire(p))).toMatchObject({ inputs: { referenceImages: ['a.png'] }, lora: [{ model: 'l1', weight: 1 }] })
  })
})

describe('prepareTask: what is kept for the wire', () => {
  it('keeps a snapshot of primitives as an object of its own, the id first', () => {
    const input = image({ numberResults: 2, seed: null, strength: 0.5, check: true })
    const p = prepared(input)
    expect(typeof p.wire).toBe('object')
    expect(p.wire).not.toBe(input)
    expect(Object.keys(p.wire)[0]).toBe('taskUUID')
    expect(onWire(p).startsWith(`{"taskUUID":"${p.taskUUID}",`)).toBe(true)
    expect(p.generated).toBe(true)
  })

  it('leads with a given id too, and says it was not generated', () => {
    const p = prepared({ model: 'runware:100@1', positivePrompt: 'a cat', taskType: 'imageInference', taskUUID: U1 })
    expect(onWire(p)).toBe(`{"taskUUID":"${U1}","model":"runware:100@1","positivePrompt":"a cat","taskType":"imageInference"}`)
    expect(p.generated).toBe(false)
  })

  it.each([
    ['an object', { inputs: { image: 'x' } }],
    ['an array', { lora: [] }],
    ['a Date (toJSON)', { when: new Date(0) }],
    ['a function (omitted by JSON)', { fn: () => 1 }],
  ])('keeps a task holding %s as its JSON text, fixed now', (_name, fields) => {
    const p = prepared(image(fields))
    expect(typeof p.wire).toBe('string')
    expect(JSON.parse(onWire(p))).toEqual(JSON.parse(JSON.stringify({ taskUUID: p.taskUUID, ...image(fields) })))
  })

  it('encodes non-finite numbers and undefined fields as JSON does', () => {
    const p = prepared(image({ a: Number.NaN, b: Infinity, c: undefined }))
    expect(typeof p.wire).toBe('object')
    expect(JSON.parse(onWire(p))).toEqual({ taskUUID: p.taskUUID, ...image(), a: null, b: null })
  })
})

describe('checkRunOptions', () => {
  it('accepts undefined, an empty object and good options', () => {
    expect(checkRunOptions(undefined)).toBeUndefined()
    expect(checkRunOptions({})).toBeUndefined()
    expect(checkRunOptions({ signal: new AbortController().signal, timeoutMs: 1, onResult: () => undefined, onProgress: () => undefined })).toBeUndefined()
    expect(checkRunOptions({ timeoutMs: Infinity })).toBeUndefined()
    expect(checkRunOptions({ signal: AbortSignal.abort() })).toBeUndefined()
  })

  it.each([
    ['null', null, 'run options must be an object, got null'],
    ['a number', 5, 'run options must be an object, got number'],
    ['a string', 'x', 'run options must be an object, got string'],
  ])('refuses options that are %s', (_name, options, message) => {
    const error = checkRunOptions(options)
    expect(error).toBeInstanceOf(RunwareError)
    expect(error?.code).toBe('invalidTask')
    expect(error?.message).toBe(message)
  })

  it.each([{}, { aborted: false }, new AbortController(), 'signal', true])('refuses a signal that is not an AbortSignal (%s)', (signal) => {
    const error = checkRunOptions({ signal })
    expect(error?.code).toBe('invalidTask')
    expect(error?.message).toBe('options.signal must be an AbortSignal')
  })

  it.each([
    [0, 'got 0'],
    [-5, 'got -5'],
    [NaN, 'got NaN'],
    [-Infinity, 'got -Infinity'],
    ['1000', 'got string'],
    [null, 'got null'],
  ])('refuses timeoutMs %s', (timeoutMs, detail) => {
    const error = checkRunOptions({ timeoutMs })
    expect(error?.code).toBe('invalidTask')
    expect(error?.message).toBe(`options.timeoutMs must be a positive number, ${detail}`)
  })

  it.each([5, 'fn', {}, null])('refuses onResult %s', (onResult) => {
    expect(checkRunOptions({ onResult })?.message).toBe('options.onResult must be a function')
  })

  it.each([5, 'fn', {}, null])('refuses onProgress %s', (onProgress) => {
    expect(checkRunOptions({ onProgress })?.message).toBe('options.onProgress must be a function')
  })

  it.each([5, 'fn', {}, null])('refuses onDelta %s', (onDelta) => {
    expect(checkRunOptions({ onDelta })?.message).toBe('options.onDelta must be a function')
  })
})

describe('completionOf / countField', () => {
  it.each([
    ['imageInference', {}, { kind: 'count', count: 1 }],
    ['imageInference', { numberResults: 4 }, { kind: 'count', count: 4 }],
    ['videoInference', { numberResults: 2 }, { kind: 'count', count: 2 }],
    ['someFutureType', {}, { kind: 'count', count: 1 }],
    ['someFutureType', { numberResults: 3 }, { kind: 'count', count: 3 }],
    ['promptEnhance', {}, { kind: 'count', count: 1 }],
    ['promptEnhance', { promptVersions: 3 }, { kind: 'count', count: 3 }],
    ['promptEnhance', { promptVersions: 3, numberResults: 7 }, { kind: 'count', count: 3 }],
    ['modelUpload', {}, { kind: 'ready' }],
    ['modelUpload', { numberResults: 5 }, { kind: 'ready' }],
  ] as const)('%s %j → %j', (taskType, fields, expected) => {
    expect(completionOf({ taskType, ...fields })).toEqual(expected)
  })

  it('names the unusable field', () => {
    expect(completionOf({ taskType: 'imageInference', numberResults: 0 })).toBe('numberResults must be an integer from 1 to 1000')
    expect(completionOf({ taskType: 'promptEnhance', promptVersions: 1.5 })).toBe('promptVersions must be an integer from 1 to 1000')
  })

  it('countField picks promptVersions only for promptEnhance', () => {
    expect(countField('promptEnhance')).toBe('promptVersions')
    expect(countField('imageInference')).toBe('numberResults')
    expect(countField('caption')).toBe('numberResults')
  })
})

describe('itemKey', () => {
  const pushed: ResultItem = { taskType: 'imageInference', taskUUID: U1, imageUUID: 'img-1', imageURL: 'https://x/1.png', seed: 3, cost: 0.01 }

  it('is equal for a pushed item and the same item from getResponse (status, progress, another taskUUID)', () => {
    expect(itemKey({ ...pushed, status: 'success' })).toBe(itemKey(pushed))
    expect(itemKey({ ...pushed, status: 'success', progress: 100, taskUUID: 'other-wire-id' })).toBe(itemKey(pushed))
  })

  it('differs for different imageUUIDs', () => {
    expect(itemKey({ ...pushed, imageUUID: 'img-2' })).not.toBe(itemKey(pushed))
  })

  it('uses the other identity fields too', () => {
    const video: ResultItem = { taskType: 'videoInference', taskUUID: U1, videoUUID: 'v1', videoURL: 'u' }
    expect(itemKey({ ...video, status: 'success' })).toBe(itemKey(video))
    expect(itemKey({ ...video, videoUUID: 'v2' })).not.toBe(itemKey(video))
    const guide: ResultItem = { taskType: 'controlNetPreprocess', taskUUID: U1, guideImageUUID: 'g1' }
    expect(itemKey(guide)).not.toBe(itemKey({ ...guide, guideImageUUID: 'g2' }))
    const mask: ResultItem = { taskType: 'imageMasking', taskUUID: U1, maskImageUUID: 'm1' }
    expect(itemKey(mask)).not.toBe(itemKey({ ...mask, maskImageUUID: 'm2' }))
  })

  it('for text items compares the content, ignoring delivery fields and key order', () => {
    const a: ResultItem = { taskType: 'promptEnhance', taskUUID: U1, text: 'a cat in a hat', cost: 0.001 }
    const sameReordered: ResultItem = { cost: 0.001, status: 'success', text: 'a cat in a hat', taskUUID: 'x', taskType: 'promptEnhance' }
    expect(itemKey(sameReordered)).toBe(itemKey(a))
    expect(itemKey({ ...a, text: 'a dog in a hat' })).not.toBe(itemKey(a))
    expect(itemKey({ ...a, progress: 50 })).toBe(itemKey(a))
  })

  it('tells modelUpload stages apart by their status alone (a stage status is content, not delivery)', () => {
    const stage = (status: string): ResultItem => ({ taskType: 'modelUpload', taskUUID: U1, status })
    const keys = ['validated', 'downloaded', 'optimized', 'stored', 'ready', 'failed'].map((s) => itemKey(stage(s)))
    expect(new Set(keys).size).toBe(6)
    expect(itemKey(stage('ready'))).toBe(itemKey({ ...stage('ready'), taskUUID: 'replayed-under-another-id' }))
  })

  it.each(['processing', 'pending', 'queued', 'success', 'error'])('ignores the poll status %s on an item without an id', (status) => {
    const text: ResultItem = { taskType: 'caption', taskUUID: U1, text: 'a cat' }
    expect(itemKey({ ...text, status })).toBe(itemKey(text))
  })
})
