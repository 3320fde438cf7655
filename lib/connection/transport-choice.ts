/**
 * Which transport the next socket uses (docs/transports.md). `websocket` and `http` never change;
 * `auto` starts on the WebSocket and falls back to HTTP by the Phoenix rule: only when no
 * WebSocket of this process has ever become ready (one that worked once is expected to work again,
 * so its failures are reconnects, not a reason to switch). On HTTP it probes the WebSocket every
 * `probeEveryMs` and moves back once an upgrade succeeds.
 */
import type { Transport } from '../api/options.js'
import type { Clock, TimerHandle } from '../support/clock.js'
import type { LossReason } from '../machines/states.js'

/** Any WebSocket of this process became ready (the rule is per process, not per client). */
let webSocketReached = false

/** Losses before the first ready that mean the WebSocket cannot be reached here (a refused upgrade, no route, a proxy). */
const UNREACHABLE: ReadonlySet<LossReason> = new Set<LossReason>(['socketError', 'socketClosed', 'connectTimeout'])

/** Opens a WebSocket; `reached` once it opened (it is then closed), `failed` otherwise. */
export type Probe = (reached: () => void, failed: () => void) => { end(): void }

export class TransportChoice {
  #current: 'websocket' | 'http'
  #timer: TimerHandle | undefined
  #probe: { end(): void } | undefined

  constructor(
    readonly mode: Transport,
    private readonly clock: Clock,
    private readonly probeEveryMs: number,
  ) {
    this.#current = mode === 'http' ? 'http' : 'websocket'
  }

  get current(): 'websocket' | 'http' {
    return this.#current
  }

  ready(): void {
    if (this.#current === 'websocket') webSocketReached = true
  }

  /** A socket was lost before it was ready: true when `auto` moves to HTTP now. */
  fallsBack(reason: LossReason, wasReady: boolean): boolean {
    if (this.mode !== 'auto' || this.#current !== 'websocket' || wasReady || webSocketReached || !UNREACHABLE.has(reason)) return false
    this.#current = 'http'
    return true
  }

  /** While ready on HTTP under `auto`: probe the WebSocket now and then; `back` when it answers. */
  startProbing(probe: Probe, back: () => void): void {
    if (this.mode !== 'auto' || this.#current !== 'http' || this.#timer !== undefined || this.#probe !== undefined) return
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined
      this.#probe = probe(
        () => {
          this.#probe = undefined
          this.#current = 'websocket'
          back()
        },
        () => {
          this.#probe = undefined
          this.startProbing(probe, back)
        },
      )
    }, this.probeEveryMs)
    this.#timer.unref?.()
  }

  stopProbing(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#probe?.end()
    this.#probe = undefined
  }
}
