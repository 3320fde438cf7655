/**
 * getResponse requests, counted. Each question costs the server a lookup and the socket a frame,
 * and a question not asked leaves a task waiting; docs/recovery.md (How recovery behaves) promises:
 * one question out per task at a time, polls spaced by the poll delays, rounds of at most
 * max(maxBatchSize, 500), and after a reconnect every task being polled, or lost on the wire, is
 * asked once and at once, unless a resumed session's replay is worth waiting for.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { RunwareSocket } from '../../lib/client.js'
import type { RunwareSocketOptions } from '../../lib/api/options.js'
import { IMAGE } from '../fixtures/tasks.js'
import { record, useHarness } from '../helpers/harness.js'
import { ManualClock } from '../helpers/manual-clock.js'
import type { ScriptOptions, ScriptedServer, WireTask } from '../helpers/scripted-server.js'
import { until, waitForState } from '../helpers/wait.js'

const asyncImage = (taskUUID: string) => ({ ...IMAGE, taskUUID, deliveryMethod: 'async' as const })
const processing = (...ids: string[]) => ({ data: ids.map((taskUUID) => ({ taskType: 'imageInference', taskUUID, status: 'processing' })) })
const success = (taskUUID: string) => ({ data: [{ taskType: 'imageInference', taskUUID, status: 'success', imageUUID: randomUUID() }] })

/** Acknowledges async tasks and answers the round-trip marker; an imageInference sent in sync mode and getResponse are left to the spec. */
function answerTasks(tasks: WireTask[], reply: (frame: unknown) => void): void {
  const data: Record<string, unknown>[] = []
  for (const task of tasks) {
    if (task.taskType === 'promptEnhance') data.push({ taskType: 'promptEnhance', taskUUID: task.taskUUID, text: 'marker' })
    else if (task.deliveryMethod === 'async') data.push({ taskType: task.taskType, taskUUID: task.taskUUID })
  }
  if (data.length > 0) reply({ data })
}

/** The taskUUIDs asked about, in order, over every socket. */
function asked(server: ScriptedServer): string[] {
  return server.frames
    .flat()
    .filter((task) => task.taskType === 'getResponse')
    .map((task) => String(task.taskUUID))
}

/**
 * One task through the socket and back: when it resolves, whatever the client sent before has
 * reached the server, and whatever the server sent before has been read (a socket keeps order).
 */
async function roundTrip(client: RunwareSocket): Promise<void> {
  await client.run({ taskType: 'promptEnhance', prompt: 'marker' })
}

