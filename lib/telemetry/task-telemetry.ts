/**
 * Tasks, watched (the engine's observer port): a CLIENT span per task from admission to
 * settlement, named `${gen_ai.operation.name} ${model}`, with its events (retry, resubmit,
 * reconcile) and, on failure, `error.type` and status ERROR; the duration histogram, the errors
 * counter, and the queued and in-flight counts, moved by the phase table below.
 *
 * The tracer and meter are caller code: a throw is reported once per kind (never into the
 * engine's move), and telemetry goes on for the next task.
 */
import type { SpanLike, TelemetryAttributes, TracerLike } from '../api/telemetry.js'
import type { PhaseEvent, TaskPhase } from '../machines/phases.js'
import type { TaskObserver } from '../tasks/deps.js'
import type { MoveDetail } from '../tasks/ledger.js'
import type { TaskRecord } from '../tasks/task-record.js'
import type { Instruments } from './load.js'
import { ATTRIBUTES, operationOf, SPAN_KIND_CLIENT, STATUS_ERROR } from './names.js'

/** Which count a phase is in: waiting to be sent, on the wire, or neither. */
const COUNTED: Readonly<Record<TaskPhase, 'queued' | 'inFlight' | undefined>> = {
  journaling: 'queued',
  queued: 'queued',
  waiting: 'queued',
  sent: 'inFlight',
  unknown: 'inFlight',
  polling: 'inFlight',
  settled: undefined,
}

interface Watched {
  readonly span: SpanLike | undefined
  readonly startedAt: number
  readonly attributes: TelemetryAttributes
}

export class TaskTelemetry implements TaskObserver {
  readonly #watched = new Map<TaskRecord, Watched>()

  constructor(
    private readonly tracer: TracerLike | undefined,
    private readonly instruments: Instruments | undefined,
    private readonly now: () => number,
    private readonly thrown: (what: string, error: unknown) => void,
  ) {}

  admitted(record: TaskRecord): void {
    this.#guard('starting a span', () => {
      const operation = operationOf(record.taskType)
      const attributes: TelemetryAttributes = { [ATTRIBUTES.operation]: operation, [ATTRIBUTES.model]: record.model, [ATTRIBUTES.taskType]: record.taskType }
      const options = { kind: SPAN_KIND_CLIENT, attributes: { ...attributes, [ATTRIBUTES.taskUUID]: record.id } }
      const parent = record.parentContext
      // Admission is synchronous within run(): the tracer's default parent is the active context there.
      const span =
        parent === undefined
          ? this.tracer?.startSpan(`${operation} ${record.model}`, options)
          : this.tracer?.startSpan(`${operation} ${record.model}`, options, parent)
      this.#watched.set(record, { span, startedAt: this.now(), attributes })
      this.#count(record.phase, 1)
    })
  }

  moved(record: TaskRecord, from: TaskPhase, event: PhaseEvent | null, detail: MoveDetail | undefined): void {
    const watched = this.#watched.get(record)
    if (watched === undefined) return
    this.#guard('recording a move', () => {
      if (COUNTED[from] !== COUNTED[record.phase]) {
        this.#count(from, -1)
        this.#count(record.phase, 1)
      }
      const span = watched.span
      if (event === 'retry')
        span?.addEvent('retry', { [ATTRIBUTES.code]: detail?.error?.code, [ATTRIBUTES.wireUUID]: record.wireUUID, delayMs: detail?.delayMs })
      else if (event === 'resubmit') span?.addEvent('resubmit', { [ATTRIBUTES.wireUUID]: record.wireUUID })
      else if (record.phase === 'unknown') span?.addEvent('reconcile')
      if (record.phase === 'settled') this.#settled(record, watched, detail?.error)
    })
  }

  polled(): void {
    this.#guard('counting a poll', () => this.instruments?.polls.add(1))
  }

  pong(ms: number): void {
    this.#guard('recording a pong', () => this.instruments?.pong.record(ms / 1_000))
  }

  costed(record: TaskRecord, usd: number): void {
    this.#guard('counting a cost', () => this.instruments?.cost.add(usd, { [ATTRIBUTES.model]: record.model }))
  }

  #settled(record: TaskRecord, watched: Watched, error: MoveDetail['error']): void {
    this.#watched.delete(record)
    const span = watched.span
    span?.setAttribute(ATTRIBUTES.attempts, record.submissions)
    const attributes = error === undefined ? watched.attributes : { ...watched.attributes, [ATTRIBUTES.errorType]: error.code }
    if (error !== undefined) {
      span?.setAttribute(ATTRIBUTES.errorType, error.code)
      span?.setStatus({ code: STATUS_ERROR, message: error.message })
      this.instruments?.errors.add(1, { [ATTRIBUTES.errorType]: error.code, [ATTRIBUTES.errorCategory]: error.category, [ATTRIBUTES.model]: record.model })
    }
    span?.end()
    this.instruments?.duration.record((this.now() - watched.startedAt) / 1_000, attributes)
  }

  #count(phase: TaskPhase, by: 1 | -1): void {
    const counted = COUNTED[phase]
    if (counted !== undefined) this.instruments?.[counted].add(by)
  }

  #guard(what: string, work: () => void): void {
    try {
      work()
    } catch (error) {
      this.thrown(`telemetry: ${what}`, error)
    }
  }
}
