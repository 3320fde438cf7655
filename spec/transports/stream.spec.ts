/**
 * Streamed text over HTTP (`deliveryMethod: 'stream'`, docs/transports.md): `stream()` yields the
 * pieces as the simulator sends them, then the one result item with its cost; leaving the loop
 * closes the request; a stream cut midway is an error with its code, never a short text.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { TextDelta, TextInferenceResult, TextInferenceTask } from '../../lib/api/task-types.js'
import type { RunwareSocketOptions } from '../../lib/api/options.js'
import { isTextDelta } from '../../lib/api/task-types.js'
import { RunwareError } from '../../lib/support/errors.js'
import { fastRecovery, IMAGE } from '../fixtures/tasks.js'
import { useHarness } from '../helpers/harness.js'
import { failure, until } from '../helpers/wait.js'

const h = useHarness()
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})
const { apiKey: _key, ...recovery } = fastRecovery(11)
const http = { ...recovery, transport: 'http' } as const

const textTask = (): TextInferenceTask & { deliveryMethod: 'stream'; taskUUID: string } => ({
  taskType: 'textInference',
  taskUUID: randomUUID(),
  model: 'runware:text@1',
  deliveryMethod: 'stream',
  includeCost: true,
  messages: [{ role: 'user', content: 'Tell me about herons, at some length.' }],
})

const isDelta = isTextDelta

async function collect(stream: AsyncGenerator<TextDelta | TextInferenceResult, void, undefined>): Promise<(TextDelta | TextInferenceResult)[]> {
  const chunks: (TextDelta | TextInferenceResult)[] = []
  for await (const chunk of stream) chunks.push(chunk)
  return chunks
}

describe('streamed text over HTTP', () => {
  it('stream() yields the pieces as they come, then the one result item with the whole text and its cost', async () => {
    const sim = await h.simulator({ streamChunkMs: 2 })
    const client = h.client(sim.url, http)
    const task = textTask()
    const chunks = await collect(client.stream(task))
    const pieces = chunks.filter(isDelta)
    const items = chunks.filter((chunk): chunk is TextInferenceResult => !isDelta(chunk))
    expect(pieces.length).toBeGreaterThan(2)
    for (const piece of pieces) expect(piece).toMatchObject({ taskType: 'textInference', taskUUID: task.taskUUID })
    expect(items).toHaveLength(1)
    expect(chunks.at(-1)).toBe(items[0])
    expect(items[0]).toMatchObject({ taskUUID: task.taskUUID, finishReason: 'stop', cost: expect.any(Number) as number })
    expect(items[0]?.text).toBe(pieces.map((piece) => piece.delta.text ?? '').join(''))
    expect(sim.stats.streams).toBe(1)
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)
    expect(client.cost.totalUSD).toBe(items[0]?.cost)
  })

  it('run() with onDelta: the pieces reach the callback and are never counted as results', async () => {
    const sim = await h.simulator({ streamChunkMs: 1 })
    const client = h.client(sim.url, http)
    const pieces: string[] = []
    const items = await client.run(textTask(), { onDelta: (delta) => pieces.push(delta.delta.text ?? '') })
    expect(pieces.length).toBeGreaterThan(2)
    expect(items).toHaveLength(1)
    expect(items[0]?.text).toBe(pieces.join(''))
  })

  it('a streamed text sent in the same tick as other tasks goes in a request of its own', async () => {
    const sim = await h.simulator({ streamChunkMs: 1 })
    const client = h.client(sim.url, http)
    await client.connect()
    const before = sim.stats.httpRequests
    const [images, text] = await Promise.all([Promise.all(Array.from({ length: 5 }, () => client.run(IMAGE))), collect(client.stream(textTask()))])
    expect(images.every((items) => items.length === 1)).toBe(true)
    expect(text.filter((chunk) => !isDelta(chunk))).toHaveLength(1)
    expect(sim.stats.httpRequests - before).toBe(2)
    expect(sim.stats.streams).toBe(1)
  })

  it('a stream cut midway: the pieces so far, then streamInterrupted; no short text, nothing resent', async () => {
    const sim = await h.simulator({ streamChunkMs: 1 })
    const client = h.client(sim.url, http)
    await client.connect()
    sim.http.cutStreams(1)
    const task = textTask()
    const chunks: (TextDelta | TextInferenceResult)[] = []
    const error = await failure(
      (async () => {
        for await (const chunk of client.stream(task)) chunks.push(chunk)
      })(),
    )
    expect(error).toBeInstanceOf(RunwareError)
    expect(error).toMatchObject({ code: 'streamInterrupted', taskUUID: task.taskUUID, category: 'unknown' })
    expect(chunks.length).toBeGreaterThan(0)
    expect(chunks.every(isDelta)).toBe(true)
    expect(sim.stats.faults.streamCuts).toBe(1)
    expect(sim.stats.streams).toBe(1)
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)
    // The same taskUUID again is collected (getResponse), not run again: the whole text.
    const partial = (chunks as TextDelta[]).map((piece) => piece.delta.text ?? '').join('')
    const again = await client.run({ ...task, deliveryMethod: 'sync' })
    expect(again[0]?.text.startsWith(partial)).toBe(true)
    expect(again[0]?.text.length).toBeGreaterThan(partial.length)
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)
  })

  it('leaving the loop after the first piece closes the request: the server sees the stream left', async () => {
    const sim = await h.simulator({ streamChunkMs: 250 })
    const client = h.client(sim.url, { transport: 'http' })
    let seen = 0
    for await (const chunk of client.stream(textTask())) {
      expect(isDelta(chunk)).toBe(true)
      seen += 1
      break
    }
    expect(seen).toBe(1)
    await until(() => sim.stats.streamsLeft === 1, 'the simulator saw the stream closed before [DONE]')
    expect(client.pending).toBe(0)
  })

  it('an AbortSignal aborts a running stream: aborted, and the request is closed', async () => {
    const sim = await h.simulator({ streamChunkMs: 250 })
    const client = h.client(sim.url, { transport: 'http' })
    const controller = new AbortController()
    const stream = client.stream(textTask(), { signal: controller.signal })
    const first = await stream.next()
    expect(first.done).toBe(false)
    controller.abort()
    const error = await failure(stream.next())
    expect(error.code).toBe('aborted')
    await until(() => sim.stats.streamsLeft === 1, 'the simulator saw the stream closed before [DONE]')
  })

  it('a stream the server refuses up front (a 400 with a JSON body) rejects with its code, category validation', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url, http)
    const error = await failure(collect(client.stream({ ...textTask(), messages: [] })))
    expect(error.code).toMatch(/^(missing|invalid)Messages$/)
    expect(error.category).toBe('validation')
    expect(sim.stats.streams).toBe(0)
  })

  it('over a WebSocket, a streamed text is refused before anything is sent (it is served over HTTP only)', async () => {
    const sim = await h.simulator()
    const client = h.client(sim.url, { ...recovery })
    await client.connect()
    const frames = sim.stats.framesReceived
    const error = await failure(client.run(textTask()))
    expect(error.code).toBe('invalidTask')
    expect(error.message).toContain("transport: 'http'")
    expect(sim.stats.framesReceived).toBe(frames)
    const other = await failure(client.run({ taskType: 'imageInference', model: 'x:1@1', positivePrompt: 'p', deliveryMethod: 'stream' } as never))
    expect(other.message).toContain('textInference only')
  })

  it('the link lost while a stream runs (another request reset): that task fails with streamInterrupted, the other is collected', async () => {
    const sim = await h.simulator({ streamChunkMs: 250 })
    // A heartbeat bound past the stream's pace: the stream ends by the loss, not by its silence.
    const client = h.client(sim.url, { ...http, heartbeat: { intervalMs: 1_000, timeoutMs: 1_000 } })
    await client.connect()
    const task = textTask()
    const stream = client.stream(task)
    expect((await stream.next()).done).toBe(false)
    sim.http.resetAfterAccept(1)
    const image = client.run(IMAGE)
    const error = await failure(collect(stream))
    expect(error).toMatchObject({ code: 'streamInterrupted', taskUUID: task.taskUUID, message: 'the link closed during the stream' })
    expect(await image).toHaveLength(1)
    expect(sim.stats.faults.resets).toBe(1)
    // Never resent: its text would have begun again.
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)
    expect(sim.stats.streams).toBe(1)
  })

  it('an error event midway (a server that sends one): the task rejects with its code, after the pieces, and is not retried', async () => {
    const piece = { delta: { text: 'Herons ' } }
    // Naming another id: the request carried one task, so the error is about that one all the same.
    const error = { code: 'timeoutProvider', message: 'the provider did not answer in time', taskUUID: randomUUID() }
    const server = await eventServer((taskUUID, response) => {
      response.write(`data: ${JSON.stringify({ taskUUID, ...piece })}\n\n`)
      response.end(`data: ${JSON.stringify({ errors: [error] })}\n\n`)
    })
    const { chunks, error: failed, task } = await streamFrom(server.url, http)
    expect(chunks).toEqual([{ taskType: 'textInference', taskUUID: task.taskUUID, delta: { text: 'Herons ' } }])
    // timeoutProvider is retried as a rule (a transient provider code); here the text had begun.
    expect(failed).toMatchObject({ code: 'timeoutProvider', taskUUID: task.taskUUID })
    expect(server.streams()).toBe(1)
  })

  it('a stream that goes silent past the heartbeat bound rejects with streamInterrupted, after its pieces', async () => {
    const server = await eventServer((taskUUID, response) => {
      response.write(`data: ${JSON.stringify({ taskUUID, delta: { text: 'Herons ' } })}\n\n`)
      // …and nothing more, the connection held open.
    })
    const { chunks, error } = await streamFrom(server.url, { ...http, heartbeat: { intervalMs: 100, timeoutMs: 100 } })
    expect(chunks).toHaveLength(1)
    expect(error.code).toBe('streamInterrupted')
    expect(error.message).toContain('no event within 200 ms')
    expect(server.streams()).toBe(1)
  })

  it('a stream longer than maxFrameBytes rejects with streamInterrupted instead of growing without bound', async () => {
    const server = await eventServer((taskUUID, response) => {
      for (let i = 0; i < 40; i++) response.write(`data: ${JSON.stringify({ taskUUID, delta: { text: 'x'.repeat(100) } })}\n\n`)
      response.end('data: [DONE]\n\n')
    })
    const { chunks, error } = await streamFrom(server.url, { ...http, maxFrameBytes: 2_048 })
    expect(error.code).toBe('streamInterrupted')
    expect(error.message).toContain('maxFrameBytes')
    expect(chunks.length).toBeLessThan(40)
  })

  it('an event that is not JSON rejects the task with protocolError (the text would have a hole)', async () => {
    const server = await eventServer((taskUUID, response) => {
      response.write(`data: ${JSON.stringify({ taskUUID, delta: { text: 'Herons ' } })}\n\n`)
      response.end('data: {"taskUUID": "cut here\n\ndata: [DONE]\n\n')
    })
    const { chunks, error } = await streamFrom(server.url, http)
    expect(chunks).toHaveLength(1)
    expect(error.code).toBe('protocolError')
  })
})

type Respond = (taskUUID: string | undefined, response: ServerResponse) => void

/** A bare HTTP server that authenticates any key and answers every task request with `respond`'s events. */
async function eventServer(respond: Respond): Promise<{ url: string; streams: () => number }> {
  let streams = 0
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      const first = (JSON.parse(body) as { taskType: string; taskUUID?: string }[])[0]
      if (first?.taskType !== 'textInference') {
        // The authentication, and the heartbeat's pings.
        const item =
          first?.taskType === 'authentication' ? { taskType: 'authentication', connectionSessionUUID: randomUUID() } : { taskType: 'ping', pong: true }
        response.writeHead(200, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ data: [item] }))
        return
      }
      streams += 1
      response.writeHead(200, { 'content-type': 'text/event-stream' })
      respond(first.taskUUID, response)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, streams: () => streams }
}

/** Streams one text task from `url` to its end: what came, and the error it ended with. */
async function streamFrom(url: string, options: RunwareSocketOptions) {
  const client = h.client(url, options)
  const chunks: (TextDelta | TextInferenceResult)[] = []
  const task = textTask()
  const error = await failure(
    (async () => {
      for await (const chunk of client.stream(task)) chunks.push(chunk)
    })(),
  )
  await client.close()
  return { chunks, error, task }
}