describe('getResponse requests, counted', () => {
  const h = useHarness()

  async function setUp(options: RunwareSocketOptions = {}, script: ScriptOptions = {}) {
    const server = await h.scripted({ onTasks: answerTasks, ...script })
    const clock = new ManualClock()
    const client = h.client(server.url, { clock, heartbeat: false, reconnect: { initialDelayMs: 1_000 }, random: () => 0, ...options })
    await client.connect()
    const polling = record(client, 'task')
    /** Starts async tasks and waits for their acknowledgements. */
    const start = async (ids: string[]): Promise<{ runs: Promise<unknown>[] }> => {
      const runs = ids.map((id) => client.run(asyncImage(id), { timeoutMs: 3_600_000 }))
      for (const run of runs) run.catch(() => undefined)
      const wanted = new Set(ids)
      await until(() => polling.filter((event) => event.type === 'polling' && wanted.has(event.taskUUID)).length === ids.length, 'the acknowledgements')
      return { runs }
    }
    /** Moves the clock, then counts what was asked once the socket has carried it. */
    const after = async (ms: number): Promise<number> => {
      clock.advance(ms)
      await roundTrip(client)
      return asked(server).length
    }
    const answer = async (frame: unknown): Promise<void> => {
      server.send(frame)
      await roundTrip(client)
    }
    const reconnect = async (): Promise<void> => {
      const lost = waitForState(client, 'reconnecting')
      server.socket().terminate()
      await lost
      // random() = 0: the reconnect delay is 0.
      clock.advance(0)
      await waitForState(client, 'ready')
    }
    return { server, clock, client, start, after, answer, reconnect }
  }

  it('polls a running task once per delay, ×multiplier up to the cap, one question out at a time, and never after it settles', async () => {
    const { start, after, answer } = await setUp({ poll: { initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 4_000, timeoutMs: 60_000 } })
    const id = randomUUID()
    const {
      runs: [run],
    } = await start([id])
    expect(await after(999)).toBe(0)
    expect(await after(1)).toBe(1)
    // Unanswered, and a minute from being asked again: no second question meanwhile.
    expect(await after(30_000)).toBe(1)
    // Each answer of "still running" sets the next delay: 2 s, 4 s, then the cap (4 s, not 8 s).
    let count = 1
    for (const delay of [2_000, 4_000, 4_000]) {
      await answer(processing(id))
      expect(await after(delay - 1)).toBe(count)
      expect(await after(1)).toBe(++count)
    }
    await answer(success(id))
    await expect(run).resolves.toHaveLength(1)
    expect(await after(120_000)).toBe(4)
  })

  it('asks in rounds of at most max(maxBatchSize, 500), one round out at a time: the next leaves as soon as the last is answered', async () => {
    const { server, start, after, answer } = await setUp({ maxBatchSize: 100, poll: { initialDelayMs: 1_000, timeoutMs: 60_000 } })
    const ids = Array.from({ length: 501 }, () => randomUUID())
    await start(ids)
    expect(await after(1_000)).toBe(500)
    const first = asked(server)
    expect(new Set(first).size).toBe(500)
    // A poll that falls due while the round is out waits for it (answers are matched by counting).
    const late = randomUUID()
    await start([late])
    expect(await after(1_000)).toBe(500)
    await answer(processing(...first))
    expect(asked(server)).toHaveLength(502)
    expect(asked(server).slice(500).sort()).toEqual([...ids.filter((id) => !first.includes(id)), late].sort())
  })

  it('after a reconnect, every task being polled is asked once, at once, on the new socket: the unanswered one too', async () => {
    const { server, start, after, answer, reconnect } = await setUp({ poll: { initialDelayMs: 1_000, multiplier: 2, timeoutMs: 60_000 } })
    const [unanswered, waiting] = [randomUUID(), randomUUID()]
    await start([unanswered, waiting])
    expect(await after(1_000)).toBe(2)
    // `waiting` is answered: its next poll is 2 s away. `unanswered` has its question out.
    await answer(processing(waiting))
    await reconnect()
    expect(await after(0)).toBe(4)
    expect(asked(server).slice(2).sort()).toEqual([unanswered, waiting].sort())
    // And then on the delays again, not twice: `waiting` answered once before, so 4 s.
    await answer(processing(unanswered, waiting))
    expect(await after(1_999)).toBe(4)
  })

  describe('tasks lost on the wire with the socket', () => {
    /** A sync imageInference on the wire, never answered, when the socket drops. */
    async function lostOnTheWire(options: RunwareSocketOptions, script: ScriptOptions = {}) {
      const set = await setUp(options, script)
      const id = randomUUID()
      set.client.run({ ...IMAGE, taskUUID: id }, { timeoutMs: 3_600_000 }).catch(() => undefined)
      await until(() => set.server.frames.some((frame) => frame[0]?.taskUUID === id), 'the task on the server')
      await set.reconnect()
      return { ...set, id }
    }

    it('a fresh session (not resumed) asks about them at once, with no ping: there is no replay to wait for', async () => {
      const { server, after, id } = await lostOnTheWire(
        { resumeGraceMs: 60_000 },
        { pong: false, onAuth: (_task, reply) => reply({ data: [{ taskType: 'authentication', connectionSessionUUID: randomUUID() }] }) },
      )
      expect(await after(0)).toBe(1)
      expect(asked(server)).toEqual([id])
      expect(server.pings).toBe(0)
    })

    it('a resumed session with resumeGraceMs: 0 asks about them at once, with no ping', async () => {
      const { server, after, id } = await lostOnTheWire({ resumeGraceMs: 0 }, { pong: false })
      expect(await after(0)).toBe(1)
      expect(asked(server)).toEqual([id])
      expect(server.pings).toBe(0)
    })

    it('a resumed session whose server never answers the ping: asked about once resumeGraceMs has passed', async () => {
      const { server, after, id } = await lostOnTheWire({ resumeGraceMs: 5_000 }, { pong: false })
      expect(await after(4_999)).toBe(0)
      expect(server.pings).toBe(1)
      expect(await after(1)).toBe(1)
      expect(asked(server)).toEqual([id])
    })
  })

  it('a reconnect with nothing on the wire sends nothing but the handshake: no ping, no question', async () => {
    const { server, after, reconnect } = await setUp({ resumeGraceMs: 5_000 })
    await reconnect()
    expect(await after(0)).toBe(0)
    expect(server.pings).toBe(0)
    expect(server.auths).toHaveLength(2)
  })
})
