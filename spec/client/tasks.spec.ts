import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { RunwareError } from '../../lib/support/errors.js'
import type { ResultItem } from '../../lib/protocol/protocol.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { record, taskEvents, useHarness } from '../helpers/harness.js'
import { failure, until, waitFor } from '../helpers/wait.js'
import { IMAGE } from '../fixtures/tasks.js'
import type { WireTask } from '../helpers/scripted-server.js'

const image = IMAGE
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function rejection(result: PromiseSettledResult<unknown>): RunwareError {
  if (result.status !== 'rejected') throw new Error('expected a rejection')
  return result.reason as RunwareError
}

describe('run', () => {
  const h = useHarness()

  it('fills in a UUID v4 taskUUID and resolves with the result items', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    const items = await client.run({ ...image, numberResults: 2, includeCost: true })
    expect(items).toHaveLength(2)
    const taskUUID = items[0]?.taskUUID
    expect(taskUUID).toMatch(UUID_V4)
    for (const item of items) {
      expect(item).toMatchObject({ taskType: 'imageInference', taskUUID })
      expect(item.imageURL).toMatch(/^https:\/\/example\.invalid\//)
      expect(typeof item.cost).toBe('number')
    }
    expect(new Set(items.map((item) => item.imageUUID)).size).toBe(2)
    expect(sim.stats.executions.get(taskUUID ?? '')).toBe(1)
  })

  it("keeps the caller's taskUUID", async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    const taskUUID = randomUUID()
    const items = await client.run({ ...image, taskUUID })
    expect(items[0]?.taskUUID).toBe(taskUUID)
  })

  it.each(['item', 'task', 'batch'] as const)('counts items, not frames, with %s framing', async (framing) => {
    const sim = await h.simulator({ framing })
    const client = h.client(sim.url)
    const seen: ResultItem[] = []
    const [four, one, three] = await Promise.all([
      client.run({ ...image, numberResults: 4 }, { onResult: (item) => seen.push(item) }),
      client.run(image),
      client.run({ ...image, numberResults: 3 }),
    ])
    expect(four).toHaveLength(4)
    expect(one).toHaveLength(1)
    expect(three).toHaveLength(3)
    expect(seen).toEqual(four)
  })

  it('completes promptEnhance on promptVersions items', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    const items = await client.run({ taskType: 'promptEnhance', prompt: 'a castle', promptMaxLength: 120, promptVersions: 3 })
    expect(items).toHaveLength(3)
    expect(new Set(items.map((item) => item.text)).size).toBe(3)
  })

  it('completes modelUpload on its "ready" item and rejects on "failed"', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        for (const task of tasks) {
          const base = { taskType: 'modelUpload', taskUUID: task.taskUUID }
          if (task.name === 'good') {
            reply({ data: [{ ...base, status: 'validated' }] })
            reply({
              data: [
                { ...base, status: 'downloaded' },
                { ...base, status: 'optimized' },
              ],
            })
            reply({ data: [{ ...base, status: 'ready', air: 'user:1@1' }] })
          } else {
            reply({ data: [{ ...base, status: 'validated' }] })
            reply({ data: [{ ...base, status: 'failed', error: { code: 'invalidModelFile', message: 'not a safetensors file' } }] })
          }
        }
      },
    })
    const client = h.client(server.url)
    const stages: unknown[] = []
    const upload = {
      taskType: 'modelUpload',
      category: 'lora',
      architecture: 'sdxl',
      format: 'safetensors',
      version: '1',
      downloadURL: 'https://example.invalid/m.safetensors',
    } as const
    const items = await client.run({ ...upload, name: 'good' }, { onResult: (item) => stages.push(item.status) })
    expect(items.map((item) => item.status)).toEqual(['validated', 'downloaded', 'optimized', 'ready'])
    expect(stages).toEqual(['validated', 'downloaded', 'optimized', 'ready'])
    await expect(client.run({ ...upload, name: 'bad' })).rejects.toMatchObject({ code: 'invalidModelFile' })
  })

  it('sends tasks submitted in the same tick as one frame, in batches of maxBatchSize', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => reply({ data: tasks.map((task) => ({ taskType: task.taskType, taskUUID: task.taskUUID, imageUUID: randomUUID() })) }),
    })
    const client = h.client(server.url, { maxBatchSize: 4 })
    await client.connect()
    await Promise.all(Array.from({ length: 10 }, () => client.run(image)))
    expect(server.frames.map((frame) => frame.length)).toEqual([4, 4, 2])
    await Promise.all(Array.from({ length: 3 }, () => client.run(image)))
    expect(server.frames.map((frame) => frame.length)).toEqual([4, 4, 2, 3])
  })

  it('the frames of one tick leave together, before any answer comes back', async () => {
    // The server answers nothing until all ten tasks are in: a client that sends one frame per
    // flush and the next only when results return would wait here forever.
    const held: WireTask[] = []
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        held.push(...tasks)
        if (held.length === 10) reply({ data: held.map((task) => ({ taskType: task.taskType, taskUUID: task.taskUUID, imageUUID: randomUUID() })) })
      },
    })
    const client = h.client(server.url, { maxBatchSize: 4 })
    await client.connect()
    const runs = Array.from({ length: 10 }, () => client.run(image))
    await until(() => server.frames.length === 3, 'three frames with no answer yet')
    expect(server.frames.map((frame) => frame.length)).toEqual([4, 4, 2])
    expect(await Promise.all(runs)).toHaveLength(10)
  })

  it('keeps at most maxInFlight tasks on the wire; the rest wait in the queue', async () => {
    const sim = await h.simulator()
    sim.holdResults()
    const client = h.client(sim.url, { maxInFlight: 3 })
    const all = Promise.all(Array.from({ length: 7 }, () => client.run(image)))
    await until(() => sim.stats.tasksReceived === 3, 'three tasks on the wire')
    expect(client.inFlight).toBe(3)
    expect(client.pending).toBe(7)
    sim.releaseResults()
    expect(await all).toHaveLength(7)
    expect(sim.stats.tasksReceived).toBe(7)
    expect(client.inFlight).toBe(0)
  })

  it('rejects a full queue with queueFull, never dropping silently', async () => {
    const sim = await h.simulator()
    sim.holdResults()
    const client = h.client(sim.url, { maxInFlight: 1, maxQueued: 2 })
    const first = client.run(image)
    await until(() => sim.stats.tasksReceived === 1, 'first task on the wire')
    const queued = [client.run(image), client.run(image)]
    await expect(client.run(image)).rejects.toMatchObject({ code: 'queueFull', category: 'client' })
    sim.releaseResults()
    await expect(Promise.all([first, ...queued])).resolves.toHaveLength(3)
  })

  it('routes an error that names a task to that task only, with every field of the server error', async () => {
    const documentation = 'https://runware.ai/docs/en/image-inference/api-reference#request-width'
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const [a, b, c] = tasks
        reply({
          data: [a, c].map((task) => ({ taskType: 'imageInference', taskUUID: task?.taskUUID, imageUUID: randomUUID() })),
          errors: [
            {
              code: 'invalidWidth',
              message: 'Invalid value for width',
              parameter: 'width',
              type: 'integer',
              min: 128,
              max: 2048,
              documentation,
              taskType: 'imageInference',
              taskUUID: b?.taskUUID,
            },
          ],
        })
      },
    })
    const client = h.client(server.url)
    await client.connect()
    const b = randomUUID()
    const results = await Promise.allSettled([client.run(image), client.run({ ...image, taskUUID: b, width: 5 }), client.run(image)])
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    const error = rejection(results[1])
    expect(error).toBeInstanceOf(RunwareError)
    expect(error).toMatchObject({
      code: 'invalidWidth',
      category: 'validation',
      retryable: false,
      parameter: 'width',
      taskType: 'imageInference',
      taskUUID: b,
      documentation,
    })
    expect(error.message).toBe('Invalid value for width')
    expect(error.raw).toMatchObject({ type: 'integer', min: 128, max: 2048 })
  })

  it('never broadcasts an error without a taskUUID: it is emitted as `error` and the tasks carry on', async () => {
    let pendingReply: (() => void) | undefined
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        pendingReply = () => reply({ data: tasks.map((task) => ({ taskType: 'imageInference', taskUUID: task.taskUUID, imageUUID: randomUUID() })) })
      },
    })
    const client = h.client(server.url)
    const errors = record(client, 'error')
    const tasks = Promise.all([client.run(image), client.run(image)])
    await server.nextFrame()
    server.send({ errors: [{ code: 'somethingNobodyDocumented', message: 'late and unaddressed' }] })
    await waitFor(client, 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'somethingNobodyDocumented', category: 'unknown', taskUUID: undefined })
    expect(client.pending).toBe(2)
    pendingReply?.()
    await expect(tasks).resolves.toHaveLength(2)
  })

  it('an unaddressed auth error while ready fails the connection and rejects everything pending', async () => {
    const server = await h.scripted({ onTasks: () => undefined })
    const client = h.client(server.url)
    const tasks = Promise.allSettled([client.run(image), client.run(image)])
    await server.nextFrame()
    server.send({ errors: [{ code: 'invalidApiKey', message: 'key revoked', taskType: 'authentication' }] })
    const results = await tasks
    for (const result of results) expect(rejection(result).code).toBe('invalidApiKey')
    expect(client.state).toBe('failed')
  })

  it('reports items and errors for an unknown taskUUID as orphans and harms nothing', async () => {
    const stray = randomUUID()
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const task = tasks[0]
        reply({ data: [{ taskType: 'imageInference', taskUUID: stray, imageUUID: 'not-yours' }] })
        reply({ errors: [{ code: 'timeoutProvider', message: 'late', taskUUID: stray, taskType: 'imageInference' }] })
        reply({ data: [{ taskType: 'imageInference', taskUUID: task?.taskUUID, imageUUID: 'yours' }] })
      },
    })
    const client = h.client(server.url)
    const orphans = record(client, 'orphan')
    const errors = record(client, 'error')
    const items = await client.run(image)
    expect(items.map((item) => item.imageUUID)).toEqual(['yours'])
    expect(orphans).toHaveLength(2)
    expect(orphans[0]).toMatchObject({ taskUUID: stray, item: { imageUUID: 'not-yours' } })
    expect(orphans[1]).toMatchObject({ taskUUID: stray, error: { code: 'timeoutProvider' } })
    expect(errors).toHaveLength(0)
    expect(client.state).toBe('ready')
  })
})

