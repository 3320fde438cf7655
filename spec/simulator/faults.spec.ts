import { describe, expect, it } from 'vitest'
import { MALFORMED_FRAMES } from '../../lib/simulator/index.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { is } from '../helpers/test-client.js'
import { useHarness } from '../helpers/harness.js'
import { afterTick, waitFor } from '../helpers/wait.js'
import { imageTask } from '../fixtures/tasks.js'

const h = useHarness()

const imageItems = (frames: { data: Record<string, unknown>[] }[]): Record<string, unknown>[] =>
  frames.flatMap((f) => f.data).filter((i) => i.taskType === 'imageInference')

describe('dropAll and dropAfterFrames', () => {
  it('dropAll terminates every open socket without a close frame; new sockets work', async () => {
    const sim = await h.simulator()
    const { client: a } = await h.authed(sim)
    const { client: b } = await h.authed(sim)
    sim.dropAll()
    expect(await a.closed).toBe(1006)
    expect(await b.closed).toBe(1006)
    expect(sim.stats.faults.drops).toBe(2)
    const { client: c } = await h.authed(sim)
    await c.ping()
  })

  it('dropAfterFrames(n) lets exactly n more frames out, then terminates', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const before = client.received.length
    sim.dropAfterFrames(3)
    client.send(Array.from({ length: 5 }, () => ({ taskType: 'ping', ping: true })))
    expect(await client.closed).toBe(1006)
    expect(client.received.length - before).toBe(3)
    expect(client.received.slice(before).every(is.pong)).toBe(true)
    expect(sim.stats.faults.drops).toBe(1)
  })

  it('dropAfterFrames keeps the results it could not send for a resume', async () => {
    const sim = await h.simulator({ framing: 'item' })
    const { client: a, sessionUUID } = await h.authed(sim)
    sim.dropAfterFrames(1)
    const task = imageTask({ numberResults: 3 })
    a.send([task])
    expect(await a.closed).toBe(1006)
    expect(imageItems(a.received)).toHaveLength(1)
    const b = await h.connect(sim)
    await b.auth('test-key', sessionUUID)
    const replayed = await b.collect(is.task(task.taskUUID), (got) => got.length === 2)
    expect(imageItems(replayed)).toHaveLength(2)
    expect(sim.stats.replayed).toBe(2)
  })

  it('dropAfterFrames(0) drops now', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    sim.dropAfterFrames(0)
    expect(await client.closed).toBe(1006)
  })
})

describe('silence', () => {
  it('makes open sockets half-open: no pong, no results, and what they receive is not executed', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    sim.silence()
    expect(sim.stats.faults.silences).toBe(1)
    const { pings, tasksReceived, framesSent } = sim.stats
    const seen = client.received.length
    const discarded = waitFor(sim.events, 'frame', (info) => info.discarded)
    const task = imageTask()
    client.send([{ taskType: 'ping', ping: true }, task])
    await discarded
    await afterTick()
    expect(sim.stats.pings).toBe(pings)
    expect(sim.stats.tasksReceived).toBe(tasksReceived)
    expect(sim.stats.executions.has(task.taskUUID)).toBe(false)
    // Nothing was written to any socket, so nothing can still be on its way to the client.
    expect(sim.stats.framesSent).toBe(framesSent)
    expect(client.received.length).toBe(seen)
    expect(client.ws.readyState).toBe(client.ws.OPEN)
    expect(sim.stats.openSockets).toBe(1)
  })

  it('leaves sockets opened afterwards alone', async () => {
    const sim = await h.simulator()
    await h.authed(sim)
    sim.silence()
    const { client } = await h.authed(sim)
    const task = imageTask()
    client.send([task])
    await client.next(is.task(task.taskUUID))
    await client.ping()
  })

  it('ends when the silent socket closes', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    sim.silence()
    const closed = waitFor(sim.events, 'close')
    await client.close()
    await closed
    expect(sim.stats.openSockets).toBe(0)
  })
})

