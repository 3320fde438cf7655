/**
 * The HTTP transport as a socket (docs/transports.md): every frame the connection writes is one
 * `POST` of its JSON array to Runware's REST endpoint, and every answer comes back as the frame
 * the WebSocket would have carried. So the ledger, admission, deadlines, signals, events and the
 * recovery machine serve HTTP unchanged. Node's own `fetch` (undici) keeps the connections alive.
 *
 * What a request's end means for its tasks (the HTTP status is the category only where the body
 * names no code the table knows):
 *   a JSON answer                     handed on; its errors carry `httpStatus`
 *   429 or another 4xx, no JSON       an `httpError` item per task, with `httpStatus`: the policy
 *                                     reads the status (429 rate limit, 401 auth, 4xx validation)
 *   5xx without JSON, a reset, a      the fate of its tasks is unknown: the "socket" closes, and
 *   body cut or over the limit        they are asked about (getResponse) and resent under the same
 *                                     taskUUID, so a task the server ran is collected, not run twice
 *   server-sent events (a streamed    a request of its own; its events become frames as they come
 *   text)                             (http-stream.ts); a break once it began fails the task with
 *                                     `streamInterrupted` (its pieces were delivered: no resend)
 */
import type { Clock } from '../support/clock.js'
import { readTextStream } from './http-stream.js'
import type { OpenSocket, SocketHandlers } from './port.js'

export interface HttpSocketOptions {
  readonly maxFrameBytes: number
  readonly headers: Record<string, string>
  readonly clock: Clock
  /**
   * A request not answered in full by then is taken for a half-open connection, as a silent socket
   * is: the "socket" closes and its tasks are asked about (a sync task still running is collected).
   */
  readonly requestTimeoutMs?: number | undefined
}

interface Sent {
  readonly taskUUIDs: readonly string[]
  readonly taskTypes: readonly string[]
  /** The taskUUIDs getResponse asked about. */
  readonly asked: readonly string[]
  readonly apiKey: string | undefined
  /** A request of one streamed text (`deliveryMethod: "stream"`): its answer is server-sent events. */
  readonly stream: boolean
}

const isStream = (task: Record<string, unknown>): boolean => task.deliveryMethod === 'stream' && task.taskType === 'textInference'

/** The tasks a request carries (our own JSON), for the items an answer without a body stands for. */
function sentOf(tasks: readonly Record<string, unknown>[], stream: boolean): Sent {
  const taskUUIDs: string[] = []
  const taskTypes: string[] = []
  const asked: string[] = []
  let apiKey: string | undefined
  for (const task of tasks) {
    if (task.taskType === 'authentication' && typeof task.apiKey === 'string') apiKey = task.apiKey
    if (task.taskType === 'getResponse' && typeof task.taskUUID === 'string') asked.push(task.taskUUID)
    else if (typeof task.taskUUID === 'string' && typeof task.taskType === 'string') {
      taskUUIDs.push(task.taskUUID)
      taskTypes.push(task.taskType)
    }
  }
  return { taskUUIDs, taskTypes, asked, apiKey, stream }
}

/**
 * The requests a frame becomes: the frame itself, except that a streamed text goes alone (its
 * answer is a stream of events of its own). Each with what it carries.
 */
function requestsOf(frame: string): [string, Sent][] {
  let tasks: Record<string, unknown>[]
  try {
    const parsed = JSON.parse(frame) as unknown
    // Not ours to judge: the server will answer it.
    if (!Array.isArray(parsed)) return [[frame, sentOf([], false)]]
    tasks = (parsed as unknown[]).filter((task): task is Record<string, unknown> => typeof task === 'object' && task !== null)
  } catch {
    return [[frame, sentOf([], false)]]
  }
  const streams = tasks.filter(isStream)
  if (streams.length === 0) return [[frame, sentOf(tasks, false)]]
  const rest = tasks.filter((task) => !isStream(task))
  const alone = streams.map((task): [string, Sent] => [JSON.stringify([task]), sentOf([task], true)])
  return rest.length === 0 ? alone : [[JSON.stringify(rest), sentOf(rest, false)], ...alone]
}

type Body = { data?: unknown; errors?: unknown }

/** The body, when it is a Runware answer (an object with `data`, `errors` or `error`); parsed once. */
function envelopeOf(text: string): Body | undefined {
  try {
    const body = JSON.parse(text) as unknown
    return typeof body === 'object' && body !== null && !Array.isArray(body) && ('data' in body || 'errors' in body || 'error' in body)
      ? (body as Body)
      : undefined
  } catch {
    return undefined
  }
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : [])

function taskOf(item: unknown): string | undefined {
  const id = typeof item === 'object' && item !== null ? (item as { taskUUID?: unknown }).taskUUID : undefined
  return typeof id === 'string' ? id : undefined
}

/**
 * The answer's errors, each with the status it came with. An answer that names no task answers for
 * every task of its request (a WebSocket error naming no task is ambiguous; a request's is not).
 */
function stampStatus(body: Body, status: number, sent: Sent): void {
  const errors = list(body.errors)
  const named = [...errors, ...list(body.data)].some((item) => taskOf(item) !== undefined)
  // What is not an object is left as it came: the parser reports it.
  const stamp = (item: unknown, task: object): unknown => (typeof item === 'object' && item !== null ? { ...item, httpStatus: status, ...task } : item)
  body.errors =
    named || sent.taskUUIDs.length === 0
      ? errors.map((item) => stamp(item, {}))
      : sent.taskUUIDs.flatMap((taskUUID, index) => errors.map((item) => stamp(item, { taskUUID, taskType: sent.taskTypes[index] })))
}

/**
 * On a socket every getResponse gets an answer frame of its own, an empty one included, and the
 * probes count them (tasks/questions.ts). One answer to several questions is cut back into one per question.
 */