describe('abort and deadlines', () => {
  const h = useHarness()

  it('an already aborted signal rejects at once and sends nothing', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    const controller = new AbortController()
    controller.abort(new Error('user gave up'))
    await expect(client.run(image, { signal: controller.signal })).rejects.toMatchObject({ code: 'aborted', category: 'client' })
    expect(client.state).toBe('idle')
    expect(sim.stats.connections).toBe(0)
  })

  it('aborting before the task is sent takes it out of the queue', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    const controller = new AbortController()
    const doomed = client.run(image, { signal: controller.signal })
    const kept = client.run(image)
    // Still connecting: both are queued. Abort one before the socket is ready.
    expect(client.state).toBe('connecting')
    controller.abort()
    await expect(doomed).rejects.toMatchObject({ code: 'aborted' })
    await expect(kept).resolves.toHaveLength(1)
    expect(sim.stats.tasksReceived).toBe(1)
  })

  it('aborting after the task is sent rejects it; its late result is an orphan', async () => {
    const sim = await h.simulator()
    sim.holdResults()
    const client = h.client(sim.url)
    const orphans = record(client, 'orphan')
    const controller = new AbortController()
    const task = client.run(image, { signal: controller.signal })
    await until(() => sim.stats.tasksReceived === 1, 'task on the wire')
    controller.abort()
    const error = await failure(task)
    expect(error).toMatchObject({ code: 'aborted', message: 'the task was aborted', taskType: 'imageInference', taskUUID: expect.any(String) as string })
    sim.releaseResults()
    await until(() => orphans.length === 1, 'late result reported as an orphan')
    expect(orphans[0]?.taskUUID).toBe(error.taskUUID)
    expect(client.pending).toBe(0)
  })

  it('rejects with taskTimeout at the deadline (per task or the client default)', async () => {
    const sim = await h.simulator()
    sim.holdResults()
    const clock = new ManualClock()
    const client = h.client(sim.url, { clock, taskTimeoutMs: 60_000 })
    const short = client.run(image, { timeoutMs: 5_000 })
    const long = client.run(image)
    const settled = Promise.allSettled([short, long])
    await until(() => sim.stats.tasksReceived === 2, 'tasks on the wire')
    clock.advance(4_999)
    expect(client.pending).toBe(2)
    clock.advance(1)
    expect(client.pending).toBe(1)
    clock.advance(55_000)
    expect(client.pending).toBe(0)
    const [a, b] = await settled
    expect(rejection(a)).toMatchObject({
      code: 'taskTimeout',
      message: 'task timed out after 5000 ms',
      taskType: 'imageInference',
      taskUUID: expect.any(String) as string,
    })
    expect(rejection(b)).toMatchObject({ code: 'taskTimeout', message: 'task timed out after 60000 ms' })
  })

  // The figure docs/benchmarks.md reports; a mutation run (mutation/vitest.config.ts) takes a tenth, the same paths
  // in a tenth of the time, since this spec covers nearly every mutant of the core.
  const PENDING = process.env.RUNWARE_MUTATION_RUN === '1' ? 10_000 : 100_000

  it(`keeps one clock timer for ${PENDING.toLocaleString('en-US')} pending deadlines`, async () => {
    const sim = await h.simulator()
    sim.holdResults()
    const clock = new ManualClock()
    const client = h.client(sim.url, { clock, heartbeat: false, maxInFlight: Infinity, maxBatchSize: 1000 })
    const tasks = Array.from({ length: PENDING }, (_, i) => client.run({ taskType: 'promptEnhance', prompt: `p${i}` }, { timeoutMs: 1_000 + (i % 977) }))
    const settled = Promise.allSettled(tasks)
    expect(client.pending).toBe(PENDING)
    // connect timeout (one) + the deadline schedule (one), whatever the number of tasks.
    expect(clock.pending).toBeLessThanOrEqual(2)
    clock.advance(2_000)
    const results = await settled
    expect(results.every((result) => result.status === 'rejected' && (result.reason as RunwareError).code === 'taskTimeout')).toBe(true)
    expect(client.pending).toBe(0)
  })
})

