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

export interface SocketHandlers {
  open(): void
  /** A text frame (binary frames are decoded as UTF-8). */
  message(text: string): void
  close(code: number, reason: string): void
  /** `tooLarge`: a frame over the limit (`ws` refuses it unread; a standard socket read it first). */
  error(message: string, tooLarge: boolean): void
}

export interface OpenSocket {
  send(text: string): void
  /** Ends it now and ignores everything it does from here on; resolves once it is gone. */
  end(): Promise<void>
}

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
