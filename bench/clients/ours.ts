/** runware-socket, as a user would run it: `run(task)` per task, options at their defaults unless a scenario says otherwise. */
import WebSocket from 'ws'
import type { ClientOptions } from 'ws'
import type { RunwareSocket, RunwareSocketOptions } from '../../lib/index.js'
import { lib } from '../lib-under-test.js'
import { API_KEY, type BenchClient, type BenchTask } from './types.js'

export class OursClient implements BenchClient {
  readonly name = 'ours'
  readonly socket: RunwareSocket
  /** Every WebSocket the client opened (through its injectable constructor), for leak checks. */
  readonly sockets: WebSocket[] = []

  constructor(url: string, options: Omit<RunwareSocketOptions, 'url' | 'apiKey' | 'WebSocket'> = {}) {
    const sockets = this.sockets
    class TrackedWebSocket extends WebSocket {
      constructor(address: string, wsOptions?: ClientOptions) {
        super(address, wsOptions)
        sockets.push(this)
      }
    }
    this.socket = new lib.RunwareSocket({ ...options, apiKey: API_KEY, url, WebSocket: TrackedWebSocket })
  }

  connect(): Promise<void> {
    return this.socket.connect()
  }

  run(task: BenchTask): Promise<readonly unknown[]> {
    return this.socket.run(task)
  }

  close(): Promise<void> {
    return this.socket.close()
  }
}
