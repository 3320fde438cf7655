/** Admission's edges (tasks/admit.ts): unsafe keys, unreadable tasks, the model key, run options at their bounds. */
import { describe, expect, it } from 'vitest'
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../../lib/protocol/ids.js'
import { RunwareError } from '../../lib/support/errors.js'
import { checkRunOptions, encodeMeta, fixedOf, MAX_META_LENGTH, MAX_MODEL_KEY, prepareTask, type PreparedTask } from '../../lib/tasks/admit.js'

const never = (): boolean => false
const TASK = { taskType: 'imageInference', model: 'runware:101@1', positivePrompt: 'a heron', width: 512, height: 512 }

function prepared(input: unknown, admission = {}): PreparedTask {
  const result = prepareTask(input, never, undefined, admission)
  if (result instanceof RunwareError) throw new Error(`refused: ${result.message}`)
  return result
}

/** The task as it goes out (an encoded string, or the object). */
function sent(p: PreparedTask): Record<string, unknown> {
  return (typeof p.wire === 'string' ? JSON.parse(p.wire) : p.wire) as Record<string, unknown>
}

function refusal(result: unknown): string {
  expect(result).toBeInstanceOf(RunwareError)
  expect((result as RunwareError).code).toBe('invalidTask')
  return (result as RunwareError).message
}

describe('the task itself', () => {
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    it(`a task with its own "${key}" field is refused, by name`, () => {
      const input = JSON.parse(JSON.stringify({ ...TASK, x: 1 }).replace('"x"', `"${key}"`)) as unknown
      expect(refusal(prepareTask(input, never))).toBe(`a task must not have a "${key}" field`)
    })
  }

  it('a task whose getter throws is refused with what it threw', () => {
    const input = {
      ...TASK,
      get positivePrompt(): string {
        throw new Error('boom')
      },
    }
    expect(refusal(prepareTask(input, never))).toBe('the task could not be read: boom')
  })

  it('the model key: the task’s model, cut to MAX_MODEL_KEY; its taskType when it has none or an empty one', () => {
    expect(prepared(TASK).model).toBe('runware:101@1')
    expect(prepared({ ...TASK, model: 'm'.repeat(MAX_MODEL_KEY + 10) }).model).toBe('m'.repeat(MAX_MODEL_KEY))
    expect(prepared({ ...TASK, model: '' }).model).toBe('imageInference')
    expect(prepared({ taskType: 'imageInference', positivePrompt: 'p' }).model).toBe('imageInference')
  })

  it('the client’s includeCost asks every task for its cost unless the task says otherwise', () => {
    expect(sent(prepared(TASK, { includeCost: true })).includeCost).toBe(true)
    expect(sent(prepared({ ...TASK, includeCost: false }, { includeCost: true })).includeCost).toBe(false)
    expect(sent(prepared(TASK, { includeCost: false })).includeCost).toBeUndefined()
    expect(sent(prepared(TASK)).includeCost).toBeUndefined()
  })
})

describe('run options', () => {
  const signalShaped = { aborted: false, addEventListener: () => undefined, removeEventListener: () => undefined }

  it('a signal: a standard one or one shaped like it; nothing else', () => {
    expect(checkRunOptions({ signal: new AbortController().signal })).toBeUndefined()
    expect(checkRunOptions({ signal: signalShaped })).toBeUndefined()
    const fn = Object.assign(() => undefined, signalShaped)
    for (const signal of [
      null,
      fn,
      { ...signalShaped, aborted: 'no' },
      { ...signalShaped, addEventListener: 1 },
      { ...signalShaped, removeEventListener: 1 },
    ]) {
      expect(refusal(checkRunOptions({ signal }))).toBe('options.signal must be an AbortSignal')
    }
  })

  it('an idempotency key of 1 to MAX_IDEMPOTENCY_KEY_LENGTH characters', () => {
    expect(checkRunOptions({ idempotencyKey: 'k' })).toBeUndefined()
    expect(checkRunOptions({ idempotencyKey: 'k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH) })).toBeUndefined()
    for (const idempotencyKey of ['', 'k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1), 7]) {
      expect(refusal(checkRunOptions({ idempotencyKey }))).toBe('options.idempotencyKey must be a non-empty string of at most 1024 characters')
    }
  })

  it('a parent context is an OpenTelemetry Context: an object with getValue()', () => {
    expect(checkRunOptions({ parentContext: { getValue: () => undefined } })).toBeUndefined()
    for (const parentContext of [null, {}, { getValue: 1 }, 'ctx']) {
      expect(refusal(checkRunOptions({ parentContext }))).toBe(
        "options.parentContext must be an OpenTelemetry Context (@opentelemetry/api's context.active(), trace.setSpan(…))",
      )
    }
  })

  it('meta encodes to at most MAX_META_LENGTH characters of JSON', () => {
    expect(encodeMeta('x'.repeat(MAX_META_LENGTH - 2))).toBe(JSON.stringify('x'.repeat(MAX_META_LENGTH - 2)))
    expect(refusal(encodeMeta('x'.repeat(MAX_META_LENGTH - 1)))).toBe(
      `options.meta must encode to at most ${MAX_META_LENGTH} characters of JSON, got ${MAX_META_LENGTH + 1}`,
    )
  })

  it('without meta or a key nothing is fixed; with either, the key fixes the taskUUID', () => {
    expect(fixedOf({}, 'ns')).toBeUndefined()
    expect(fixedOf({ meta: 1 }, 'ns')).toEqual({ taskUUID: undefined, meta: '1', idempotencyKey: undefined })
    const keyed = fixedOf({ idempotencyKey: 'order-7' }, 'ns')
    expect(keyed).toMatchObject({ meta: undefined, idempotencyKey: 'order-7' })
    expect((keyed as { taskUUID: string }).taskUUID).toMatch(/^[0-9a-f-]{36}$/)
  })
})