describe('failNext and failTasks', () => {
  it('fails the next n tasks at completion with the documented error item, then runs normally', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    sim.failNext(2, 'timeoutProvider')
    const [t1, t2, t3] = [imageTask(), imageTask(), imageTask()]
    client.send([t1, t2, t3])
    for (const task of [t1, t2]) {
      const frame = await client.next(is.task(task.taskUUID))
      expect(frame.body).toEqual({
        data: [],
        errors: [
          {
            code: 'timeoutProvider',
            message: expect.any(String) as string,
            taskType: 'imageInference',
            taskUUID: task.taskUUID,
            documentation: expect.any(String) as string,
          },
        ],
      })
    }
    expect((await client.next(is.task(t3.taskUUID))).data).toHaveLength(1)
    expect(sim.stats.faults.failures).toBe(2)
    expect(sim.stats.faults.byCode).toEqual({ timeoutProvider: 2 })
    expect(sim.stats.failedTasks).toEqual(
      new Map([
        [t1.taskUUID, 'timeoutProvider'],
        [t2.taskUUID, 'timeoutProvider'],
      ]),
    )
    // An injected failure models a runtime failure: the task was executed.
    expect(sim.stats.executions.get(t1.taskUUID)).toBe(1)
    expect(sim.stats.itemsProduced).toBe(1)
  })

  it('is not consumed by ping, getResponse or authentication', async () => {
    const sim = await h.simulator()
    sim.failNext(1, 'providerError', { message: 'custom text' })
    const { client } = await h.authed(sim)
    await client.ping()
    client.send([{ taskType: 'getResponse', taskUUID: imageTask().taskUUID }])
    await client.next()
    const task = imageTask()
    client.send([task])
    expect((await client.next(is.task(task.taskUUID))).errors[0]).toMatchObject({ code: 'providerError', message: 'custom text' })
  })

  it('can deliver some items before the error (afterItems)', async () => {
    const sim = await h.simulator()
    sim.failNext(1, 'providerError', { afterItems: 2 })
    const { client } = await h.authed(sim)
    const task = imageTask({ numberResults: 4 })
    client.send([task])
    const frames = await client.collect(is.task(task.taskUUID), (got) => got.some((f) => f.errors.length > 0))
    expect(imageItems(frames)).toHaveLength(2)
    expect(frames.at(-1)?.errors[0]?.code).toBe('providerError')
    expect(sim.stats.itemsProduced).toBe(2)
  })

  it('failTasks fails the tasks matching a predicate, at most count of them', async () => {
    const sim = await h.simulator()
    sim.failTasks({ match: (task) => task.numberResults === 2, count: 2 }, 'contentPolicyViolation')
    const { client } = await h.authed(sim)
    const tasks = [imageTask(), imageTask({ numberResults: 2 }), imageTask({ numberResults: 2 }), imageTask({ numberResults: 2 })]
    client.send(tasks)
    const outcomes = await Promise.all(tasks.map(async (t) => (await client.next(is.task(t.taskUUID))).errors[0]?.code ?? 'ok'))
    expect(outcomes).toEqual(['ok', 'contentPolicyViolation', 'contentPolicyViolation', 'ok'])
  })

  it('failTasks fails a seeded-random fraction, the same tasks for the same seed', async () => {
    const uuids = Array.from({ length: 40 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
    const failedWith = async (seed: number): Promise<string[]> => {
      const sim = await h.simulator({ seed })
      sim.failTasks({ fraction: 0.5 }, 'taskFailed')
      const { client } = await h.authed(sim)
      client.send(uuids.map((taskUUID) => imageTask({ taskUUID })))
      await Promise.all(uuids.map((u) => client.next(is.task(u))))
      return [...sim.stats.failedTasks.keys()].sort()
    }
    const first = await failedWith(7)
    expect(first.length).toBeGreaterThan(5)
    expect(first.length).toBeLessThan(35)
    expect(await failedWith(7)).toEqual(first)
  })
  it('contains a throwing predicate to its own task: internalServerError for it, siblings still run', async () => {
    const sim = await h.simulator()
    const reported = waitFor(sim.events, 'internalError')
    sim.failTasks(
      {
        match: (task) => {
          if (task.numberResults === 2) throw new Error('predicate bug')
          return false
        },
      },
      'taskFailed',
    )
    const { client } = await h.authed(sim)
    const [bad, good] = [imageTask({ numberResults: 2 }), imageTask()]
    client.send([bad, good])
    expect((await client.next(is.task(bad.taskUUID))).errors[0]?.code).toBe('internalServerError')
    expect((await client.next(is.task(good.taskUUID))).data).toHaveLength(1)
    expect(((await reported)[0] as Error).message).toBe('predicate bug')
    expect(sim.stats.executions.has(bad.taskUUID)).toBe(false)
    await client.ping()
  })
})

describe('rateLimit', () => {
  it('refuses the next n tasks with the code, without executing them; the same taskUUID may be resent', async () => {
    const sim = await h.simulator()
    sim.rateLimit(1)
    sim.rateLimit(1, 'providerRateLimitExceeded')
    const { client } = await h.authed(sim)
    const [t1, t2] = [imageTask(), imageTask()]
    client.send([t1, t2])
    const e1 = (await client.next(is.task(t1.taskUUID))).errors[0]
    const e2 = (await client.next(is.task(t2.taskUUID))).errors[0]
    expect(e1).toMatchObject({ code: 'rateLimitExceeded', taskUUID: t1.taskUUID, taskType: 'imageInference' })
    expect(e2?.code).toBe('providerRateLimitExceeded')
    expect(sim.stats.executions.size).toBe(0)
    expect(sim.stats.faults.rateLimits).toBe(2)
    expect(sim.stats.rateLimitedTasks.get(t1.taskUUID)).toBe('rateLimitExceeded')
    client.send([t1])
    expect((await client.next(is.task(t1.taskUUID))).data).toHaveLength(1)
    expect(sim.stats.executions.get(t1.taskUUID)).toBe(1)
  })
})

describe('duplicateNext and malformedNext', () => {
  it('sends each of the next n result frames twice', async () => {
    const sim = await h.simulator()
    sim.duplicateNext(1)
    const { client } = await h.authed(sim)
    const [t1, t2] = [imageTask({ numberResults: 2 }), imageTask()]
    client.send([t1, t2])
    const first = await client.next(is.task(t1.taskUUID))
    const again = await client.next(is.task(t1.taskUUID))
    expect(again.text).toBe(first.text)
    await client.next(is.task(t2.taskUUID))
    await client.ping()
    expect(client.received.filter(is.task(t2.taskUUID))).toHaveLength(1)
    expect(sim.stats.faults.duplicates).toBe(1)
    expect(sim.stats.resultsSent).toBe(5)
    expect(sim.stats.itemsProduced).toBe(3)
  })

  it('sends a malformed frame before each of the next n result frames, rotating through the kinds', async () => {
    const sim = await h.simulator()
    sim.malformedNext(MALFORMED_FRAMES.length)
    const { client } = await h.authed(sim)
    const tasks = Array.from({ length: MALFORMED_FRAMES.length + 1 }, () => imageTask())
    const texts: string[] = []
    for (const task of tasks) {
      const start = client.received.length
      client.send([task])
      await client.next(is.task(task.taskUUID))
      texts.push(
        ...client.received
          .slice(start)
          .map((f) => f.text)
          .filter((t) => !t.includes(task.taskUUID)),
      )
    }
    expect(texts).toEqual(MALFORMED_FRAMES)
    expect(sim.stats.faults.malformed).toBe(MALFORMED_FRAMES.length)
    await client.ping()
  })
})

describe('latency, delay, hold', () => {
  it('applies a fixed latency on the injected clock', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, latencyMs: 2_000 })
    const { client } = await h.authed(sim)
    const task = imageTask()
    client.send([task])
    await client.ping()
    clock.advance(1_999)
    await afterTick()
    expect(sim.stats.itemsProduced).toBe(0)
    clock.advance(1)
    await client.next(is.task(task.taskUUID))
  })

  it('draws latency per task from { min, max }', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, latencyMs: { min: 1_000, max: 3_000 } })
    const { client } = await h.authed(sim)
    const tasks = Array.from({ length: 20 }, () => imageTask())
    client.send(tasks)
    await client.ping()
    clock.advance(999)
    await afterTick()
    expect(sim.stats.itemsProduced).toBe(0)
    clock.advance(1_000)
    await afterTick()
    const midway = sim.stats.itemsProduced
    expect(midway).toBeGreaterThan(0)
    expect(midway).toBeLessThan(20)
    clock.advance(1_001)
    await Promise.all(tasks.map((t) => client.next(is.task(t.taskUUID))))
  })

  it('delay(ms, n) adds latency to the next n tasks; delay(ms) to all until delay(0)', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock })
    const { client } = await h.authed(sim)
    sim.delay(5_000, 1)
    const [slow, fast] = [imageTask(), imageTask()]
    client.send([slow, fast])
    await client.next(is.task(fast.taskUUID))
    expect(sim.stats.itemsProduced).toBe(1)
    clock.advance(5_000)
    await client.next(is.task(slow.taskUUID))

    sim.delay(1_000)
    const [a, b] = [imageTask(), imageTask()]
    client.send([a, b])
    await client.ping()
    await afterTick()
    expect(sim.stats.itemsProduced).toBe(2)
    clock.advance(1_000)
    await Promise.all([a, b].map((t) => client.next(is.task(t.taskUUID))))
    sim.delay(0)
    const c = imageTask()
    client.send([c])
    await client.next(is.task(c.taskUUID))
    expect(sim.stats.faults.delays).toBe(3)
  })

  it('holdResults keeps every task pending (getResponse says processing) until releaseResults', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    sim.holdResults()
    const tasks = Array.from({ length: 50 }, () => imageTask())
    client.send(tasks)
    await client.ping()
    await afterTick()
    client.send([{ taskType: 'getResponse', taskUUID: tasks[0]!.taskUUID }])
    expect((await client.next(is.task(tasks[0]!.taskUUID))).data[0]?.status).toBe('processing')
    expect(sim.stats.itemsProduced).toBe(0)
    expect(sim.stats.executions.size).toBe(50)
    sim.releaseResults()
    await Promise.all(tasks.map((t) => client.next(is.task(t.taskUUID))))
    expect(sim.stats.itemsProduced).toBe(50)
  })
})

