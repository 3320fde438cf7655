/**
 * Live progress on a stream: a redrawn bar on a terminal, plain periodic lines otherwise (logs and
 * pipes get no escape codes). The caller supplies a snapshot function; this module only draws.
 */
import type { Output } from './io.js'
import { formatDuration, formatRate } from './summary.js'

export interface Snapshot {
  /** Settled so far. */
  done: number
  /** Known total, or the count seen so far when `totalKnown` is false. */
  total: number
  totalKnown: boolean
  ok: number
  failed: number
  /** Extra words at the end of the line ("3 reconnects"). */
  note?: string | undefined
}

export interface ProgressOptions {
  output: Output
  /** Redraw a bar in place (a terminal) or print plain lines. */
  tty: boolean
  color: boolean
  /** Between plain lines. @default 1000 */
  lineIntervalMs?: number
  /** Between bar redraws. @default 100 */
  barIntervalMs?: number
  label: string
  now?: () => number
}

const BAR_WIDTH = 24

function counts(snapshot: Snapshot): string {
  const total = snapshot.totalKnown ? String(snapshot.total) : `${snapshot.total}+`
  return `${snapshot.done}/${total}`
}

/** "demo: 512/1000 settled, 500 ok, 12 failed, 310/s, 1.7 s" */
export function formatLine(label: string, snapshot: Snapshot, elapsedMs: number): string {
  const note = snapshot.note === undefined || snapshot.note === '' ? '' : `, ${snapshot.note}`
  return (
    `${label}: ${counts(snapshot)} settled, ${snapshot.ok} ok, ${snapshot.failed} failed, ${formatRate(snapshot.done, elapsedMs)}, ` +
    `${formatDuration(elapsedMs)}${note}`
  )
}

/** "demo [██████░░░░] 512/1000  ok 500  failed 12  310/s  1.7 s" */
export function formatBar(label: string, snapshot: Snapshot, elapsedMs: number, color: boolean): string {
  // An unknown total (stdin still being read) fills nothing: done/seen-so-far would read as nearly done.
  const ratio = snapshot.totalKnown && snapshot.total > 0 ? Math.min(1, snapshot.done / snapshot.total) : 0
  const filled = Math.round(ratio * BAR_WIDTH)
  const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`
  const failed = color && snapshot.failed > 0 ? `\x1b[33mfailed ${snapshot.failed}\x1b[0m` : `failed ${snapshot.failed}`
  const note = snapshot.note === undefined || snapshot.note === '' ? '' : `  ${snapshot.note}`
  return `${label} [${bar}] ${counts(snapshot)}  ok ${snapshot.ok}  ${failed}  ${formatRate(snapshot.done, elapsedMs)}  ${formatDuration(elapsedMs)}${note}`
}

export class Progress {
  readonly #options: ProgressOptions
  readonly #snapshot: () => Snapshot
  readonly #now: () => number
  #started = 0
  #timer: NodeJS.Timeout | undefined
  #drawn = false

  constructor(options: ProgressOptions, snapshot: () => Snapshot) {
    this.#options = options
    this.#snapshot = snapshot
    this.#now = options.now ?? (() => performance.now())
  }

  start(): this {
    this.#started = this.#now()
    const interval = this.#options.tty ? (this.#options.barIntervalMs ?? 100) : (this.#options.lineIntervalMs ?? 1_000)
    this.#timer = setInterval(() => this.#draw(), interval)
    // Progress must never be the thing that keeps the process alive.
    this.#timer.unref()
    if (this.#options.tty) this.#draw()
    return this
  }

  /** A one-off message that must not be overwritten by the bar. */
  log(text: string): void {
    this.clear()
    this.#options.output.write(`${text}\n`)
    // Redraw at once only while running: after stop() the final bar is already on its own line.
    if (this.#options.tty && this.#timer !== undefined) this.#draw()
  }

  /** Clears the bar so another writer can use the terminal line; the next tick draws it again. */
  clear(): void {
    if (!this.#options.tty || !this.#drawn) return
    this.#options.output.write('\r\x1b[K')
    this.#drawn = false
  }

  /** Draws the final state once and stops. */
  stop(): void {
    if (this.#timer === undefined) return
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#draw()
    if (this.#options.tty) this.#options.output.write('\n')
    this.#drawn = false
  }

  #draw(): void {
    const elapsed = this.#now() - this.#started
    const snapshot = this.#snapshot()
    if (this.#options.tty) {
      const plain = formatBar(this.#options.label, snapshot, elapsed, false)
      let text = this.#options.color ? formatBar(this.#options.label, snapshot, elapsed, true) : plain
      const columns = this.#options.output.columns
      // Wider than the terminal would wrap, and \r would then redraw only the last row.
      if (columns !== undefined && columns > 0 && plain.length >= columns) text = plain.slice(0, columns - 1)
      this.#options.output.write(`\r${text}\x1b[K`)
      this.#drawn = true
    } else {
      this.#options.output.write(`${formatLine(this.#options.label, snapshot, elapsed)}\n`)
    }
  }
}
