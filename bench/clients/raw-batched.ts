/**
 * The floor: the least a correct client must do, done well. One `ws` socket, authenticate; each
 * `run` puts its task in a pending array and a Map by taskUUID, and the tasks submitted before the
 * next check phase (setImmediate) leave in one frame, one JSON.stringify per frame. No validation,
 * no deadlines, no recovery: a lost socket rejects whatever was pending.
 */
import { randomUUID } from 'node:crypto'
import WebSocket from 'ws'
import { API_KEY, type BenchClient, type BenchTask } from './types.js'

interface Waiter {
  resolve: (items: unknown[]) => void
  reject: (error: Error) => void
  expected: number
  items: unknown[]
}

interface Item {
  taskUUID?: string
}

interface Inbound {
  data?: Item[]
  errors?: (Item & { code?: string })[]
}

export class RawBatchedClient implements BenchClient {
  readonly name = 'rawBatched'
  readonly #url: string
  readonly #waiters = new Map<string, Waiter>()
  #outgoing: (BenchTask & { taskUUID: string })[] = []
  #flushing = false
  #socket: WebSocket | undefined

  constructor(url: string) {
    this.#url = url
  }

  get pending(): number {
    return this.#waiters.size
  }

  connect(): Promise<void> {
    const socket = new WebSocket(this.#url, { perMessageDeflate: false })
    this.#socket = socket
    return new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.once('open', () => socket.send(JSON.stringify([{ taskType: 'authentication', apiKey: API_KEY }])))
      socket.once('message', (data: WebSocket.RawData) => {
        const reply = JSON.parse(textOf(data)) as { data?: { taskType?: string }[] }
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

  run(task: BenchTask): Promise<unknown[]> {
    if (this.#socket?.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected'))
    const taskUUID = randomUUID()
    this.#outgoing.push({ ...task, taskUUID })
    if (!this.#flushing) {
      this.#flushing = true
      setImmediate(this.#flush)
    }
    return new Promise<unknown[]>((resolve, reject) => {
      this.#waiters.set(taskUUID, { resolve, reject, expected: task.numberResults, items: [] })
    })
  }

  readonly #flush = (): void => {
    this.#flushing = false
    const batch = this.#outgoing
    this.#outgoing = []
    this.#socket?.send(JSON.stringify(batch))
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

function textOf(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}
