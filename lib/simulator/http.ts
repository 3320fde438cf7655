/**
 * The simulator's REST side (docs/simulator.md, "HTTP"): `POST` on the WebSocket's port and path
 * with the same JSON array of tasks, authenticated by `Authorization: Bearer <key>` or by an
 * authentication task first. Every request gets a session of its own, so the router, engine,
 * faults and outbound path serve it exactly as they serve a socket (http-exchange.ts). The answer
 * is `{ data, errors }` with the status of its first error (codes.ts); `deliveryMethod: "stream"`
 * on a textInference answers in server-sent events.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { DataItem, Task } from '../protocol/protocol.js'
import type { Alarms } from './alarms.js'
import { httpStatusOf } from './codes.js'
import { count, type Faults } from './faults.js'
import type { HttpControls } from './api.js'
import { HttpExchange } from './http-exchange.js'
import type { Outbound } from './outbound.js'
import type { Registry } from './registry.js'
import { authErrorFrame, connectionErrorFrame, encodeEnvelope } from './replies.js'
import type { Router } from './router.js'
import type { SessionStore } from './sessions.js'
import type { SimulatorStats } from './stats.js'
import type { Clock } from '../support/clock.js'

export interface HttpFrontDeps {
  clock: Clock
  alarms: Alarms
  stats: SimulatorStats
  faults: Faults
  sessions: SessionStore
  registry: Registry
  router: Router
  outbound: Outbound
  apiKeys: ReadonlySet<string> | undefined
  maxBodyBytes: number
  refuseUpgrade: boolean
  /** Milliseconds between two events of a stream. */
  streamChunkMs: number
  onError: (error: unknown) => void
}

interface Answer {
  status: number
  body: string
  type: string
}

const JSON_TYPE = 'application/json'

