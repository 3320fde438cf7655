/**
 * The simulator over HTTP: POST on the WebSocket's port with the same tasks, validation and codes;
 * statuses by code; the HTTP faults (statuses, a reset after a request was accepted, slow bodies,
 * cut streams, refused upgrades); streamed text as server-sent events.
 */
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../lib/simulator/index.js'
import { eventually, until } from '../helpers/wait.js'

const KEY = 'sim-key'
const sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map((sim) => sim.close()))
})

async function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ apiKeys: [KEY], ...options })
  sims.push(sim)
  return sim
}

const image = (extra: Record<string, unknown> = {}) => ({
  taskType: 'imageInference',
  taskUUID: randomUUID(),
  model: 'runware:101@1',
  positivePrompt: 'a lighthouse at night',
  width: 512,
  height: 512,
  ...extra,
})

interface Answer {
  status: number
  type: string | null
  body: { data?: Record<string, unknown>[]; errors?: Record<string, unknown>[] }
}

async function post(sim: Simulator, tasks: unknown, key: string | null = KEY): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (key !== null) headers.authorization = `Bearer ${key}`
  const response = await fetch(sim.httpUrl, { method: 'POST', headers, body: typeof tasks === 'string' ? tasks : JSON.stringify(tasks) })
  const text = await response.text()
  let body: Answer['body']
  try {
    body = JSON.parse(text) as Answer['body']
  } catch {
    body = {}
  }
  return { status: response.status, type: response.headers.get('content-type'), body }
}

