import { describe, expect, it } from 'vitest'
import { is } from '../helpers/test-client.js'
import { useHarness } from '../helpers/harness.js'
import { afterTick } from '../helpers/wait.js'
import { imageTask } from '../fixtures/tasks.js'

const h = useHarness()

describe('framing', () => {
  it("'item' sends one result item per frame", async () => {
    const sim = await h.simulator({ framing: 'item' })
    const { client } = await h.authed(sim)
    const task = imageTask({ numberResults: 3 })
    client.send([task])
    const frames = await client.collect(is.task(task.taskUUID), (got) => got.length === 3)
    for (const frame of frames) expect(frame.data).toHaveLength(1)
    expect(new Set(frames.map((f) => f.data[0]?.imageUUID)).size).toBe(3)
  })

  it("'task' (the default) sends all items of a task in one frame, one frame per task", async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const a = imageTask({ numberResults: 3 })
    const b = imageTask({ numberResults: 2 })
    client.send([a, b])
    expect((await client.next(is.task(a.taskUUID))).data).toHaveLength(3)
    const frameB = await client.next(is.task(b.taskUUID))
    expect(frameB.data).toHaveLength(2)
    expect(frameB.data.every((i) => i.taskUUID === b.taskUUID)).toBe(true)
  })

  it("'batch' coalesces the items of every task completed in the same turn into one frame", async () => {
    const sim = await h.simulator({ framing: 'batch' })
    const { client } = await h.authed(sim)
    const tasks = [imageTask({ numberResults: 2 }), imageTask(), imageTask({ numberResults: 3 })]
    client.send(tasks)
    const frame = await client.next(is.task(tasks[0]!.taskUUID))
    expect(frame.data).toHaveLength(6)
    expect(new Set(frame.data.map((i) => i.taskUUID))).toEqual(new Set(tasks.map((t) => t.taskUUID)))
  })

  it("'batch' coalesces tasks from separate frames of the same turn, and holds at most maxItemsPerFrame", async () => {
    const sim = await h.simulator({ framing: 'batch', maxItemsPerFrame: 4 })
    const { client } = await h.authed(sim)
    sim.holdResults()
    const tasks = Array.from({ length: 5 }, () => imageTask({ numberResults: 2 }))
    for (const task of tasks) client.send([task])
    await client.ping()
    sim.releaseResults()
    await afterTick()
    const frames = await client.collect(
      (f) => f.data.some((i) => i.taskType === 'imageInference'),
      (got) => got.flatMap((f) => f.data).length === 10,
    )
    expect(frames.map((f) => f.data.length)).toEqual([4, 4, 2])
    expect(frames[0]?.data.map((i) => i.taskUUID)).toEqual([tasks[0]!.taskUUID, tasks[0]!.taskUUID, tasks[1]!.taskUUID, tasks[1]!.taskUUID])
  })

  it("'batch' keeps pongs and auth replies as frames of their own", async () => {
    const sim = await h.simulator({ framing: 'batch' })
    const { client } = await h.authed(sim)
    const task = imageTask()
    client.send([task, { taskType: 'ping', ping: true }])
    const pong = await client.next(is.pong)
    expect(pong.body).toEqual({ data: [{ taskType: 'ping', pong: true }] })
    expect((await client.next(is.task(task.taskUUID))).data).toHaveLength(1)
  })
})
