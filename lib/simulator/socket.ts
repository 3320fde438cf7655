/** One client socket as the simulator sees it. */
import { WebSocket } from 'ws'
import type { OutUnit, Session, SocketLink, SocketState } from './model.js'

interface Corkable {
  cork(): void
  uncork(): void
}

const FRAMES_PER_WRITE = 64

export class SimSocket implements SocketLink {
  state: SocketState = 'open'
  session: Session | undefined
  /** Units waiting for the next flush. */
  outbox: OutUnit[] = []
  /** Clock time of the last frame in either direction (for the idle timeout). */
  lastActivity: number
  private pendingWrites = 0
  private corked: Corkable | undefined
  private corkedFrames = 0
  private terminateWhenFlushed = false

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    now: number,
    /** Opened with `?dryRun=1`: tasks are validated and answered, never executed. */
    readonly dryRun = false,
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
    const corked = this.corked
    if (corked !== undefined && ++this.corkedFrames % FRAMES_PER_WRITE === 0) {
      corked.uncork()
      corked.cork()
    }
  }

  /**
   * Node writes each frame with its own system call while the socket keeps up; a burst (a resume
   * replaying thousands of results, one per frame) is corked, and let go every FRAMES_PER_WRITE
   * frames so the client can start reading. `ws` has no public cork: its underlying net.Socket is
   * reached where it exists, and otherwise the frames go one by one.
   */
  batch(work: () => void): void {
    const net = (this.ws as unknown as { _socket?: Corkable })._socket
    if (typeof net?.cork !== 'function' || typeof net.uncork !== 'function' || this.corked !== undefined) {
      work()
      return
    }
    this.corked = net
    this.corkedFrames = 0
    net.cork()
    try {
      work()
    } finally {
      this.corked = undefined
      net.uncork()
    }
  }

  /** Goes half-open: stays up, sends nothing, discards what it receives. False unless it was open. */
  silence(): boolean {
    if (this.state !== 'open') return false
    this.state = 'silent'
    return true
  }

  /** The socket closed (for any reason). False when it already had. */
  markClosed(): boolean {
    if (this.state === 'closed') return false
    this.state = 'closed'
    return true
  }

  /** What waits to be sent, taken out (to salvage into the session buffer). */
  takeOutbox(): OutUnit[] {
    const units = this.outbox
    this.outbox = []
    return units
  }

  /** The simulator is shutting down. */
  terminate(): void {
    this.state = 'closed'
    this.ws.terminate()
  }

  /**
   * Ends the socket without a close frame, like a network cut. Frames already handed to the socket
   * still leave first, so "drop after n frames" means the client really saw n frames.
   */
  cut(): boolean {
    if (this.state === 'closed' || this.state === 'cut') return false
    this.state = 'cut'
    if (this.pendingWrites === 0) this.ws.terminate()
    else this.terminateWhenFlushed = true
    return true
  }

  private readonly written = (): void => {
    this.pendingWrites--
    if (this.terminateWhenFlushed && this.pendingWrites === 0) this.ws.terminate()
  }
}
