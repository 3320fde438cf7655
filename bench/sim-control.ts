/** The bench's side of the simulator process: a typed proxy over IPC. */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FromSim, SimEvent, SimRequest, SimStartOptions, SimStarted, SimStats, ToSim } from './sim-protocol.js'

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void }

export class SimControl {
  readonly #child: ChildProcess
  readonly #pending = new Map<number, Pending>()
  readonly #eventWaiters = new Set<(event: SimEvent) => void>()
  #nextId = 1
  url = ''

  private constructor(child: ChildProcess) {
    this.#child = child
    child.on('message', (message: FromSim) => {
      if ('event' in message) {
        for (const waiter of [...this.#eventWaiters]) waiter(message)
        return
      }
      const pending = this.#pending.get(message.id)
      if (pending === undefined) return
      this.#pending.delete(message.id)
      if (message.ok) pending.resolve(message.value)
      else pending.reject(new Error(message.error))
    })
    child.on('exit', (code) => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`simulator process exited (${code})`))
      this.#pending.clear()
    })
  }

  /** Forks the simulator process (through tsx, like the bench; BENCH_SIM_NODE_FLAGS adds node flags, e.g. "--cpu-prof"). */
  static launch(): Promise<SimControl> {
    const path = fileURLToPath(new URL('./sim-process.ts', import.meta.url))
    const extra = (process.env.BENCH_SIM_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '')
    const child = fork(path, [], { execArgv: [...extra, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve(new SimControl(child)))
      child.once('error', reject)
    })
  }

  /** The simulator process's id (a bench may pin it to a CPU). */
  get pid(): number | undefined {
    return this.#child.pid
  }

  #call<T>(request: SimRequest): Promise<T> {
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      const message: ToSim = { ...request, id }
      this.#child.send(message)
    })
  }

  /** (Re)starts the simulator with fresh state; every scenario round begins here. */
  async start(options: SimStartOptions = {}): Promise<string> {
    const started = await this.#call<SimStarted>({ op: 'start', options })
    this.url = started.url
    return started.url
  }

  stop(): Promise<void> {
    return this.#call({ op: 'stop' })
  }

  hold(): Promise<void> {
    return this.#call({ op: 'hold' })
  }

  release(): Promise<void> {
    return this.#call({ op: 'release' })
  }

  /** Returns when the sockets were dropped (epoch ms, simulator's clock). */
  dropAll(): Promise<number> {
    return this.#call({ op: 'dropAll' })
  }

  /** Arms a drop for the moment `total` tasks have arrived; `dropped` settles when it happened. */
  async dropWhenReceived(total: number): Promise<{ dropped: Promise<SimEvent> }> {
    const dropped = new Promise<SimEvent>((resolve) => {
      const waiter = (event: SimEvent): void => {
        this.#eventWaiters.delete(waiter)
        resolve(event)
      }
      this.#eventWaiters.add(waiter)
    })
    await this.#call({ op: 'dropWhenReceived', total })
    return { dropped }
  }

  delay(ms: number, n: number): Promise<void> {
    return this.#call({ op: 'delay', ms, n })
  }

  waitReceived(total: number, timeoutMs = 60_000): Promise<number> {
    return this.#call({ op: 'waitReceived', total, timeoutMs })
  }

  stats(): Promise<SimStats> {
    return this.#call({ op: 'stats' })
  }

  /** CPU time the simulator process has used so far, µs. */
  cpu(): Promise<number> {
    return this.#call({ op: 'cpu' })
  }

  /** Ends the simulator process. */
  async shutdown(): Promise<void> {
    if (this.#child.exitCode !== null) return
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()))
    try {
      await this.stop()
    } catch {
      // Already gone: nothing to stop.
    }
    this.#child.disconnect()
    await exited
  }
}
