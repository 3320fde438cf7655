/**
 * What the two raw clients share: one `ws` socket, authentication, a Map of waiters by taskUUID,
 * and the receive loop (a task resolves once its items have arrived, rejects on its error). No
 * validation, no deadlines, no recovery: a lost socket rejects whatever was pending. The clients
 * differ only in how a task leaves (raw-batched.ts, raw-per-message.ts).
 */
import WebSocket from 'ws'
import { API_KEY, type BenchClient, type BenchTask, type ClientName } from './types.js'

interface Waiter {
  resolve: (items: unknown[]) => void
  reject: (error: Error) => void
  expected: number
  items: unknown[]
}

interface Item {
  taskUUID?: string
  taskType?: string
}

interface Inbound {
  data?: Item[]
  errors?: (Item & { code?: string })[]
}

export class RawSocket {
  readonly #waiters = new Map<string, Waiter>()
  #socket: WebSocket | undefined

  constructor(private readonly url: string) {}

  get pending(): number {
    return this.#waiters.size
  }

  get open(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN
  }

  connect(): Promise<void> {
    const socket = new WebSocket(this.url, { perMessageDeflate: false })
    this.#socket = socket
    return new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.once('open', () => socket.send(JSON.stringify([{ taskType: 'authentication', apiKey: API_KEY }])))
      socket.once('message', (data: WebSocket.RawData) => {
        const reply = JSON.parse(textOf(data)) as Inbound
        if (reply.data?.[0]?.taskType !== 'authentication') {
          reject(new Error(`authentication failed: ${textOf(data)}`))
          return
        }
        socket.off('error', reject)
        socket.on('message', (frame: WebSocket.RawData) => this.#receive(frame))
        socket.on('close', () => this.#failAll(new Error('socket closed')))
        socket.on('error', () => undefined)
        resolve()
      })
    })
  }

  send(text: string): void {
    this.#socket?.send(text)
  }

  /** The promise of a task just sent (or about to be): its items once `expected` have arrived. */
  expect(taskUUID: string, expected: number): Promise<unknown[]> {
    return new Promise<unknown[]>((resolve, reject) => {
      this.#waiters.set(taskUUID, { resolve, reject, expected, items: [] })
    })
  }

  close(): Promise<void> {
    const socket = this.#socket
    this.#socket = undefined
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return Promise.resolve()
    return new Promise<void>((resolve) => {
      socket.once('close', () => resolve())
      socket.terminate()
    })
  }

  #receive(frame: WebSocket.RawData): void {
    const message = JSON.parse(textOf(frame)) as Inbound
    for (const item of message.data ?? []) {
      const waiter = item.taskUUID === undefined ? undefined : this.#waiters.get(item.taskUUID)
      if (waiter === undefined) continue
      waiter.items.push(item)
      if (waiter.items.length >= waiter.expected) {
        this.#waiters.delete(item.taskUUID!)
        waiter.resolve(waiter.items)
      }
    }
    for (const error of message.errors ?? []) {
      const waiter = error.taskUUID === undefined ? undefined : this.#waiters.get(error.taskUUID)
      if (waiter === undefined) continue
      this.#waiters.delete(error.taskUUID!)
      waiter.reject(new Error(error.code ?? 'error'))
    }
  }

  #failAll(error: Error): void {
    const waiters = [...this.#waiters.values()]
    this.#waiters.clear()
    for (const waiter of waiters) waiter.reject(error)
  }
}

/** A raw client: the shared socket, and how a task leaves (`run`). */
export abstract class RawClient implements BenchClient {
  abstract readonly name: ClientName
  protected readonly raw: RawSocket

  constructor(url: string) {
    this.raw = new RawSocket(url)
  }

  /** Tasks waiting for results. */
  get pending(): number {
    return this.raw.pending
  }

  connect(): Promise<void> {
    return this.raw.connect()
  }

  abstract run(task: BenchTask): Promise<unknown[]>

  close(): Promise<void> {
    return this.raw.close()
  }
}

function textOf(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}
