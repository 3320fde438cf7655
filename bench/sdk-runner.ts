/** The bench's side of sdk-process.ts: sdk-js runs there, and only figures come back. */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { DriveResult } from './drive.js'
import type { SdkReply, SdkRequest } from './sdk-process.js'

type Pending = { resolve: (value: DriveResult | number[]) => void; reject: (error: Error) => void }

export class SdkRunner {
  #child: ChildProcess
  readonly #pending = new Map<number, Pending>()
  #nextId = 1

  private constructor(child: ChildProcess) {
    this.#child = child
    this.#listen(child)
  }

  #listen(child: ChildProcess): void {
    child.on('message', (reply: SdkReply) => {
      const pending = this.#pending.get(reply.id)
      if (pending === undefined) return
      this.#pending.delete(reply.id)
      if (reply.ok) pending.resolve(reply.value)
      else pending.reject(new Error(reply.error))
    })
  }

  static async launch(): Promise<SdkRunner> {
    return new SdkRunner(await spawn())
  }

  /**
   * A fresh process: sdk-js leaves polling timers and sockets behind for the requests it gave up
   * on, and those must not linger into the next scenario (they measurably slow other processes).
   */
  async restart(): Promise<void> {
    const old = this.#child
    const exited = new Promise<void>((resolve) => old.once('exit', () => resolve()))
    old.kill('SIGKILL')
    await exited
    this.#child = await spawn()
    this.#listen(this.#child)
  }

  #call(request: SdkRequest extends infer R ? (R extends SdkRequest ? Omit<R, 'id'> : never) : never): Promise<DriveResult | number[]> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#child.send({ ...request, id })
    })
  }

  /** C workers for `limitMs` (or `total` tasks), in the sdk's own process. */
  async drive(url: string, total: number, concurrency: number, limitMs: number): Promise<DriveResult> {
    return (await this.#call({ op: 'drive', url, total, concurrency, limitMs })) as DriveResult
  }

  /** One task at a time for `limitMs` (or `count` tasks): each one's time, ms. */
  async timeEach(url: string, count: number, limitMs: number): Promise<number[]> {
    return (await this.#call({ op: 'timeEach', url, count, limitMs })) as number[]
  }

  shutdown(): void {
    this.#child.kill('SIGKILL')
  }
}

function spawn(): Promise<ChildProcess> {
  const path = fileURLToPath(new URL('./sdk-process.ts', import.meta.url))
  const child = fork(path, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child))
    child.once('error', reject)
  })
}
