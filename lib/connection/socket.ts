/**
 * One socket, whichever implementation: the `ws` package (the default, and anything with its API:
 * `on`, `terminate`) or a standard WHATWG WebSocket (undici's, Node 22's global, Deno's, Bun's).
 * The connection sees only text frames in, text frames out, and one way to end it.
 *
 * The types it accepts (api/websocket.ts) are structural, so the published declarations need
 * neither `ws` nor its types.
 */
import type { WebSocketConstructor, WhatwgConstructor, WhatwgEvent, WsConstructor } from '../api/websocket.js'
import type { Clock } from '../support/clock.js'
import type { OpenSocket, SocketHandlers } from './port.js'
import { openHttp } from './http-socket.js'
import type { Probe } from './transport-choice.js'

export type { OpenSocket, SocketHandlers } from './port.js'

const CLOSED = 3

function isWs(ctor: WebSocketConstructor): ctor is WsConstructor {
  const proto = ctor.prototype as Record<string, unknown> | undefined
  return typeof proto?.on === 'function' && typeof proto.terminate === 'function'
}

function text(data: unknown): string {
  if (typeof data === 'string') return data
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]).toString('utf8')
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8')
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')
  return String(data)
}

export interface SocketOptions {
  readonly maxFrameBytes: number
  readonly headers: Record<string, string>
  /** For the bound on a standard socket's close handshake. */
  readonly clock: Clock
  /** HTTP only (http-socket.ts). */
  readonly requestTimeoutMs?: number | undefined
}

/** A standard socket cannot be terminated: its close handshake is awaited this long at most (a half-open peer never answers). */
const CLOSE_WAIT_MS = 1_000

/** Opens a socket; a constructor that throws throws here. */
export function openSocket(ctor: WebSocketConstructor, url: string, options: SocketOptions, handlers: SocketHandlers): OpenSocket {
  return isWs(ctor) ? openWs(ctor, url, options, handlers) : openWhatwg(ctor, url, options, handlers)
}

function openWs(ctor: WsConstructor, url: string, options: SocketOptions, handlers: SocketHandlers): OpenSocket {
  const socket = new ctor(url, { perMessageDeflate: false, maxPayload: options.maxFrameBytes, headers: options.headers })
  socket.on('open', () => handlers.open())
  socket.on('message', (data) => handlers.message(text(data)))
  socket.on('close', (code, reason) => handlers.close(code, reason.toString()))
  socket.on('error', (error) => handlers.error(error.message, (error as { code?: unknown }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'))
  return {
    send: (frame) => socket.send(frame),
    end: () => {
      socket.removeAllListeners()
      // A late 'error' from a dropped socket must not become an uncaught exception.
      socket.on('error', () => undefined)
      if (socket.readyState === CLOSED) return Promise.resolve()
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
      // terminate, not close: a half-open peer never answers a close.
      socket.terminate()
      return closed
    },
  }
}

function openWhatwg(ctor: WhatwgConstructor, url: string, options: SocketOptions, handlers: SocketHandlers): OpenSocket {
  const socket = new ctor(url)
  socket.binaryType = 'arraybuffer'
  const open = (): void => handlers.open()
  const message = (event: WhatwgEvent): void => {
    const frame = text(event.data)
    // A standard socket has no payload limit of its own: the frame is already in memory, but it is refused all the same.
    if (Buffer.byteLength(frame) > options.maxFrameBytes) handlers.error('Max payload size exceeded', true)
    else handlers.message(frame)
  }
  // The standard error event carries no detail, and a close always follows it: the close says what happened.
  const close = (event: WhatwgEvent): void => handlers.close(event.code ?? 1006, event.reason ?? '')
  socket.addEventListener('open', open)
  socket.addEventListener('message', message)
  socket.addEventListener('close', close)
  return {
    send: (frame) => socket.send(frame),
    end: () => {
      socket.removeEventListener('open', open)
      socket.removeEventListener('message', message)
      socket.removeEventListener('close', close)
      if (socket.readyState === CLOSED) return Promise.resolve()
      // No terminate in the standard API: close, stop listening to it at once, and wait for the
      // handshake to end, at most CLOSE_WAIT_MS (the timer never keeps the process alive).
      return new Promise<void>((resolve) => {
        const timer = options.clock.setTimeout(done, CLOSE_WAIT_MS)
        timer.unref?.()
        function done(): void {
          options.clock.clearTimeout(timer)
          socket.removeEventListener('close', done)
          resolve()
        }
        socket.addEventListener('close', done)
        socket.close()
      })
    },
  }
}

/** Where a socket goes: the WebSocket, or HTTP (http-socket.ts), which looks the same from here. */
export interface Endpoints {
  readonly WebSocket: WebSocketConstructor
  readonly url: string
  readonly httpUrl: string
  readonly maxFrameBytes: number
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number } | false
}

const HEADERS = { 'User-Agent': 'runware-socket' }

/** Over HTTP, a request unanswered for a heartbeat's interval and timeout is a silent socket. */
export function socketOptions(to: Endpoints, clock: Clock): SocketOptions {
  const requestTimeoutMs = to.heartbeat === false ? undefined : to.heartbeat.intervalMs + to.heartbeat.timeoutMs
  return { maxFrameBytes: to.maxFrameBytes, headers: HEADERS, clock, requestTimeoutMs }
}

export function openTransport(transport: 'websocket' | 'http', to: Endpoints, options: SocketOptions, handlers: SocketHandlers): OpenSocket {
  return transport === 'http' ? openHttp(to.httpUrl, options, handlers) : openSocket(to.WebSocket, to.url, options, handlers)
}

/** Opens a WebSocket only to learn whether it can be reached (`transport: 'auto'` on HTTP); closed at once. */
export function probeWebSocket(to: Endpoints, options: SocketOptions, run: (work: () => void) => void): Probe {
  return (reached, failed) => {
    let done = false
    const settle = (outcome: () => void): void => {
      if (done) return
      done = true
      void socket?.end()
      run(outcome)
    }
    let socket: OpenSocket | undefined
    try {
      socket = openSocket(to.WebSocket, to.url, options, {
        open: () => settle(reached),
        message: () => undefined,
        close: () => settle(failed),
        error: () => undefined,
      })
    } catch {
      settle(failed)
    }
    return { end: () => settle(() => undefined) }
  }
}
