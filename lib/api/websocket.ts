/**
 * What the `WebSocket` option accepts: the `ws` package (the default, and anything with its API:
 * `on`, `terminate`) or a standard WHATWG WebSocket constructor (undici's, Node 22's global,
 * Deno's, Bun's). Structural, so the published declarations need neither `ws` nor its types.
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
export type WsConstructor = new (url: string, options: { perMessageDeflate: boolean; maxPayload: number; headers: Record<string, string> }) => WsLike

/** What a standard WebSocket's events carry, as far as this library reads them. */
export interface WhatwgEvent {
  readonly data?: unknown
  readonly code?: number
  readonly reason?: string
}

/** The part of a standard WebSocket this library uses (methods, so any DOM-shaped one fits). */
export interface WhatwgLike {
  readonly readyState: number
  binaryType: string
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: WhatwgEvent) => void): void
  removeEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: WhatwgEvent) => void): void
  send(data: string): void
  close(code?: number, reason?: string): void
}

export type WhatwgConstructor = new (url: string) => WhatwgLike

/** `ws` (default) or a standard WebSocket constructor. */
export type WebSocketConstructor = WsConstructor | WhatwgConstructor