function bearerKey(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null
  return match?.[1]
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export class HttpFront implements HttpControls {
  upgradesRefused: boolean
  readonly #statuses: { status: number; code: string | undefined }[] = []
  #resets = 0
  #slow = { n: 0, ms: 0 }
  #streamCuts = 0
  readonly #live = new Map<HttpExchange, ServerResponse>()
  #nextId = 1

  constructor(private readonly deps: HttpFrontDeps) {
    this.upgradesRefused = deps.refuseUpgrade
  }

  failRequests(n: number, status: number, code?: string): void {
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new RangeError(`status must be an HTTP status, got ${status}`)
    for (let i = 0; i < count('n', n); i++) this.#statuses.push({ status, code })
  }

  resetAfterAccept(n: number): void {
    this.#resets += count('n', n)
  }

  slowBodies(n: number, ms: number): void {
    this.#slow = { n: count('n', n), ms: count('ms', ms) }
  }

  cutStreams(n: number): void {
    this.#streamCuts += count('n', n)
  }

  refuseUpgrades(refuse = true): void {
    this.upgradesRefused = refuse
  }

  /** The WebSocket server's question for each upgrade. */
  verifyUpgrade(done: (accept: boolean, status?: number, message?: string) => void): void {
    if (!this.upgradesRefused) {
      done(true)
      return
    }
    this.deps.stats.upgradesRefused++
    done(false, 403, 'WebSocket upgrades are refused here')
  }

  /** Every request in flight is cut, as by a network failure (dropAll; a fault unless the simulator is closing). */
  cutAll(fault = true): void {
    for (const exchange of [...this.#live.keys()]) if (exchange.cut() && fault) this.deps.stats.faults.drops++
  }

  /** Every request in flight is left hanging (silence). */
  silenceAll(): void {
    for (const exchange of this.#live.keys()) if (exchange.silence()) this.deps.stats.faults.silences++
  }

  handle(request: IncomingMessage, response: ServerResponse): void {
    if (request.method !== 'POST') {
      response.writeHead(405, { allow: 'POST', 'content-type': JSON_TYPE }).end(connectionErrorFrame('methodNotAllowed', 'Send tasks with POST.'))
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      // Past the bound the rest is read and dropped, so the client gets its 413.
      if (size <= this.deps.maxBodyBytes) chunks.push(chunk)
    })
    request.on('end', () => {
      if (size > this.deps.maxBodyBytes) {
        this.#send(response, { status: 413, type: JSON_TYPE, body: connectionErrorFrame('payloadTooLarge', 'The request body is too large.') })
        return
      }
      try {
        this.#serve(request, response, Buffer.concat(chunks).toString('utf8'))
      } catch (error) {
        this.deps.onError(error)
        this.#send(response, { status: 500, type: JSON_TYPE, body: connectionErrorFrame('internalServerError', 'The simulator failed.') })
      }
    })
    request.on('error', () => undefined)
  }

  #serve(request: IncomingMessage, response: ServerResponse, text: string): void {
    const { stats, faults, apiKeys } = this.deps
    stats.httpRequests++
    const scripted = this.#statuses.shift()
    if (scripted !== undefined) {
      stats.faults.statuses++
      // A status with no code in a JSON body is what a proxy or gateway answers.
      const body =
        scripted.code === undefined ? `<html><body>${scripted.status}</body></html>` : connectionErrorFrame(scripted.code, `injected ${scripted.status}`)
      this.#send(response, { status: scripted.status, type: scripted.code === undefined ? 'text/html' : JSON_TYPE, body })
      return
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      this.#send(response, this.#refusal('invalidJSON', connectionErrorFrame('invalidJSON', 'The body is not valid JSON. Send a JSON array of task objects.')))
      return
    }
    if (!Array.isArray(value) || value.length === 0) {
      this.#send(response, this.#refusal('invalidPayload', connectionErrorFrame('invalidPayload', 'The body must be a non-empty JSON array of task objects.')))
      return
    }
    const first: unknown = value[0]
    if (isObject(first) && first.taskType === 'authentication') {
      // The authentication task is the router's, as on a socket: it checks the key and answers
      // with a session (a resume replays what that session kept); the rest runs in it.
      this.#run(response, value, undefined)
      return
    }
    const apiKey = bearerKey(request)
    const refusal =
      faults.authFailure(apiKey) ??
      (apiKey === undefined || apiKey === '' ? 'missingApiKey' : apiKeys !== undefined && !apiKeys.has(apiKey) ? 'invalidApiKey' : undefined)
    if (refusal !== undefined || apiKey === undefined) {
      stats.authFailures++
      this.#send(response, this.#refusal(refusal ?? 'missingApiKey', authErrorFrame(refusal ?? 'missingApiKey', 'errors')))
      return
    }
    this.#run(response, value, apiKey)
  }

  /** `apiKey`: a session of its own for the request (undefined: the array starts with an authentication task). */
  #run(response: ServerResponse, tasks: unknown[], apiKey: string | undefined): void {
    const { sessions, registry, router, outbound, clock } = this.deps
    const work = apiKey === undefined ? tasks.slice(1) : tasks
    const only = work.length === 1 ? work[0] : undefined
    const stream = isObject(only) && only.deliveryMethod === 'stream' && only.taskType === 'textInference'
    const routed = stream ? [...tasks.slice(0, tasks.length - 1), { ...(only as Task), deliveryMethod: 'sync' }] : tasks
    const ids = routed.map((task) => (isObject(task) && typeof task.taskUUID === 'string' ? task.taskUUID : undefined))
    const knownBefore = new Set(ids.filter((id): id is string => id !== undefined && registry.get(id) !== undefined))
    const exchange = new HttpExchange(this.#nextId++, clock.now(), {
      complete: (done) => {
        this.#finish(done, stream)
      },
      cut: (done) => {
        this.#live.delete(done)
        if (done.session !== undefined) sessions.detach(done.session)
        response.destroy()
      },
    })
    this.#live.set(exchange, response)
    response.on('close', () => {
      if (!this.#live.delete(exchange)) return
      exchange.abandon()
      if (exchange.session !== undefined) sessions.detach(exchange.session)
    })
    if (apiKey !== undefined) sessions.attach(sessions.create(apiKey), exchange)
    router.handle(exchange, JSON.stringify(routed))
    for (const id of ids) {
      if (id === undefined || knownBefore.has(id)) continue
      const accepted = registry.get(id)
      if (accepted?.plan.deliveryMethod === 'sync') exchange.await(id, accepted.plan.expected)
    }
    outbound.flush(exchange)
    exchange.arm()
  }

  #finish(exchange: HttpExchange, stream: boolean): void {
    const response = this.#live.get(exchange)
    this.#live.delete(exchange)
    if (exchange.session !== undefined) this.deps.sessions.detach(exchange.session)
    if (response === undefined) return
    if (this.#resets > 0) {
      this.#resets--
      this.deps.stats.faults.resets++
      response.destroy()
      return
    }
    const item = exchange.data[0]
    if (stream && exchange.errors.length === 0 && exchange.garbled === undefined && item !== undefined) {
      this.#stream(response, item)
      return
    }
    const body = exchange.garbled ?? encodeEnvelope(exchange.data, exchange.errors)
    const code = exchange.errors[0]?.code
    this.#send(response, { status: code === undefined ? 200 : httpStatusOf(code), type: JSON_TYPE, body })
  }

  /** A refusal of the whole request: its status from its code. */
  #refusal(code: string, body: string): Answer {
    return { status: httpStatusOf(code), type: JSON_TYPE, body }
  }

  #send(response: ServerResponse, answer: Answer): void {
    if (response.headersSent || response.destroyed) return
    response.writeHead(answer.status, { 'content-type': answer.type, 'content-length': Buffer.byteLength(answer.body) })
    const slow = this.#slow
    if (slow.n <= 0 || answer.body.length < 2) {
      response.end(answer.body)
      return
    }
    slow.n--
    const bytes = Buffer.from(answer.body)
    const half = bytes.length >> 1
    response.write(bytes.subarray(0, half))
    this.deps.alarms.after(slow.ms, () => {
      if (!response.destroyed) response.end(bytes.subarray(half))
    })
  }

  /**
   * The item's text in events `streamChunkMs` apart, each `{ taskType, taskUUID, delta: { text } }`,
   * then a last event with the rest of the item (`finishReason`, `usage`, `cost`), then [DONE]:
   * the shape Runware's own SDK reads (runware-typescript `src/stream.ts`), text never repeated.
   */
  #stream(response: ServerResponse, item: DataItem): void {
    this.deps.stats.streams++
    const { text, ...rest } = item
    const pieces = (typeof text === 'string' ? text : '').match(/\S+\s*|\s+/g) ?? []
    const scope = { taskType: item.taskType, taskUUID: item.taskUUID }
    const events = pieces.map((piece) => JSON.stringify({ ...scope, delta: { text: piece } }))
    events.push(JSON.stringify({ ...rest, delta: {}, finishReason: rest.finishReason ?? 'stop' }), '[DONE]')
    const cutAt = this.#streamCuts > 0 ? Math.max(1, events.length >> 1) : undefined
    if (cutAt !== undefined) this.#streamCuts--
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    let next = 0
    response.on('close', () => {
      if (next < events.length && next !== cutAt) this.deps.stats.streamsLeft++
    })
    const emit = (): void => {
      if (response.destroyed) return
      if (next === cutAt) {
        this.deps.stats.faults.streamCuts++
        response.destroy()
        return
      }
      const event = events[next++]
      if (event === undefined) {
        response.end()
        return
      }
      response.write(`data: ${event}\n\n`)
      this.deps.alarms.after(this.deps.streamChunkMs, emit)
    }
    emit()
  }
}