describe('bad input', () => {
  const h = useHarness()

  it.each([
    ['not an object', null, /plain object, got null/],
    ['an array', [image], /plain object, got an array/],
    ['no taskType', { model: 'x' }, /taskType must be a non-empty string/],
    ['a numeric taskType', { taskType: 5 }, /taskType must be a non-empty string, got number/],
    ['a taskUUID that is not a UUID', { ...image, taskUUID: 'task-1' }, /taskUUID must be a UUID, got "task-1"/],
    ['a BigInt', { ...image, seed: 10n }, /cannot be encoded as JSON.*BigInt/],
    ['a reserved task type', { taskType: 'getResponse', taskUUID: randomUUID() }, /managed by the client/],
    ['a bad numberResults', { ...image, numberResults: 0 }, /numberResults must be an integer/],
  ])('refuses %s with invalidTask before anything is sent', async (_name, task, message) => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    const ok = client.run(image)
    const error = await failure(client.run(task as never))
    expect(error).toBeInstanceOf(RunwareError)
    expect(error.code).toBe('invalidTask')
    expect(error.message).toMatch(message)
    await expect(ok).resolves.toHaveLength(1)
    expect(sim.stats.tasksReceived).toBe(1)
  })

  it('refuses cycles and a taskUUID that is already pending', async () => {
    const sim = await h.simulator()
    sim.holdResults()
    const client = h.client(sim.url)
    const cyclic: Record<string, unknown> = { ...image }
    cyclic.self = cyclic
    await expect(client.run(cyclic as never)).rejects.toMatchObject({ code: 'invalidTask', message: expect.stringMatching(/circular/) as unknown })
    const taskUUID = randomUUID()
    const first = client.run({ ...image, taskUUID })
    await expect(client.run({ ...image, taskUUID })).rejects.toMatchObject({ code: 'invalidTask', message: `taskUUID ${taskUUID} is already pending` })
    sim.releaseResults()
    await expect(first).resolves.toHaveLength(1)
  })
})

