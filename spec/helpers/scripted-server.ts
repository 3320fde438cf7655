/**
 * A tiny `ws` server for the odd cases the simulator never produces: each spec scripts what the
 * "server" answers. Authentication is answered by default so specs only script the interesting part.
 */
import { randomUUID } from 'node:crypto'
import { WebSocketServer, type WebSocket } from 'ws'
import { realClearTimeout, realSetTimeout } from './real-timers.js'

export type WireTask = Record<string, unknown> & { taskType?: string; taskUUID?: string }

export interface ScriptedServer {
  readonly url: string
  /** Every task array received after authentication, in order (auth and pings excluded). */
  readonly frames: WireTask[][]
  /** Auth tasks received, in order. */
  readonly auths: WireTask[]
  readonly pings: number
  readonly connections: number
  /** The HTTP headers of the most recent upgrade request. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  /** The most recent socket. */
  socket(): WebSocket
  /** Sends a frame (a value is JSON-encoded; a string goes as is) on the most recent socket. */
  send(frame: unknown): void
  /** Resolves with the next frame of tasks that matches. */
  nextFrame(predicate?: (tasks: WireTask[]) => boolean): Promise<WireTask[]>
  close(): Promise<void>
}

export interface ScriptOptions {
  /** Called for each task array after authentication; `reply` answers on that socket. */
  onTasks?: (tasks: WireTask[], reply: (frame: unknown) => void) => void
  /** Answer pings (default true). */
  pong?: boolean
  /** Called for each ping before the pong (if any) is sent; `reply` answers on that socket. */
  onPing?: (reply: (frame: unknown) => void) => void
  /** Answer authentication (default: a fresh session UUID, or the one asked for). */
  onAuth?: (task: WireTask, reply: (frame: unknown) => void) => void
  /** Called when a socket is accepted (the upgrade's 101 already written). */
  onConnection?: (socket: WebSocket) => void
}

export async function startScripted(options: ScriptOptions = {}): Promise<ScriptedServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('unexpected server address')
  const frames: WireTask[][] = []
  const auths: WireTask[] = []
  const waiters: { predicate: (tasks: WireTask[]) => boolean; resolve: (tasks: WireTask[]) => void }[] = []
  let latest: WebSocket | undefined
  const counters = { pings: 0, connections: 0 }

  let headers: Record<string, string | string[] | undefined> = {}
  server.on('connection', (socket, request) => {
    latest = socket
    headers = request.headers
    counters.connections += 1
    options.onConnection?.(socket)
    const reply = (frame: unknown): void => {
      socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
    }
    socket.on('message', (raw: Buffer) => {
      const tasks = JSON.parse(raw.toString('utf8')) as WireTask[]
      const first = tasks[0]
      if (first?.taskType === 'authentication') {
        auths.push(first)
        if (options.onAuth) options.onAuth(first, reply)
        else reply({ data: [{ taskType: 'authentication', connectionSessionUUID: first.connectionSessionUUID ?? randomUUID() }] })
        return
      }
      if (first?.taskType === 'ping') {
        counters.pings += 1
        options.onPing?.(reply)
        if (options.pong !== false) reply({ data: [{ taskType: 'ping', pong: true }] })
        return
      }
      frames.push(tasks)
      for (const waiter of [...waiters]) {
        if (waiter.predicate(tasks)) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(tasks)
        }
      }
      options.onTasks?.(tasks, reply)
    })
  })

  return {
    url: `ws://127.0.0.1:${address.port}/v1`,
    frames,
    auths,
    get pings() {
      return counters.pings
    },
    get connections() {
      return counters.connections
    },
    get headers() {
      return headers
    },
    socket() {
      if (latest === undefined) throw new Error('no connection yet')
      return latest
    },
    send(frame) {
      if (latest === undefined) throw new Error('no connection yet')
      latest.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
    },
    nextFrame(predicate = () => true) {
      // Only frames that arrive from now on count; a spec that wants an earlier one reads `frames`.
      return new Promise((resolve, reject) => {
        const timer = realSetTimeout(() => reject(new Error('no matching frame within 3000 ms')), 3000)
        waiters.push({
          predicate,
          resolve: (tasks) => {
            realClearTimeout(timer)
            resolve(tasks)
          },
        })
      })
    },
    close() {
      for (const client of server.clients) client.terminate()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
