/**
 * A raw `ws` client for specs: connects to the simulator, sends frames, and hands out received
 * frames one by one with `next(predicate)`, waiting (with a timeout) when none matches yet.
 */
import { WebSocket } from 'ws'
import type { DataItem, ErrorItem } from '../../lib/protocol/protocol.js'
import { realClearTimeout, realSetTimeout } from './real-timers.js'

export const DEFAULT_WAIT_MS = 3000

/** One received frame: the text, the parsed value, and its data/errors leniently pulled out. */
export interface Received {
  text: string
  /** The parsed JSON, or undefined when the frame was not JSON. */
  body: unknown
  data: DataItem[]
  errors: ErrorItem[]
}

type Predicate = (frame: Received) => boolean

interface Waiter {
  predicate: Predicate
  resolve: (frame: Received) => void
  reject: (error: Error) => void
  timer: ReturnType<typeof setTimeout>
}

function objects<T>(value: unknown): T[] {
  return Array.isArray(value) ? value.filter((item): item is T => typeof item === 'object' && item !== null) : []
}

function toReceived(text: string): Received {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  const envelope = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
  return { text, body, data: objects<DataItem>(envelope.data), errors: objects<ErrorItem>(envelope.errors) }
}

/** Matchers for `next`. */
export const is = {
  any: (): boolean => true,
  pong: (frame: Received): boolean => frame.data.some((item) => item.taskType === 'ping' && item.pong === true),
  auth: (frame: Received): boolean => frame.data.some((item) => item.taskType === 'authentication'),
  task:
    (taskUUID: string) =>
    (frame: Received): boolean =>
      frame.data.some((item) => item.taskUUID === taskUUID) || frame.errors.some((error) => error.taskUUID === taskUUID),
  error:
    (code: string) =>
    (frame: Received): boolean =>
      frame.errors.some((error) => error.code === code),
}

export class TestClient {
  /** Every frame received, in order. */
  readonly received: Received[] = []
  /** Resolves with the close code once the socket closed. */
  readonly closed: Promise<number>
  private unread: Received[] = []
  private waiters: Waiter[] = []

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code) => {
        resolve(code)
      })
    })
    ws.on('message', (data: Buffer) => {
      this.push(toReceived(data.toString('utf8')))
    })
    ws.on('error', () => undefined)
  }

  static async connect(url: string): Promise<TestClient> {
    const ws = new WebSocket(url)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        resolve()
      })
      ws.once('error', reject)
    })
    return new TestClient(ws)
  }

  /** Connects and authenticates; resolves once the auth reply arrived. */
  static async authenticated(url: string, apiKey = 'test-key'): Promise<{ client: TestClient; sessionUUID: string }> {
    const client = await TestClient.connect(url)
    const sessionUUID = await client.auth(apiKey)
    return { client, sessionUUID }
  }

  /** Sends a string as is, anything else as JSON. */
  send(payload: unknown): void {
    this.ws.send(typeof payload === 'string' ? payload : JSON.stringify(payload))
  }

  /** Authenticates (optionally resuming a session) and returns the session UUID from the reply. */
  async auth(apiKey = 'test-key', connectionSessionUUID?: string): Promise<string> {
    const task: Record<string, unknown> = { taskType: 'authentication', apiKey }
    if (connectionSessionUUID !== undefined) task.connectionSessionUUID = connectionSessionUUID
    this.send([task])
    const reply = await this.next((frame) => is.auth(frame) || frame.errors.length > 0 || (frame.body as { error?: unknown } | undefined)?.error === true)
    const item = reply.data.find((entry) => entry.taskType === 'authentication')
    if (typeof item?.connectionSessionUUID !== 'string') throw new Error(`authentication failed: ${reply.text}`)
    return item.connectionSessionUUID
  }

  /** Sends a ping and waits for the pong: proof the socket is up and the server still answers it. */
  async ping(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    this.send([{ taskType: 'ping', ping: true }])
    await this.next(is.pong, timeoutMs)
  }

  /**
   * The first unread frame matching `predicate` (waiting for it if needed). It is consumed; frames
   * that did not match stay unread for later calls.
   */
  next(predicate: Predicate = is.any, timeoutMs = DEFAULT_WAIT_MS): Promise<Received> {
    const index = this.unread.findIndex(predicate)
    if (index >= 0) {
      const [frame] = this.unread.splice(index, 1)
      return Promise.resolve(frame!)
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: realSetTimeout(() => {
          this.waiters = this.waiters.filter((entry) => entry !== waiter)
          const seen = this.unread.map((frame) => frame.text.slice(0, 200)).join('\n  ')
          reject(new Error(`no matching frame within ${timeoutMs} ms; unread:\n  ${seen}`))
        }, timeoutMs),
      }
      this.waiters.push(waiter)
    })
  }

  /** Collects matching frames until `done` says the collection is complete. */
  async collect(predicate: Predicate, done: (frames: Received[]) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<Received[]> {
    const frames: Received[] = []
    while (!done(frames)) frames.push(await this.next(predicate, timeoutMs))
    return frames
  }

  /** Unread frames, without consuming them. */
  peek(): readonly Received[] {
    return this.unread
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return
    this.ws.terminate()
    await this.closed
  }

  private push(frame: Received): void {
    this.received.push(frame)
    const waiter = this.waiters.find((entry) => entry.predicate(frame))
    if (waiter === undefined) {
      this.unread.push(frame)
      return
    }
    this.waiters = this.waiters.filter((entry) => entry !== waiter)
    realClearTimeout(waiter.timer)
    waiter.resolve(frame)
  }
}
