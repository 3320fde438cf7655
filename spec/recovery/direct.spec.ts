/**
 * Direct specs for behaviour that only the 2,000-task chaos run (or nothing) used to catch when it
 * was broken by hand: the empty-answer count is reset by any answer that knows the task; a signal
 * shared by two tasks still aborts the second after the first settled and keeps no listener after
 * the last; an output delivered twice counts once; outputs without an id of their own are told
 * apart by position, none dropped.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CHAOS_PRESETS } from '../../lib/cli/chaos.js'
import type { AbortSignalLike } from '../../lib/api/options.js'
import { IMAGE } from '../fixtures/tasks.js'
import { record, useHarness, type Harness } from '../helpers/harness.js'
import { ManualClock } from '../helpers/manual-clock.js'
import type { WireTask } from '../helpers/scripted-server.js'
import { afterTick, failure, until } from '../helpers/wait.js'

const image = IMAGE

/**
 * An async task a scripted server acknowledges and whose getResponse questions `answer()` answers,
 * on a manual clock polling every second: `drive` moves the clock one poll at a time until the task
 * settles (at most `most` polls), `read(poll)` waiting for what each answer did before the next.
 */
async function polledTask(h: Harness, answer: () => unknown) {
  const taskUUID = randomUUID()
  const server = await h.scripted({
    onTasks: (tasks: WireTask[], reply) => {
      for (const task of tasks) {
        if (task.taskType === 'imageInference') reply({ data: [{ taskType: 'imageInference', taskUUID: task.taskUUID }] })
        else if (task.taskType === 'getResponse') reply(answer())
      }
    },
  })
  const clock = new ManualClock()
  const client = h.client(server.url, { clock, heartbeat: false, poll: { initialDelayMs: 1_000, multiplier: 1, maxDelayMs: 1_000, maxEmptyAnswers: 3 } })
  const tasks = record(client, 'task')
  let outcome: unknown
  client.run({ ...image, taskUUID, deliveryMethod: 'async' }).then(
    (items) => (outcome = items),
    (error: unknown) => (outcome = error),
  )
  await until(() => tasks.some((event) => event.type === 'polling'), 'the acknowledgement')
  const drive = async (most: number, read?: (poll: number) => Promise<void>): Promise<unknown> => {
    for (let poll = 1; poll <= most && outcome === undefined; poll++) {
      clock.advance(1_000)
      await until(() => server.frames.length === poll + 1 || outcome !== undefined, `poll ${poll}`)
      await read?.(poll)
      await afterTick()
    }
    await until(() => outcome !== undefined, 'the task settled')
    return outcome
  }
  return { taskUUID, server, drive, settled: () => outcome !== undefined }
}

describe('poll.maxEmptyAnswers counts empty answers in a row', () => {
  const h = useHarness()

  it('an answer that knows the task resets the count: empty, empty, processing, empty, empty, success resolves', async () => {
    const answers: unknown[] = []
    const task = await polledTask(h, () => answers.shift() ?? { data: [] })
    const { taskUUID } = task
    answers.push(
      { data: [] },
      { data: [] },
      { data: [{ taskType: 'imageInference', taskUUID, status: 'processing' }] },
      { data: [] },
      { data: [] },
      { data: [{ taskType: 'imageInference', taskUUID, status: 'success', imageUUID: 'done' }] },
    )
    // Each answer is read before the clock moves again.
    const outcome = await task.drive(6, (poll) => until(() => answers.length === 6 - poll || task.settled(), `answer ${poll}`))
    expect(outcome).toEqual([{ taskType: 'imageInference', taskUUID, status: 'success', imageUUID: 'done' }])
  })
})

describe('poll.maxEmptyAnswers reached', () => {
  const h = useHarness()

  it('only empty answers: the task fails with taskUnknown after exactly maxEmptyAnswers of them, naming the caller’s task', async () => {
    const task = await polledTask(h, () => ({ data: [] }))
    const outcome = await task.drive(5)
    expect(outcome).toMatchObject({ code: 'taskUnknown', taskUUID: task.taskUUID, taskType: 'imageInference' })
    expect((outcome as Error).message).toBe('getResponse did not know the task 3 times in a row')
    // The task and three questions.
    expect(task.server.frames).toHaveLength(4)
  })
})

/** A structural AbortSignal that counts its listeners (a standard one does not say). */
class CountingSignal implements AbortSignalLike {
  aborted = false
  reason: unknown
  readonly listeners = new Set<() => void>()
  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.add(listener)
  }
  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.delete(listener)
  }
  abort(reason: unknown): void {
    this.aborted = true
    this.reason = reason
    for (const listener of [...this.listeners]) {
      this.listeners.delete(listener)
      listener()
    }
  }
}

