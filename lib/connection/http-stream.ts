/**
 * A streamed text's answer (`deliveryMethod: "stream"`, server-sent events) read as the frames a
 * socket would have carried: each piece as `{ data: [{ taskType, taskUUID, delta }] }` as it
 * arrives, then at `[DONE]` the task's one result item, its whole text with what the last event
 * added (`finishReason`, `usage`, `cost`). The events are Runware's (the shape its own SDK reads):
 * `{ taskUUID, delta: { text, reasoningContent }, finishReason?, usage?, cost? }`, or `{ errors }`.
 *
 * A stream is never a short text: one that ends before `[DONE]`, goes silent for `idleMs`, or
 * passes `maxFrameBytes` fails its task with `streamInterrupted`; an event that is not JSON fails
 * it with `protocolError`. A stream cancelled by the client (its task left) says nothing more.
 */
import type { Clock } from '../support/clock.js'

export interface StreamedTask {
  readonly taskUUID: string
  readonly taskType: string
}

export interface StreamLimits {
  /** The whole text (and any one event) must fit in a frame. */
  readonly maxFrameBytes: number
  /** No bytes for this long: the stream is taken for dead. */
  readonly idleMs: number | undefined
  readonly clock: Clock
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** What the pieces add up to, and what the other fields of the events said. */
class TextSoFar {
  text = ''
  reasoning = ''
  pieces = 0
  /** A whole item's text, when a server sends one instead of (or after) the pieces. */
  whole: string | undefined = undefined
  /** No prototype: a `__proto__` field of the server's is a field like any other, and dropped by the spread. */
  readonly rest: Record<string, unknown> = Object.create(null) as Record<string, unknown>

  constructor(readonly task: StreamedTask) {}

  /** The delta frame for one event's item, or undefined when it carried no piece. */
  take(item: Record<string, unknown>): string | undefined {
    for (const key of Object.keys(item)) if (key !== 'delta' && key !== 'text' && key !== 'taskUUID' && key !== 'taskType') this.rest[key] = item[key]
    if (typeof item.text === 'string') this.whole = item.text
    const delta = item.delta
    if (!isObject(delta)) return undefined
    const piece: { text?: string; reasoningContent?: string } = {}
    if (typeof delta.text === 'string' && delta.text !== '') this.text += piece.text = delta.text
    if (typeof delta.reasoningContent === 'string' && delta.reasoningContent !== '') this.reasoning += piece.reasoningContent = delta.reasoningContent
    if (piece.text === undefined && piece.reasoningContent === undefined) return undefined
    this.pieces += 1
    const { taskUUID, taskType } = this.task
    const index = typeof item.resultIndex === 'number' ? { resultIndex: item.resultIndex } : {}
    return JSON.stringify({ data: [{ taskType, taskUUID, delta: piece, ...index }] })
  }

  /** The task's one result item, at [DONE]. */
  item(): string {
    const { taskUUID, taskType } = this.task
    const reasoning = this.reasoning === '' ? {} : { reasoningContent: this.reasoning }
    return JSON.stringify({ data: [{ ...this.rest, taskType, taskUUID, text: this.whole ?? this.text, ...reasoning }] })
  }

  failure(code: string, message: string): string {
    return JSON.stringify({ data: [], errors: [{ code, message, taskUUID: this.task.taskUUID, taskType: this.task.taskType }] })
  }
}

type Outcome = 'more' | 'done'

/** One event's data: the frames it stands for go to `emit`; `done` once the task has its end. */
function dispatch(data: string, sofar: TextSoFar, emit: (frame: string) => void): Outcome {
  if (data === '[DONE]') {
    emit(sofar.item())
    return 'done'
  }
  let event: unknown
  try {
    event = JSON.parse(data)
  } catch {
    emit(sofar.failure('protocolError', `a stream event is not JSON (${data.length} characters): the text would have a hole`))
    return 'done'
  }
  if (!isObject(event)) {
    emit(sofar.failure('protocolError', 'a stream event is not an object: the text would have a hole'))
    return 'done'
  }
  if (Array.isArray(event.errors)) {
    const { taskUUID, taskType } = sofar.task
    // The request carried this one task: whatever id an error names, it is about this one.
    emit(JSON.stringify({ data: [], errors: event.errors.map((error: unknown) => (isObject(error) ? { ...error, taskUUID, taskType } : error)) }))
    return 'done'
  }
  const items = Array.isArray(event.data) ? (event.data as unknown[]) : [event]
  for (const item of items) {
    if (!isObject(item)) continue
    const frame = sofar.take(item)
    if (frame !== undefined) emit(frame)
  }
  return 'more'
}

class Interrupted extends Error {}

/**
 * Reads the stream to its end. Resolves when the task has its result or its error (each emitted
 * as a frame), or when `signal` aborted it (nothing emitted then).
 */
export async function readTextStream(
  body: ReadableStream<Uint8Array>,
  task: StreamedTask,
  limits: StreamLimits,
  signal: AbortSignal,
  emit: (frame: string) => void,
): Promise<void> {
  const sofar = new TextSoFar(task)
  const reader = body.getReader()
  const decoder = new TextDecoder()
  const { clock, idleMs, maxFrameBytes } = limits
  let idle: ReturnType<Clock['setTimeout']> | undefined
  // Set by the idle timer, read by the loop.
  const idleness = { silent: false }
  const watch = (): void => {
    if (idleMs === undefined) return
    if (idle !== undefined) clock.clearTimeout(idle)
    idle = clock.setTimeout(() => {
      idleness.silent = true
      void reader.cancel().catch(() => undefined)
    }, idleMs)
    idle.unref?.()
  }
  let buffer = ''
  let data: string[] = []
  let size = 0
  try {
    watch()
    for (;;) {
      const read = await reader.read()
      if (signal.aborted) return
      if (idleness.silent) throw new Interrupted(`no event within ${idleMs} ms`)
      if (read.done) throw new Interrupted('the stream ended before [DONE]')
      watch()
      buffer += decoder.decode(read.value, { stream: true })
      for (let end = buffer.indexOf('\n'); end !== -1; end = buffer.indexOf('\n')) {
        const line = buffer.slice(0, end).replace(/\r$/, '')
        buffer = buffer.slice(end + 1)
        if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5))
          size += line.length
        } else if (line === '' && data.length > 0) {
          const outcome = dispatch(data.join('\n'), sofar, emit)
          data = []
          size = 0
          if (outcome === 'done') return
        }
        // Comments (`:`) and other fields (event, id, retry) name nothing a task needs.
        // The whole text becomes one item: it, and any one event, must fit in a frame.
        if (size > maxFrameBytes || sofar.text.length + sofar.reasoning.length > maxFrameBytes) throw new Interrupted('the stream passed maxFrameBytes')
      }
      if (size + buffer.length > maxFrameBytes) throw new Interrupted('the stream passed maxFrameBytes')
    }
  } catch (error) {
    if (signal.aborted) return
    const why = error instanceof Interrupted ? error.message : `the stream broke (${error instanceof Error ? error.message : 'read failed'})`
    emit(sofar.failure('streamInterrupted', `${why}, after ${sofar.pieces} pieces of text: the task ran, its text is incomplete`))
  } finally {
    if (idle !== undefined) clock.clearTimeout(idle)
    void reader.cancel().catch(() => undefined)
  }
}