describe('the simulator over HTTP', () => {
  it('runs a sync task and answers its items with 200, on the same port as the WebSocket', async () => {
    const sim = await simulator()
    const task = image({ numberResults: 3 })
    const answer = await post(sim, [task])
    expect(sim.httpUrl).toBe(sim.url.replace('ws://', 'http://'))
    expect(answer.status).toBe(200)
    expect(answer.body.data).toHaveLength(3)
    expect(answer.body.data?.every((item) => item.taskUUID === task.taskUUID && typeof item.imageURL === 'string')).toBe(true)
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)
    expect(sim.stats.httpRequests).toBe(1)
  })

  it('takes the key from an authentication task first (answered with a session, as on a socket), and refuses a missing or wrong key with 401', async () => {
    const sim = await simulator()
    const task = image()
    const viaTask = await post(sim, [{ taskType: 'authentication', apiKey: KEY }, task], null)
    expect(viaTask.status).toBe(200)
    expect(viaTask.body.data).toMatchObject([{ taskType: 'authentication', connectionSessionUUID: expect.any(String) as string }, { taskUUID: task.taskUUID }])
    const refusedTask = await post(sim, [{ taskType: 'authentication', apiKey: 'not-the-key' }, image()], null)
    expect(refusedTask.status).toBe(401)
    expect(refusedTask.body.errors?.[0]?.code).toBe('invalidApiKey')
    const missing = await post(sim, [image()], null)
    expect(missing.status).toBe(401)
    expect(missing.body.errors?.[0]?.code).toBe('missingApiKey')
    const wrong = await post(sim, [image()], 'not-the-key')
    expect(wrong.status).toBe(401)
    expect(wrong.body.errors?.[0]?.code).toBe('invalidApiKey')
    expect(JSON.stringify(wrong.body)).not.toContain('not-the-key')
  })

  it('answers a refused task with its code and 400, beside a sibling that ran', async () => {
    const sim = await simulator()
    const good = image()
    const bad = image({ width: 17 })
    const answer = await post(sim, [good, bad])
    expect(answer.status).toBe(400)
    expect(answer.body.errors).toMatchObject([{ code: 'invalidWidth', taskUUID: bad.taskUUID }])
    expect(answer.body.data).toMatchObject([{ taskUUID: good.taskUUID }])
  })

  it('answers a taskUUID it knows with conflictTaskUUID (400), and never runs it twice', async () => {
    const sim = await simulator()
    const task = image()
    expect((await post(sim, [task])).status).toBe(200)
    const again = await post(sim, [task])
    expect(again.status).toBe(400)
    expect(again.body.errors?.[0]).toMatchObject({ code: 'conflictTaskUUID', taskUUID: task.taskUUID })
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('acknowledges an async task, then answers getResponse over HTTP', async () => {
    const sim = await simulator({ asyncDurationMs: 40 })
    const video = { taskType: 'videoInference', taskUUID: randomUUID(), model: 'klingai:5@3', positivePrompt: 'waves', duration: 5, deliveryMethod: 'async' }
    const ack = await post(sim, [video])
    expect(ack.status).toBe(200)
    expect(ack.body.data).toEqual([{ taskType: 'videoInference', taskUUID: video.taskUUID }])
    let done: Record<string, unknown> | undefined
    await eventually(async () => {
      const answer = await post(sim, [{ taskType: 'getResponse', taskUUID: video.taskUUID }])
      expect(answer.status).toBe(200)
      done = answer.body.data?.find((item) => item.status === 'success')
      return done !== undefined
    }, 'the video done')
    expect(done).toMatchObject({ taskUUID: video.taskUUID, status: 'success' })
  })

  it('answers what is not a POST of a JSON array of tasks with 405, 400 or 413, running nothing', async () => {
    const sim = await simulator({ maxBodyBytes: 1_000 })
    const get = await fetch(sim.httpUrl)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    await get.text()
    expect((await post(sim, '{not json')).body.errors?.[0]?.code).toBe('invalidJSON')
    expect((await post(sim, { taskType: 'ping' })).status).toBe(400)
    const large = await post(sim, [image({ positivePrompt: 'x'.repeat(2_000) })])
    expect(large.status).toBe(413)
    expect(sim.stats.executions.size).toBe(0)
  })

  it('failRequests: the given status with a code, or a gateway page without one; nothing runs', async () => {
    const sim = await simulator()
    sim.http.failRequests(1, 503, 'serviceUnavailable')
    sim.http.failRequests(1, 502)
    const coded = await post(sim, [image()])
    expect(coded.status).toBe(503)
    expect(coded.body.errors?.[0]?.code).toBe('serviceUnavailable')
    const bare = await post(sim, [image()])
    expect(bare.status).toBe(502)
    expect(bare.type).toBe('text/html')
    expect(sim.stats.executions.size).toBe(0)
    expect(sim.stats.faults.statuses).toBe(2)
    expect((await post(sim, [image()])).status).toBe(200)
  })

  it('resetAfterAccept: the task runs, the connection is destroyed, and the same taskUUID is then a conflict and collectable', async () => {
    const sim = await simulator()
    sim.http.resetAfterAccept(1)
    const task = image()
    await expect(post(sim, [task])).rejects.toThrow()
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)
    expect(sim.stats.faults.resets).toBe(1)
    const again = await post(sim, [task])
    expect(again.body.errors?.[0]?.code).toBe('conflictTaskUUID')
    const collected = await post(sim, [{ taskType: 'getResponse', taskUUID: task.taskUUID }])
    expect(collected.body.data).toMatchObject([{ taskUUID: task.taskUUID }])
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('slowBodies: the body comes in two parts and is whole', async () => {
    const sim = await simulator()
    sim.http.slowBodies(1, 50)
    const task = image()
    const response = await fetch(sim.httpUrl, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: JSON.stringify([task]) })
    const reader = response.body?.getReader()
    const parts: Uint8Array[] = []
    for (;;) {
      const read = await reader?.read()
      if (read === undefined || read.done) break
      parts.push(read.value as Uint8Array)
    }
    expect(parts.length).toBeGreaterThanOrEqual(2)
    const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Answer['body']
    expect(body.data).toMatchObject([{ taskUUID: task.taskUUID }])
  })

  it('dropAll cuts a request in flight; its task still ran', async () => {
    const sim = await simulator({ latencyMs: 200 })
    const task = image()
    const answer = post(sim, [task])
    await until(() => sim.stats.executions.has(task.taskUUID), 'the task accepted')
    sim.dropAll()
    await expect(answer).rejects.toThrow()
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)
  })

  it('the socket faults reach HTTP: a dropped result frame destroys the connection, a malformed one garbles the body', async () => {
    const sim = await simulator()
    sim.setChaos({ dropRate: 1 })
    const dropped = image()
    await expect(post(sim, [dropped])).rejects.toThrow()
    expect(sim.stats.executions.get(dropped.taskUUID)).toBe(1)
    sim.setChaos()
    sim.malformedNext(1)
    const response = await fetch(sim.httpUrl, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: JSON.stringify([image()]) })
    await expect(response.json()).rejects.toThrow()
  })

  it('refuseUpgrade: WebSocket upgrades get 403 while POST works; refuseUpgrades(false) lets them in', async () => {
    const sim = await simulator({ refuseUpgrade: true })
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(sim.url)
      ws.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0)
        ws.terminate()
      })
      ws.once('open', () => {
        resolve(101)
        ws.close()
      })
      ws.on('error', () => undefined)
    })
    expect(status).toBe(403)
    expect(sim.stats.upgradesRefused).toBe(1)
    expect((await post(sim, [image()])).status).toBe(200)
    sim.http.refuseUpgrades(false)
    const ws = new WebSocket(sim.url)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    ws.close()
  })
})

