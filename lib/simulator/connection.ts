/** One client socket as the simulator sees it. */
import { WebSocket } from 'ws'
import type { OutUnit } from './framing.js'
import type { Session } from './sessions.js'

/**
 * open: normal. silent: half-open, sends nothing and discards what it receives, until it closes.
 * cut: terminated by a fault (waiting for frames already written to leave). closed: gone.
 */
export type ConnectionState = 'open' | 'silent' | 'cut' | 'closed'

export class Connection {
  state: ConnectionState = 'open'
  session: Session | undefined
  /** Units waiting for the next flush. */
  outbox: OutUnit[] = []
  /** Clock time of the last frame in either direction (for the idle timeout). */
  lastActivity: number
  private pendingWrites = 0
  private terminateWhenFlushed = false

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    now: number,
  ) {
    this.lastActivity = now
  }

  /** A method, not a getter: a write can change the answer, so it must not be narrowed. */
  isUsable(): boolean {
    return this.state === 'open' && this.ws.readyState === WebSocket.OPEN
  }

  write(frame: string): void {
    this.pendingWrites++
    this.ws.send(frame, this.written)
  }

  /**
   * Ends the socket without a close frame, like a network cut. Frames already handed to the socket
   * still leave first, so "drop after n frames" means the client really saw n frames.
   */
  cut(): void {
    if (this.state === 'closed') return
    this.state = 'cut'
    if (this.pendingWrites === 0) this.ws.terminate()
    else this.terminateWhenFlushed = true
  }

  private readonly written = (): void => {
    this.pendingWrites--
    if (this.terminateWhenFlushed && this.pendingWrites === 0) this.ws.terminate()
  }
}