describe('async delivery', () => {
  const h = useHarness()

  it('waits for the acknowledgement, polls getResponse with backoff, reports progress and resolves', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, asyncDurationMs: 10_000 })
    const client = h.client(sim.url, { clock, heartbeat: false })
    const progress: number[] = []
    const events = record(client, 'progress')
    const task = client.run(
      { taskType: 'videoInference', model: 'klingai:5@3', positivePrompt: 'waves', duration: 5, deliveryMethod: 'async' },
      { onProgress: (p) => progress.push(p) },
    )
    await waitFor(client, 'task', (event) => event.type === 'polling')
    // Polls at +1 s, then 1.5 s, 2.25 s, 3.375 s … later.
    const pollTimes: number[] = []
    for (const step of [1_000, 1_500, 2_250, 3_375, 5_063]) {
      const before = sim.stats.polls
      clock.advance(step - 1)
      await new Promise((resolve) => setImmediate(resolve))
      expect(sim.stats.polls).toBe(before)
      clock.advance(1)
      await until(() => sim.stats.polls === before + 1 || client.pending === 0, 'a poll')
      pollTimes.push(clock.now())
      await new Promise((resolve) => setImmediate(resolve))
    }
    const items = await task
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ taskType: 'videoInference', status: 'success' })
    expect(progress.length).toBeGreaterThanOrEqual(3)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))
    expect(events.map((event) => event.progress)).toEqual(progress)
    expect(sim.stats.executions.size).toBe(1)
  })

  it('rejects on a status "error" item and on a top-level error for the task', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        for (const task of tasks) {
          if (task.taskType === 'getResponse') {
            const failed = {
              taskType: 'videoInference',
              taskUUID: task.taskUUID,
              status: 'error',
              error: { code: 'contentPolicyViolation', message: 'blocked' },
            }
            if (task.taskUUID === nested) reply({ data: [failed] })
            else reply({ errors: [{ code: 'insufficientCredits', message: 'top up', taskUUID: task.taskUUID, taskType: 'videoInference' }] })
          } else {
            reply({ data: [{ taskType: task.taskType, taskUUID: task.taskUUID }] })
          }
        }
      },
    })
    const nested = randomUUID()
    const client = h.client(server.url, { poll: { initialDelayMs: 0 } })
    const video = { taskType: 'videoInference', model: 'm', positivePrompt: 'p', deliveryMethod: 'async' } as const
    await expect(client.run({ ...video, taskUUID: nested })).rejects.toMatchObject({ code: 'contentPolicyViolation', category: 'safety', taskUUID: nested })
    await expect(client.run(video)).rejects.toMatchObject({ code: 'insufficientCredits', category: 'quota' })
  })

  it('sends an unanswered poll again after poll.timeoutMs', async () => {
    let answer = false
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        for (const task of tasks) {
          if (task.taskType !== 'getResponse') reply({ data: [{ taskType: 'videoInference', taskUUID: task.taskUUID }] })
          else if (answer)
            reply({
              data: [{ taskType: 'videoInference', taskUUID: task.taskUUID, status: 'success', videoUUID: 'v1', videoURL: 'https://example.invalid/v1.mp4' }],
            })
        }
      },
    })
    const clock = new ManualClock()
    const client = h.client(server.url, { clock, heartbeat: false, poll: { initialDelayMs: 1_000, timeoutMs: 4_000 } })
    const task = client.run({ taskType: 'videoInference', model: 'm', positivePrompt: 'p', deliveryMethod: 'async' })
    await waitFor(client, 'task', (event) => event.type === 'polling')
    const polls = (): number => server.frames.filter((frame) => frame[0]?.taskType === 'getResponse').length
    clock.advance(1_000)
    await until(() => polls() === 1, 'first poll')
    clock.advance(3_999)
    await new Promise((resolve) => setImmediate(resolve))
    expect(polls()).toBe(1)
    answer = true
    clock.advance(1)
    await until(() => polls() === 2, 'the poll sent again')
    await expect(task).resolves.toHaveLength(1)
  })
})

