/**
 * Tasks, watched (the engine's observer port): a CLIENT span per task from admission to
 * settlement, named `${gen_ai.operation.name} ${model}`, with its events (retry, resubmit,
 * reconcile) and, on failure, `error.type` and status ERROR; the duration histogram and the errors
 * counter. The queued and in-flight counts are observed from the ledger (client-telemetry.ts).
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
import { ATTRIBUTES, durationAttributes, operationOf, SPAN_KIND_CLIENT, startAttributes, STATUS_ERROR } from './names.js'

interface Watched {
  readonly span: SpanLike | undefined
  readonly startedAt: number
  readonly kind: Kind
}

/** What every task of one type and model shares: the operation, its span's name, the duration's attributes. */
interface Kind {
  readonly operation: string
  readonly spanName: string
  readonly attributes: TelemetryAttributes
}

/** Kinds kept (type × model); past this the cache starts again, so odd model ids cannot grow it without end. */
const MAX_KINDS = 1_024

export class TaskTelemetry implements TaskObserver {
  readonly #watched = new Map<TaskRecord, Watched>()
  /** By type and model: the type's length first, so no two pairs share a key. */
  readonly #kinds = new Map<string, Kind>()

  constructor(
    private readonly tracer: TracerLike | undefined,
    private readonly instruments: Instruments | undefined,
    private readonly now: () => number,
    private readonly thrown: (what: string, error: unknown) => void,
  ) {}

  #kindOf(taskType: string, model: string): Kind {
    const key = `${taskType.length}:${taskType}${model}`
    const known = this.#kinds.get(key)
    if (known !== undefined) return known
    if (this.#kinds.size >= MAX_KINDS) this.#kinds.clear()
    const operation = operationOf(taskType)
    const kind: Kind = {
      operation,
      spanName: `${operation} ${model}`,
      attributes: durationAttributes(operation, model, taskType),
    }
    this.#kinds.set(key, kind)
    return kind
  }

  // try/catch written out, not a guard taking a closure: these run on every task's every move.
  admitted(record: TaskRecord): void {
    try {
      const kind = this.#kindOf(record.taskType, record.model)
      let span: SpanLike | undefined
      if (this.tracer !== undefined) {
        const options = { kind: SPAN_KIND_CLIENT, attributes: startAttributes(kind.operation, record.model, record.taskType, record.id) }
        // The parent was read when run() was called (client-telemetry.ts); none: the tracer's own default.
        const parent = record.parentContext
        span = parent === undefined ? this.tracer.startSpan(kind.spanName, options) : this.tracer.startSpan(kind.spanName, options, parent)
      }
      this.#watched.set(record, { span, startedAt: this.now(), kind })
    } catch (error) {
      this.thrown('telemetry: starting a span', error)
    }
  }

  moved(record: TaskRecord, _from: TaskPhase, event: PhaseEvent | null, detail: MoveDetail | undefined): void {
    const watched = this.#watched.get(record)
    if (watched === undefined) return
    try {
      const span = watched.span
      if (event === 'retry')
        span?.addEvent('retry', { [ATTRIBUTES.code]: detail?.error?.code, [ATTRIBUTES.wireUUID]: record.wireUUID, delayMs: detail?.delayMs })
      else if (event === 'resubmit') span?.addEvent('resubmit', { [ATTRIBUTES.wireUUID]: record.wireUUID })
      else if (record.phase === 'unknown') span?.addEvent('reconcile')
      if (record.phase === 'settled') this.#settled(record, watched, detail?.error)
    } catch (error) {
      this.thrown('telemetry: recording a move', error)
    }
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
    const shared = watched.kind.attributes
    const attributes = error === undefined ? shared : { ...shared, [ATTRIBUTES.errorType]: error.code }
    if (error !== undefined) {
      span?.setAttribute(ATTRIBUTES.errorType, error.code)
      span?.setStatus({ code: STATUS_ERROR, message: error.message })
      this.instruments?.errors.add(1, { [ATTRIBUTES.errorType]: error.code, [ATTRIBUTES.errorCategory]: error.category, [ATTRIBUTES.model]: record.model })
    }
    span?.end()
    this.instruments?.duration.record((this.now() - watched.startedAt) / 1_000, attributes)
  }

  #guard(what: string, work: () => void): void {
    try {
      work()
    } catch (error) {
      this.thrown(`telemetry: ${what}`, error)
    }
  }
}
