/**
 * The receiver's decisions, one record at a time (tasks/receiver.ts): real policy, reporter,
 * scrubber and options; records in the phase each case needs. The client-level specs show the
 * same paths end to end; these pin each decision to what the record says.
 */
import { describe, expect, it } from 'vitest'
import type { Wire } from '../../lib/connection/port.js'
import type { Envelope, ErrorItem, ResultItem } from '../../lib/protocol/protocol.js'
import { ErrorPolicy } from '../../lib/recovery/policy.js'
import { backoffDelay } from '../../lib/support/backoff.js'
import { Scrubber } from '../../lib/support/errors.js'
import { Monitor, Reporter } from '../../lib/support/report.js'
import { resolveOptions } from '../../lib/support/resolve-options.js'
import { Schedule } from '../../lib/support/schedule.js'
import type { TaskDeps } from '../../lib/tasks/deps.js'
import { Receiver } from '../../lib/tasks/receiver.js'
import type { Step } from '../../lib/tasks/steps.js'
import type { TaskRecord } from '../../lib/tasks/task-record.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { bareRecord } from '../helpers/records.js'

const unused = (): never => {
  throw new Error('the receiver never calls the wire')
}
const NO_WIRE: Wire = {
  state: 'ready',
  handshake: false,
  writable: unused,
  write: unused,
  ping: unused,
  cancel: unused,
  pingSentAt: undefined,
  reconnect: unused,
  fail: unused,
}

function setup(options: Parameters<typeof resolveOptions>[0] = {}) {
  const clock = new ManualClock()
  const monitor = new Monitor((error) => {
    throw error
  })
  const reporter = new Reporter(monitor, {}, new Scrubber('spec-key-0123456789'), {})
  const events: { event: string; payload: unknown }[] = []
  for (const event of ['orphan', 'progress', 'error'] as const) reporter.on(event, (payload: unknown) => events.push({ event, payload }))
  const resolved = resolveOptions({ apiKey: 'spec-key-0123456789', random: () => 0.5, ...options })
  const deps: TaskDeps = {
    options: resolved,
    policy: new ErrorPolicy(),
    reporter,
    scrubber: new Scrubber('spec-key-0123456789'),
    schedule: new Schedule(clock, false),
    clock,
    wire: NO_WIRE,
    run: (work) => monitor.run(work),
  }
  const records = new Map<string, TaskRecord>()
  const receiver = new Receiver(deps, (id) => records.get(id))
  const add = (record: TaskRecord, ...aliases: string[]): TaskRecord => {
    records.set(record.id, record)
    for (const alias of aliases) records.set(alias, record)
    return record
  }
  const read = (envelope: Partial<Envelope>, handshake = false): Step[] => {
    let steps: Step[] = []
    monitor.run(() => {
      steps = [...receiver.read({ data: [], errors: [], issues: [], legacy: false, ...envelope }, 'frame', 1, () => handshake)]
    })
    return steps
  }
  return { receiver, add, read, events, options: resolved, clock }
}

const decisionOf = (step: Step | undefined): unknown => (step?.on === 'task' ? step.decision : step)
const output = (record: TaskRecord, extra: Partial<ResultItem> = {}): ResultItem => ({ taskType: record.taskType, taskUUID: record.wireUUID, ...extra })

describe('the receiver: how a frame is routed', () => {
  it('the auth reply is no orphan; an id-less stranger is one, carrying what came', () => {
    const { read, events } = setup()
    expect(read({ data: [{ taskType: 'authentication', connectionSessionUUID: 's' }] })).toEqual([])
    expect(events).toEqual([])
    expect(read({ data: [{ taskType: 'imageInference', imageUUID: 'i' }] })).toEqual([])
    expect(events).toEqual([{ event: 'orphan', payload: { taskUUID: undefined, item: { taskType: 'imageInference', imageUUID: 'i' } } }])
  })

  it('only a frame with neither items nor errors is an empty answer', () => {
    const { read } = setup()
    expect(read({})).toEqual([{ on: 'empty' }])
    expect(read({ data: [{ taskType: 'ping', pong: true }] })).toEqual([{ on: 'pong' }])
    expect(read({ errors: [{ code: 'somethingOdd', message: 'm' }] })).toEqual([{ on: 'link', decision: { do: 'none' } }])
  })
})

describe('the receiver: async acknowledgements and answers', () => {
  it('an async push is its acknowledgement only while sent and only under its current id', () => {
    const { add, read } = setup()
    const record = add(bareRecord('videoInference', false, {}, true), 'older-id')
    record.phase = 'sent'
    expect(decisionOf(read({ data: [output(record)] })[0])).toEqual({ do: 'poll' })
    expect(decisionOf(read({ data: [{ ...output(record), taskUUID: 'older-id' }] })[0])).toEqual({ do: 'nothing' })
    record.phase = 'polling'
    expect(decisionOf(read({ data: [output(record)] })[0])).toEqual({ do: 'nothing' })
  })

  it('a processing answer: poll when sent or unknown, poll later when polling, nothing otherwise', () => {
    const { add, read } = setup()
    const record = add(bareRecord('videoInference', false, {}, true))
    const answer = { data: [{ ...output(record), status: 'processing' }] }
    const expected = { sent: 'poll', unknown: 'poll', polling: 'pollLater', waiting: 'nothing', queued: 'nothing' } as const
    for (const [phase, decision] of Object.entries(expected)) {
      record.phase = phase as TaskRecord['phase']
      expect([phase, decisionOf(read(answer).at(-1))]).toEqual([phase, { do: decision }])
    }
  })

  it('an answer under an older id feeds outputs but resets nothing, reports no progress and decides nothing', () => {
    const { add, read, events } = setup()
    const record = add(bareRecord('videoInference', false, {}, true), 'older-id')
    record.phase = 'polling'
    record.emptyAnswers = 2
    expect(decisionOf(read({ data: [{ ...output(record), taskUUID: 'older-id', status: 'processing', progress: 40 }] }).at(-1))).toEqual({ do: 'nothing' })
    expect(record.emptyAnswers).toBe(2)
    expect(events).toEqual([])
    expect(decisionOf(read({ data: [{ ...output(record), status: 'processing', progress: 40 }] }).at(-1))).toEqual({ do: 'pollLater' })
    expect(record.emptyAnswers).toBe(0)
    expect(events.map((e) => e.event)).toEqual(['progress'])
  })

  it('an answer repeating an output with an id and one without delivers each once', () => {
    const { add, read } = setup()
    const record = add(bareRecord('videoInference', false, {}, true))
    record.phase = 'polling'
    const answer = { data: [output(record, { status: 'success', videoUUID: 'v1' }), output(record, { status: 'success' })] }
    read(answer)
    read(answer)
    expect(record.items?.length).toBe(2)
  })
})

