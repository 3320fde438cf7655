import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../helpers/manual-clock.js'
import { is, type Received, type TestClient } from '../helpers/test-client.js'
import { useHarness } from '../helpers/harness.js'
import { afterTick } from '../helpers/wait.js'
import { imageTask } from '../fixtures/tasks.js'

const h = useHarness()

async function poll(client: TestClient, taskUUID: string): Promise<Received> {
  client.send([{ taskType: 'getResponse', taskUUID }])
  // getResponse answers are the only frames here with status fields or an empty data list.
  return client.next((f) => (f.data.length === 0 && f.errors.length === 0) || f.data.some((i) => i.taskUUID === taskUUID && 'status' in i))
}

describe('deliveryMethod async and getResponse', () => {
  it('acknowledges once whatever numberResults is, never pushes, and reports rising progress then success', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, asyncDurationMs: 10_000 })
    const { client } = await h.authed(sim)
    const task = {
      taskType: 'videoInference',
      taskUUID: randomUUID(),
      model: 'klingai:5@3',
      positivePrompt: 'waves',
      deliveryMethod: 'async',
      numberResults: 3,
      includeCost: true,
    }
    client.send([task])
    const ack = await client.next(is.task(task.taskUUID))
    expect(ack.body).toEqual({ data: [{ taskType: 'videoInference', taskUUID: task.taskUUID }] })
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)

    clock.advance(3_000)
    const early = await poll(client, task.taskUUID)
    expect(early.data).toHaveLength(3)
    for (const item of early.data) expect(item).toMatchObject({ taskType: 'videoInference', taskUUID: task.taskUUID, status: 'processing' })
    const p1 = early.data[0]?.progress as number
    expect(p1).toBeGreaterThanOrEqual(0)
    expect(p1).toBeLessThan(100)

    clock.advance(4_000)
    const later = await poll(client, task.taskUUID)
    expect(later.data[0]?.progress as number).toBeGreaterThan(p1)

    clock.advance(3_000)
    await afterTick()
    const done = await poll(client, task.taskUUID)
    expect(done.data).toHaveLength(3)
    for (const item of done.data) {
      expect(item).toMatchObject({ status: 'success', taskUUID: task.taskUUID, videoURL: expect.stringMatching(/example\.invalid/) as string })
      expect(typeof item.cost).toBe('number')
    }
    // Same items, same order, on every poll.
    expect((await poll(client, task.taskUUID)).data.map((i) => i.videoUUID)).toEqual(done.data.map((i) => i.videoUUID))
    expect(sim.stats.itemsProduced).toBe(3)
    expect(sim.stats.resultsSent).toBe(0)
    expect(sim.stats.polls).toBe(4)
    expect(sim.stats.executions.size).toBe(1)
  })

  it('runs videoInference async and returns videoUUID, videoURL and seed', async () => {
    const sim = await h.simulator({ asyncDurationMs: 0 })
    const { client } = await h.authed(sim)
    const task = { taskType: 'videoInference', taskUUID: randomUUID(), deliveryMethod: 'async', model: 'klingai:5@3', positivePrompt: 'waves', duration: 5 }
    client.send([task])
    await client.next(is.task(task.taskUUID))
    await afterTick()
    const done = await poll(client, task.taskUUID)
    expect(done.data[0]).toMatchObject({ status: 'success', videoUUID: expect.any(String) as string, seed: expect.any(Number) as number })
    expect(done.data[0]?.videoURL).toMatch(/^https:\/\/example\.invalid\/.+\.mp4$/)
  })

  it('answers exactly {"data":[]} for an unknown taskUUID, and that is not an execution', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const reply = await poll(client, randomUUID())
    expect(reply.text).toBe('{"data":[]}')
    expect(sim.stats.executions.size).toBe(0)
    expect(sim.stats.tasksReceived).toBe(0)
  })

  it('reports a sync task too: processing while it runs, success once done; polling never conflicts', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, latencyMs: 5_000 })
    const { client } = await h.authed(sim)
    const task = imageTask({ numberResults: 2 })
    client.send([task])
    await client.ping()
    const running = await poll(client, task.taskUUID)
    expect(running.data.map((i) => i.status)).toEqual(['processing', 'processing'])
    clock.advance(5_000)
    const pushed = await client.next(is.task(task.taskUUID))
    expect(pushed.data).toHaveLength(2)
    const done = await poll(client, task.taskUUID)
    expect(done.data.map((i) => i.status)).toEqual(['success', 'success'])
    expect(done.data.map((i) => i.imageUUID)).toEqual(pushed.data.map((i) => i.imageUUID))
    await poll(client, task.taskUUID)
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)
  })

  it('reports an injected failure of an async task as status error with a nested error', async () => {
    const sim = await h.simulator({ asyncDurationMs: 0 })
    sim.failNext(1, 'timeoutProvider')
    const { client } = await h.authed(sim)
    const task = imageTask({ deliveryMethod: 'async', numberResults: 2 })
    client.send([task])
    await client.next(is.task(task.taskUUID))
    await afterTick()
    const reply = await poll(client, task.taskUUID)
    expect(reply.data).toHaveLength(2)
    for (const item of reply.data) {
      expect(item).toMatchObject({ taskUUID: task.taskUUID, status: 'error', error: { code: 'timeoutProvider', message: expect.any(String) as string } })
    }
    expect(sim.stats.failedTasks.get(task.taskUUID)).toBe('timeoutProvider')
  })

  it('shows partial results: successes before the injected error', async () => {
    const sim = await h.simulator({ asyncDurationMs: 0 })
    sim.failNext(1, 'providerError', { afterItems: 1 })
    const { client } = await h.authed(sim)
    const task = imageTask({ deliveryMethod: 'async', numberResults: 3 })
    client.send([task])
    await client.next(is.task(task.taskUUID))
    await afterTick()
    expect((await poll(client, task.taskUUID)).data.map((i) => i.status)).toEqual(['success', 'error', 'error'])
    expect(sim.stats.itemsProduced).toBe(1)
  })
})
