/**
 * One socket, whichever implementation: the `ws` package (the default, and anything with its API:
 * `on`, `terminate`) or a standard WHATWG WebSocket (undici's, Node 22's global, Deno's, Bun's).
 * The connection sees only text frames in, text frames out, and one way to end it.
 *
 * The types are structural, so the published declarations need neither `ws` nor its types.
 */

/** The part of `ws`'s WebSocket this library uses. */
export interface WsLike {
  readonly readyState: number
  on(event: 'open', listener: () => void): unknown
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): unknown
  on(event: 'close', listener: (code: number, reason: { toString(): string }) => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  once(event: 'close', listener: () => void): unknown
  removeAllListeners(): unknown
  send(data: string): void
  terminate(): void
}

/** A `ws`-compatible constructor (the `ws` class, a subclass with a proxy agent, …). */
export type WsConstructor = new (
  url: string,
  options: { perMessageDeflate: boolean; maxPayload: number; headers: Record<string, string> },
) => WsLike

/** The part of a standard WebSocket this library uses. */
export interface WhatwgLike {
  readonly readyState: number
  binaryType: string
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { readonly data: unknown }) => void) | null
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

export type WhatwgConstructor = new (url: string) => WhatwgLike

/** `ws` (default) or a standard WebSocket constructor. */
export type WebSocketConstructor = WsConstructor | WhatwgConstructor

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
}

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
  socket.onopen = () => handlers.open()
  socket.onmessage = (event) => {
    const frame = text(event.data)
    // A standard socket has no payload limit of its own: the frame is already in memory, but it is refused all the same.
    if (Buffer.byteLength(frame) > options.maxFrameBytes) handlers.error('Max payload size exceeded', true)
    else handlers.message(frame)
  }
  socket.onclose = (event) => handlers.close(event.code, event.reason)
  // The standard error event carries no detail.
  socket.onerror = () => handlers.error('WebSocket error', false)
  return {
    send: (frame) => socket.send(frame),
    end: () => {
      socket.onopen = null
      socket.onmessage = null
      socket.onclose = null
      socket.onerror = null
      // No terminate in the standard API: close, and stop listening at once (a half-open peer never answers).
      if (socket.readyState !== CLOSED) socket.close()
      return Promise.resolve()
    },
  }
}