describe('clearFaults and argument checks', () => {
  it('cancels every pending scripted fault', async () => {
    const sim = await h.simulator()
    sim.failNext(1, 'taskFailed')
    sim.failTasks({}, 'taskFailed')
    sim.rateLimit(1)
    sim.duplicateNext(1)
    sim.malformedNext(1)
    sim.delay(60_000)
    sim.failAuth('invalidApiKey')
    sim.dropAfterFrames(1)
    sim.clearFaults()
    const { client } = await h.authed(sim)
    const task = imageTask()
    client.send([task])
    const frame = await client.next()
    expect(frame.data[0]?.taskUUID).toBe(task.taskUUID)
    await client.ping()
    expect(client.received).toHaveLength(3)
    expect(sim.stats.faults).toMatchObject({ failures: 0, rateLimits: 0, duplicates: 0, malformed: 0, delays: 0, authFailures: 0, drops: 0 })
  })

  it('rejects nonsense arguments synchronously', async () => {
    const sim = await h.simulator()
    expect(() => {
      sim.failNext(-1, 'x')
    }).toThrow(RangeError)
    expect(() => {
      sim.dropAfterFrames(1.5)
    }).toThrow(RangeError)
    expect(() => {
      sim.delay(-5)
    }).toThrow(RangeError)
    expect(() => {
      sim.failTasks({ fraction: 2 }, 'x')
    }).toThrow(RangeError)
  })
})