describe('one AbortSignal shared by two tasks', () => {
  const h = useHarness()

  it('after the first settles, abort() still rejects the second; no listener is left after the last', async () => {
    // Only the first task is answered; the second stays on the wire.
    let answered = false
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        for (const task of tasks) {
          if (answered) continue
          answered = true
          reply({ data: [{ taskType: 'imageInference', taskUUID: task.taskUUID, imageUUID: 'first' }] })
        }
      },
    })
    const client = h.client(server.url, { taskTimeoutMs: 60_000 })
    await client.connect()
    const signal = new CountingSignal()
    const first = client.run(image, { signal })
    const second = client.run(image, { signal })
    expect(await first).toHaveLength(1)
    expect(client.pending).toBe(1)
    expect(signal.listeners.size).toBe(1)
    signal.abort('stop')
    expect(await failure(second)).toMatchObject({ code: 'aborted', cause: 'stop' })
    expect(signal.listeners.size).toBe(0)
    expect(client.pending).toBe(0)
  })

  it('when both settle normally, the listener goes with the last', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    const signal = new CountingSignal()
    await Promise.all([client.run(image, { signal }), client.run(image, { signal })])
    expect(signal.listeners.size).toBe(0)
  })
})

describe('outputs', () => {
  const h = useHarness()

  it('the same output delivered twice (one frame, then again) counts once', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const item = { taskType: 'imageInference', taskUUID: tasks[0]?.taskUUID, imageUUID: 'only-one' }
        reply({ data: [item] })
        reply({ data: [item] })
        reply({ data: [{ ...item, imageUUID: 'second' }] })
      },
    })
    const client = h.client(server.url)
    const seen: unknown[] = []
    const items = await client.run({ ...image, numberResults: 2 }, { onResult: (item) => void seen.push(item.imageUUID) })
    expect(items.map((item) => item.imageUUID)).toEqual(['only-one', 'second'])
    expect(seen).toEqual(['only-one', 'second'])
  })

  it('outputs with no id of their own, listed again by each getResponse answer, are told apart by position: none dropped, none twice', async () => {
    const taskUUID = randomUUID()
    const text = (i: number) => ({ taskType: 'promptEnhance', taskUUID, status: 'success', text: `version ${i}` })
    const answers = [{ data: [text(1), { taskType: 'promptEnhance', taskUUID, status: 'processing' }] }, { data: [text(1), text(2), text(3)] }]
    const server = await h.scripted({
      onTasks: (tasks: WireTask[], reply) => {
        for (const task of tasks) {
          if (task.taskType === 'promptEnhance') reply({ data: [{ taskType: 'promptEnhance', taskUUID: task.taskUUID }] })
          else if (task.taskType === 'getResponse') reply(answers.shift() ?? { data: [] })
        }
      },
    })
    const clock = new ManualClock()
    const client = h.client(server.url, { clock, heartbeat: false, poll: { initialDelayMs: 1_000, multiplier: 1, maxDelayMs: 1_000 } })
    const seen: unknown[] = []
    const tasks = record(client, 'task')
    const run = client.run(
      { taskType: 'promptEnhance', prompt: 'a castle', promptVersions: 3, taskUUID, deliveryMethod: 'async' },
      { onResult: (item) => void seen.push(item.text) },
    )
    await until(() => tasks.some((event) => event.type === 'polling'), 'the acknowledgement')
    clock.advance(1_000)
    await until(() => answers.length === 1, 'the first answer')
    await until(() => seen.length === 1, 'the first version')
    clock.advance(1_000)
    const items = await run
    expect(items.map((item) => item.text)).toEqual(['version 1', 'version 2', 'version 3'])
    expect(seen).toEqual(['version 1', 'version 2', 'version 3'])
  })
})

describe('progress', () => {
  const h = useHarness()

  it('under chaos light, async videos of a model that reports progress report it; one that does not, none', async () => {
    // A mutation run (mutation/vitest.config.ts) pays this spec's wall time once per mutant it covers: shorter there.
    const pollMs = process.env.RUNWARE_MUTATION_RUN === '1' ? 80 : 200
    const sim = await h.simulator({ chaos: CHAOS_PRESETS.light, asyncDurationMs: pollMs * 7.5, seed: 1 })
    const client = h.client(sim.url, { poll: { initialDelayMs: pollMs, multiplier: 1, maxDelayMs: pollMs } })
    const progress = record(client, 'progress')
    const video = (model: string) => ({ taskType: 'videoInference', model, positivePrompt: 'waves at dusk', duration: 5, deliveryMethod: 'async' }) as const
    const reporting = await Promise.all(Array.from({ length: 5 }, () => client.run(video('klingai:5@3'))))
    const reported = new Set(progress.map((event) => event.taskUUID))
    expect(reported.size).toBe(5)
    expect(reporting.every((items) => items.length === 1)).toBe(true)
    progress.length = 0
    await Promise.all(Array.from({ length: 2 }, () => client.run(video('bytedance:1@1'))))
    expect(progress).toEqual([])
  })
})
