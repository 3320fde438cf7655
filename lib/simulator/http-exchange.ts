/**
 * One HTTP request as the simulator's outbound path sees it: a SocketLink whose frames are
 * gathered into the answer instead of being sent. The answer leaves when every task the request
 * started is done (all its result items, or an error for it); a cut (chaos, dropAll) destroys the
 * connection after the tasks were accepted, as a reset does; silence leaves the request hanging.
 */
import type { DataItem, ErrorItem } from '../protocol/protocol.js'
import type { OutUnit, Session, SocketLink, SocketState } from './model.js'

export interface ExchangeEnd {
  /** Every awaited task is done: answer with what was gathered. */
  complete(exchange: HttpExchange): void
  /** Cut by a fault: the connection goes without an answer. */
  cut(exchange: HttpExchange): void
}

export class HttpExchange implements SocketLink {
  state: SocketState = 'open'
  readonly dryRun = false
  session: Session | undefined
  outbox: OutUnit[] = []
  lastActivity: number
  readonly data: DataItem[] = []
  readonly errors: ErrorItem[] = []
  /** A frame that was not JSON (a malformed-frame fault): the answer's body is garbled with it. */
  garbled: string | undefined
  /** Result items still expected, by taskUUID (sync tasks only: everything else answers at once). */
  readonly #awaiting = new Map<string, number>()
  #armed = false

  constructor(
    readonly id: number,
    now: number,
    private readonly end: ExchangeEnd,
  ) {
    this.lastActivity = now
  }

  /** A sync task this request started: the answer waits for `expected` items of it, or an error. */
  await(taskUUID: string, expected: number): void {
    this.#awaiting.set(taskUUID, expected)
  }

  /** Every task of the request was routed (its immediate replies written): the answer may leave. */
  arm(): void {
    this.#armed = true
    this.#check()
  }

  isUsable(): boolean {
    return this.state === 'open'
  }

  write(frame: string): void {
    if (this.state !== 'open') return
    let value: unknown
    try {
      value = JSON.parse(frame)
    } catch {
      this.garbled ??= frame
      return
    }
    const { data, errors } = (typeof value === 'object' && value !== null ? value : {}) as { data?: unknown; errors?: unknown }
    if (Array.isArray(data)) for (const item of data as DataItem[]) this.#take(this.data, item, false)
    if (Array.isArray(errors)) for (const item of errors as ErrorItem[]) this.#take(this.errors, item, true)
    this.#check()
  }

  #take<T extends DataItem | ErrorItem>(into: T[], item: T, isError: boolean): void {
    into.push(item)
    const taskUUID = typeof item.taskUUID === 'string' ? item.taskUUID : undefined
    if (taskUUID === undefined) return
    const left = this.#awaiting.get(taskUUID)
    if (left === undefined) return
    if (isError || left <= 1) this.#awaiting.delete(taskUUID)
    else this.#awaiting.set(taskUUID, left - 1)
  }

  #check(): void {
    if (!this.#armed || this.#awaiting.size > 0 || this.state !== 'open') return
    this.state = 'closed'
    this.end.complete(this)
  }

  batch(work: () => void): void {
    work()
  }

  cut(): boolean {
    if (this.state === 'closed' || this.state === 'cut') return false
    this.state = 'cut'
    this.end.cut(this)
    return true
  }

  silence(): boolean {
    if (this.state !== 'open') return false
    this.state = 'silent'
    return true
  }

  /** The client went away first (or the simulator is closing). */
  abandon(): void {
    this.state = 'closed'
  }

  takeOutbox(): OutUnit[] {
    const units = this.outbox
    this.outbox = []
    return units
  }
}