describe('streamed text over HTTP', () => {
  const text = (extra: Record<string, unknown> = {}) => ({
    taskType: 'textInference',
    taskUUID: randomUUID(),
    model: 'runware:text@1',
    deliveryMethod: 'stream',
    includeCost: true,
    messages: [{ role: 'user', content: 'Tell me about herons.' }],
    ...extra,
  })

  async function events(sim: Simulator, task: Record<string, unknown>): Promise<{ type: string | null; events: string[]; error?: unknown }> {
    const response = await fetch(sim.httpUrl, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: JSON.stringify([task]) })
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      const reader = response.body?.getReader()
      for (let read = await reader?.read(); read !== undefined && !read.done; read = await reader?.read())
        buffer += decoder.decode(read.value as Uint8Array, { stream: true })
    } catch (error) {
      return { type: response.headers.get('content-type'), events: parse(buffer), error }
    }
    return { type: response.headers.get('content-type'), events: parse(buffer) }
  }

  const parse = (buffer: string): string[] =>
    buffer
      .split('\n\n')
      .filter((block) => block.startsWith('data: '))
      .map((block) => block.slice('data: '.length))

  it('sends the text in pieces, then the rest of the item with its cost, then [DONE] (the shape Runware’s SDK reads)', async () => {
    const sim = await simulator({ streamChunkMs: 1 })
    const task = text()
    const stream = await events(sim, task)
    expect(stream.type).toBe('text/event-stream')
    expect(stream.events.at(-1)).toBe('[DONE]')
    const bodies = stream.events.slice(0, -1).map((event) => JSON.parse(event) as Record<string, unknown>)
    const final = bodies.at(-1) ?? {}
    const deltas = bodies.slice(0, -1).map((chunk) => (chunk.delta as { text: string }).text)
    expect(deltas.length).toBeGreaterThan(2)
    for (const chunk of bodies) expect(chunk).toMatchObject({ taskType: 'textInference', taskUUID: task.taskUUID })
    expect(final).toMatchObject({ delta: {}, finishReason: 'stop', cost: expect.any(Number) as number, usage: { totalTokens: expect.any(Number) as number } })
    expect(final.text).toBeUndefined()
    expect(deltas.join('')).toMatch(/\S/)
    expect(sim.stats.streams).toBe(1)
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)
  })

  it('cutStreams: the stream ends midway without [DONE]', async () => {
    const sim = await simulator({ streamChunkMs: 1 })
    sim.http.cutStreams(1)
    const stream = await events(sim, text())
    expect(stream.events.length).toBeGreaterThan(0)
    expect(stream.events).not.toContain('[DONE]')
    expect(sim.stats.faults.streamCuts).toBe(1)
  })

  it('a stream that is refused is a JSON error with its status, not a stream', async () => {
    const sim = await simulator()
    const answer = await post(sim, [text({ messages: [] })])
    expect(answer.status).toBe(400)
    expect(answer.type).toBe('application/json')
    expect(answer.body.errors?.[0]?.code).toMatch(/^(missing|invalid)Messages$/)
  })
})