function perQuestion(body: Body, asked: readonly string[]): string[] {
  const data = list(body.data)
  const errors = list(body.errors)
  const questions = new Set(asked)
  const frames = asked.map((id) => JSON.stringify({ data: data.filter((item) => taskOf(item) === id), errors: errors.filter((item) => taskOf(item) === id) }))
  const rest = { data: data.filter((item) => !questions.has(taskOf(item) ?? '')), errors: errors.filter((item) => !questions.has(taskOf(item) ?? '')) }
  return rest.data.length + rest.errors.length > 0 ? [JSON.stringify(rest), ...frames] : frames
}

/** The frames a Runware answer stands for: as received when nothing needs changing (the common case). */
function framesOf(text: string, body: Body, status: number, sent: Sent): string[] {
  const failed = status >= 400 && Array.isArray(body.errors)
  if (failed) stampStatus(body, status, sent)
  if (sent.asked.length > 0) return perQuestion(body, sent.asked)
  return [failed ? JSON.stringify(body) : text]
}

const isEventStream = (response: Response): boolean => (response.headers.get('content-type') ?? '').startsWith('text/event-stream')

class TooLarge extends Error {}

/** The body as text, refused past `limit` bytes (it is read, never trusted, as a frame is). */
async function readBody(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > limit) throw new TooLarge()
  const reader = response.body?.getReader()
  if (reader === undefined) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const read = await reader.read()
    if (read.done) break
    const chunk = read.value as Uint8Array
    size += chunk.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      throw new TooLarge()
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Opens the HTTP "socket": open at once (the first request is the connection's auth frame). */
export function openHttp(url: string, options: HttpSocketOptions, handlers: SocketHandlers): OpenSocket {
  const inFlight = new Set<AbortController>()
  /** The requests of streamed texts, by taskUUID: cancelled when their task leaves. */
  const streams = new Map<string, AbortController>()
  let apiKey: string | undefined
  let ended = false
  const end = (): void => {
    ended = true
    for (const controller of inFlight) controller.abort()
    inFlight.clear()
  }
  const lose = (code: number, why: string): void => {
    if (ended) return
    end()
    handlers.close(code, why)
  }
  const post = async (frame: string, sent: Sent): Promise<void> => {
    apiKey = sent.apiKey ?? apiKey
    const controller = new AbortController()
    inFlight.add(controller)
    const streamed = sent.stream ? sent.taskUUIDs[0] : undefined
    if (streamed !== undefined) streams.set(streamed, controller)
    const limit = options.requestTimeoutMs
    const watchdog = limit === undefined ? undefined : options.clock.setTimeout(() => lose(1006, `no answer within ${limit} ms`), limit)
    watchdog?.unref?.()
    try {
      const accept = sent.stream ? 'text/event-stream, application/json' : 'application/json'
      const headers: Record<string, string> = { ...options.headers, 'content-type': 'application/json', accept }
      if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`
      const response = await fetch(url, { method: 'POST', headers, body: frame, signal: controller.signal })
      if (streamed !== undefined && response.ok && response.body !== null && isEventStream(response)) {
        // Accepted and under way: from here a break is the stream's, not a fate unknown.
        if (watchdog !== undefined) options.clock.clearTimeout(watchdog)
        const task = { taskUUID: streamed, taskType: sent.taskTypes[0] ?? 'textInference' }
        const limits = { maxFrameBytes: options.maxFrameBytes, idleMs: limit, clock: options.clock }
        await readTextStream(response.body, task, limits, controller.signal, (text) => {
          if (!ended) handlers.message(text)
        })
        return
      }
      const text = await readBody(response, options.maxFrameBytes)
      if (ended) return
      const body = envelopeOf(text)
      const frames =
        body !== undefined
          ? framesOf(text, body, response.status, sent)
          : response.status >= 400 && response.status < 500
            ? [statusFrame(sent, response.status)]
            : undefined
      if (frames === undefined) lose(1011, `HTTP ${response.status} without a Runware answer`)
      else for (const frame of frames) handlers.message(frame)
    } catch (error) {
      if (ended) return
      if (error instanceof TooLarge) {
        handlers.error('Max payload size exceeded', true)
        lose(1009, 'answer over maxFrameBytes')
      } else {
        // A reset, a refused connection, a body cut: whether the server took the tasks is unknown.
        lose(1006, error instanceof Error ? error.message : 'request failed')
      }
    } finally {
      if (watchdog !== undefined) options.clock.clearTimeout(watchdog)
      inFlight.delete(controller)
      if (streamed !== undefined && streams.get(streamed) === controller) streams.delete(streamed)
    }
  }
  const opened = options.clock.setTimeout(() => {
    if (!ended) handlers.open()
  }, 0)
  opened.unref?.()
  return {
    send: (frame) => {
      if (!ended) for (const [body, sent] of requestsOf(frame)) void post(body, sent)
    },
    cancel: (taskUUID) => {
      streams.get(taskUUID)?.abort()
      streams.delete(taskUUID)
    },
    end: () => {
      options.clock.clearTimeout(opened)
      end()
      return Promise.resolve()
    },
  }
}

/** The items a 4xx without a Runware body stands for: one `httpError` per task it carried. */
function statusFrame(sent: Sent, status: number): string {
  const message = `HTTP ${status} without a Runware error body`
  const errors =
    sent.taskUUIDs.length === 0
      ? [{ code: 'httpError', message, httpStatus: status }]
      : sent.taskUUIDs.map((taskUUID, index) => ({ code: 'httpError', message, httpStatus: status, taskUUID, taskType: sent.taskTypes[index] }))
  return JSON.stringify({ data: [], errors })
}