describe('stream', () => {
  const h = useHarness()

  it('yields items as they arrive and ends when the task completes', async () => {
    const sim = await h.simulator({ framing: 'item' })
    const client = h.client(sim.url)
    const seen: unknown[] = []
    for await (const item of client.stream({ ...image, numberResults: 3 })) seen.push(item.imageUUID)
    expect(seen).toHaveLength(3)
    expect(client.pending).toBe(0)
  })

  it("throws the task's error", async () => {
    const sim = await h.simulator()
    sim.failNext(1, 'contentPolicyViolation')
    const client = h.client(sim.url)
    const consume = async (): Promise<number> => {
      let n = 0
      for await (const _item of client.stream(image)) n += 1
      return n
    }
    await expect(consume()).rejects.toMatchObject({ code: 'contentPolicyViolation' })
  })

  it('leaving the loop early stops listening and cleans up', async () => {
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        const task = tasks[0]
        reply({ data: [{ taskType: 'imageInference', taskUUID: task?.taskUUID, imageUUID: 'first' }] })
      },
    })
    const client = h.client(server.url)
    const orphans = record(client, 'orphan')
    const events = taskEvents(client)
    let taskUUID: string | undefined
    for await (const item of client.stream({ ...image, numberResults: 3 })) {
      taskUUID = item.taskUUID
      break
    }
    expect(client.pending).toBe(0)
    expect(events.at(-1)).toMatchObject({ type: 'settled', outcome: 'rejected', code: 'aborted' })
    server.send({ data: [{ taskType: 'imageInference', taskUUID, imageUUID: 'second' }] })
    await until(() => orphans.length === 1, 'the late item as an orphan')
  })
  it("the caller's signal reaches the task, aborted before or during the loop, with its reason", async () => {
    const sim = await h.simulator()
    sim.holdResults()
    const client = h.client(sim.url)
    const drain = async (signal: AbortSignal): Promise<number> => {
      let n = 0
      for await (const _item of client.stream(image, { signal })) n += 1
      return n
    }
    const before = new AbortController()
    before.abort('early')
    await expect(drain(before.signal)).rejects.toMatchObject({ code: 'aborted', cause: 'early' })
    const during = new AbortController()
    const consumed = drain(during.signal)
    await until(() => sim.stats.tasksReceived === 1, 'the task on the wire')
    during.abort('late')
    await expect(consumed).rejects.toMatchObject({ code: 'aborted', cause: 'late' })
    expect(client.pending).toBe(0)
  })
})

