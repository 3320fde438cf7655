import { describe, expect, it } from 'vitest'
import { ManualClock } from '../helpers/manual-clock.js'
import { is } from '../helpers/test-client.js'
import { useHarness } from '../helpers/harness.js'
import { afterTick, waitFor } from '../helpers/wait.js'
import { imageTask } from '../fixtures/tasks.js'

const h = useHarness()

describe('sessions and resume', () => {
  it('buffers results of a dead socket and replays them, with their original taskUUIDs, on resume within the window', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, latencyMs: 1_000, resumeWindowMs: 60_000 })
    const { client: a, sessionUUID } = await h.authed(sim)
    const t1 = imageTask({ numberResults: 2 })
    const t2 = imageTask()
    a.send([t1, t2])
    await a.ping()
    sim.dropAll()
    await a.closed
    expect(sim.stats.faults.drops).toBe(1)

    clock.advance(1_000)
    await afterTick()
    expect(sim.stats.itemsProduced).toBe(3)
    expect(sim.stats.resultsSent).toBe(0)

    clock.advance(30_000)
    const b = await h.connect(sim)
    expect(await b.auth('test-key', sessionUUID)).toBe(sessionUUID)
    const frames = await b.collect(
      (f) => f.data.some((i) => i.taskType === 'imageInference'),
      (got) => got.flatMap((f) => f.data).length === 3,
    )
    const items = frames.flatMap((f) => f.data)
    expect(items.filter((i) => i.taskUUID === t1.taskUUID)).toHaveLength(2)
    expect(items.filter((i) => i.taskUUID === t2.taskUUID)).toHaveLength(1)
    expect(sim.stats.resumes).toBe(1)
    expect(sim.stats.replayed).toBe(3)
    expect(sim.stats.resultsSent).toBe(3)
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('delivers tasks still running when the socket died to the re-attached socket', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, latencyMs: 5_000 })
    const { client: a, sessionUUID } = await h.authed(sim)
    const task = imageTask()
    a.send([task])
    await a.ping()
    await a.close()
    const b = await h.connect(sim)
    expect(await b.auth('test-key', sessionUUID)).toBe(sessionUUID)
    clock.advance(5_000)
    const frame = await b.next(is.task(task.taskUUID))
    expect(frame.data[0]?.taskUUID).toBe(task.taskUUID)
    expect(sim.stats.replayed).toBe(0)
  })

  it('after the window the buffer is gone: a new session UUID, no replay, but getResponse still answers', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, latencyMs: 1_000, resumeWindowMs: 120_000 })
    const { client: a, sessionUUID } = await h.authed(sim)
    const task = imageTask({ numberResults: 2 })
    a.send([task])
    await a.ping()
    sim.dropAll()
    await a.closed
    clock.advance(1_000)
    await afterTick()

    const expired = waitFor(sim.events, 'sessionExpired')
    clock.advance(120_000)
    expect((await expired)[0].sessionUUID).toBe(sessionUUID)

    const b = await h.connect(sim)
    const fresh = await b.auth('test-key', sessionUUID)
    expect(fresh).not.toBe(sessionUUID)
    await b.ping()
    // Anything replayed would have been sent between the auth reply and the pong.
    expect(b.received.flatMap((f) => f.data).filter((i) => i.taskType === 'imageInference')).toEqual([])
    expect(sim.stats.resumes).toBe(0)
    expect(sim.stats.replayed).toBe(0)

    b.send([{ taskType: 'getResponse', taskUUID: task.taskUUID }])
    const answer = await b.next(is.task(task.taskUUID))
    expect(answer.data.map((i) => i.status)).toEqual(['success', 'success'])
  })

  it('counts the window from the socket death, with the clock checked at resume time', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, resumeWindowMs: 10_000 })
    const { client: a, sessionUUID } = await h.authed(sim)
    // The window starts when the server sees the socket die, so wait for that, not for the client.
    let serverSawClose = waitFor(sim.events, 'close')
    await a.close()
    await serverSawClose
    clock.advance(9_999)
    const b = await h.connect(sim)
    expect(await b.auth('test-key', sessionUUID)).toBe(sessionUUID)
    serverSawClose = waitFor(sim.events, 'close')
    await b.close()
    await serverSawClose
    clock.advance(10_001)
    const c = await h.connect(sim)
    expect(await c.auth('test-key', sessionUUID)).not.toBe(sessionUUID)
    expect(sim.stats.resumes).toBe(1)
  })

  it('buffers results while the session socket is silent, and replays them on a new socket', async () => {
    const sim = await h.simulator()
    const { client: a, sessionUUID } = await h.authed(sim)
    sim.holdResults()
    const task = imageTask()
    a.send([task])
    await a.ping()
    sim.silence()
    sim.releaseResults()
    await afterTick()
    expect(sim.stats.resultsSent).toBe(0)
    const b = await h.connect(sim)
    expect(await b.auth('test-key', sessionUUID)).toBe(sessionUUID)
    expect((await b.next(is.task(task.taskUUID))).data).toHaveLength(1)
    expect(a.received.some((f) => f.data.some((i) => i.taskUUID === task.taskUUID))).toBe(false)
  })

  it('moves a session to the socket that resumes it, even while the old socket is still open', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, latencyMs: 1_000 })
    const { client: a, sessionUUID } = await h.authed(sim)
    const task = imageTask()
    a.send([task])
    await a.ping()
    const b = await h.connect(sim)
    expect(await b.auth('test-key', sessionUUID)).toBe(sessionUUID)
    expect(sim.stats.resumes).toBe(1)
    clock.advance(1_000)
    await b.next(is.task(task.taskUUID))
    // The old socket no longer holds a session.
    a.send([imageTask()])
    expect((await a.next(is.error('authenticationRequired'))).errors).toHaveLength(1)
  })
})