describe('the receiver: outputs without an id, and errors reported by status', () => {
  it('a later answer that lists one more output without an id delivers just that one', () => {
    const { add, read } = setup()
    const record = add(bareRecord('videoInference', false, {}, true))
    record.phase = 'polling'
    const [withId, first, second] = [
      output(record, { status: 'success', videoUUID: 'v1' }),
      output(record, { status: 'success', n: 1 }),
      output(record, { status: 'success', n: 2 }),
    ]
    read({ data: [withId, first] })
    read({ data: [withId, first, second] })
    expect(record.items).toEqual([withId, first, second])
  })

  it('a status error whose error is not an object is taskFailed, "task failed"', () => {
    const { add, read } = setup()
    const record = add(bareRecord('videoInference', false, {}, true))
    record.phase = 'polling'
    const step = read({ data: [output(record, { status: 'error', error: 'boom' })] }).at(-1)
    expect(decisionOf(step)).toMatchObject({ error: { code: 'taskFailed', message: 'task failed', taskUUID: record.id } })
  })
})

describe('the receiver: empty answers', () => {
  it('counts an empty answer only for a polled task that asked; a task whose fate was unknown is resent', () => {
    const { add, receiver, options } = setup({ poll: { maxEmptyAnswers: 2 } })
    const record = add(bareRecord('videoInference', false, {}, true))
    record.phase = 'polling'
    expect(receiver.unknown(record)).toEqual({ do: 'nothing' })
    expect(record.emptyAnswers).toBe(0)
    record.pollAsked = true
    expect(receiver.unknown(record)).toEqual({ do: 'pollLater' })
    expect(record.emptyAnswers).toBe(1)
    expect(receiver.unknown(record)).toMatchObject({ do: 'reject', error: { code: 'taskUnknown' } })
    expect(options.poll.maxEmptyAnswers).toBe(2)
    record.phase = 'sent'
    expect(receiver.unknown(record)).toEqual({ do: 'nothing' })
    expect(record.emptyAnswers).toBe(2)
    record.phase = 'unknown'
    expect(receiver.unknown(record)).toEqual({ do: 'resend' })
    expect(record.emptyAnswers).toBe(2)
  })
})

describe('the receiver: errors naming a task', () => {
  const retryable: ErrorItem = { code: 'providerUnavailable', message: 'busy' }

  it('a retry waits the backoff of the attempts so far', () => {
    const { add, receiver, options } = setup({ retry: { initialDelayMs: 100, maxDelayMs: 10_000, maxAttempts: 5 } })
    const record = add(bareRecord())
    record.phase = 'sent'
    record.submissions = 3
    const step = receiver.taskError(record.wireUUID, { ...retryable, taskUUID: record.wireUUID })
    const delayMs = backoffDelay(2, options.retry, options.random)
    expect(delayMs).not.toBe(backoffDelay(0, options.retry, options.random))
    expect(decisionOf(step)).toMatchObject({ do: 'retry', delayMs })
  })

  it('a piece of text goes to onDelta; once text has reached the caller, an error that could be retried rejects instead', () => {
    const { add, receiver, read } = setup()
    const pieces: unknown[] = []
    const record = add(bareRecord('textInference', true, { onDelta: (delta) => pieces.push(delta) }))
    record.phase = 'sent'
    const delta = { taskType: 'textInference', taskUUID: record.wireUUID, delta: { text: 'Hel' } }
    expect(decisionOf(read({ data: [delta] })[0])).toEqual({ do: 'nothing' })
    expect(pieces).toEqual([delta])
    expect(record.deltas).toBe(1)
    expect(decisionOf(receiver.taskError(record.wireUUID, { ...retryable, taskUUID: record.wireUUID }))).toMatchObject({
      do: 'reject',
      error: { code: 'providerUnavailable' },
    })
  })

  it('a conflict sends the task to be collected and is kept to fail with; a not-found for an unknown task resends it', () => {
    const { add, receiver } = setup()
    const record = add(bareRecord())
    record.phase = 'unknown'
    expect(decisionOf(receiver.taskError(record.wireUUID, { code: 'taskNotFound', message: 'never got it', taskUUID: record.wireUUID }))).toEqual({
      do: 'resend',
    })
    record.phase = 'sent'
    expect(decisionOf(receiver.taskError(record.wireUUID, { code: 'conflictTaskUUID', message: 'taken', taskUUID: record.wireUUID }))).toEqual({
      do: 'poll',
      firstDelayMs: 0,
    })
    expect(record.conflict?.code).toBe('conflictTaskUUID')
  })
})