describe('task events', () => {
  const h = useHarness()

  it("a listener that throws is logged (with the client's id) and disturbs nothing", async () => {
    const sim = await h.simulator({ framing: 'batch' })
    const lines: string[] = []
    const client = h.client(sim.url, { logger: { error: (message, fields) => lines.push(`${message} ${JSON.stringify(fields)}`) } })
    client.on('task', () => {
      throw new Error('listener bug')
    })
    const results = await Promise.all([client.run(image), client.run({ ...image, numberResults: 2 }), client.run(image)])
    expect(results.map((items) => items.length)).toEqual([1, 2, 1])
    expect(client.pending).toBe(0)
    expect(lines.length).toBeGreaterThanOrEqual(9)
    expect(lines[0]).toContain("a 'task' listener threw")
    expect(lines[0]).toContain(`"client":"${client.id}"`)
    expect(lines[0]).toContain('listener bug')
  })

  it('reports queued, sent and settled for each task', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url)
    const events = taskEvents(client)
    const [item] = await client.run(image)
    const taskUUID = item?.taskUUID
    expect(events.map((event) => event.type)).toEqual(['queued', 'sent', 'settled'])
    expect(events[1]).toMatchObject({ type: 'sent', taskUUID, wireUUID: taskUUID, attempt: 1 })
    expect(events[2]).toMatchObject({ type: 'settled', outcome: 'resolved', taskUUID, items: 1 })
  })
})
