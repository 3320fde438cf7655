/**
 * What a command needs from the process, passed in so commands can be driven from a spec: two
 * output streams, the environment and the termination signals.
 */
import { MIN_API_KEY_LENGTH, Scrubber } from '../support/errors.js'

/** A text sink: process.stdout / process.stderr, or a spec's collector. */
export interface Output {
  write(text: string): unknown
  readonly isTTY?: boolean | undefined
  readonly columns?: number | undefined
}

export type Signal = 'SIGINT' | 'SIGTERM'

export interface Io {
  readonly stdout: Output
  readonly stderr: Output
  readonly env: Readonly<Record<string, string | undefined>>
  /** Standard input, for `run -`; a function so nothing touches stdin unless asked to. */
  stdin(): AsyncIterable<Buffer | string>
  /** Calls `listener` on SIGINT/SIGTERM until the returned function is called. */
  onSignal(listener: (signal: Signal) => void): () => void
}

/** Exit codes, shared by every command (documented in `runware-socket --help`). */
export const EXIT = {
  /** Everything succeeded. */
  ok: 0,
  /** run: the batch finished but some lines failed or timed out; demo: an invariant broke. */
  failed: 1,
  /** Bad flags, a missing file, RUNWARE_API_KEY not set. */
  usage: 2,
  /** Stopped early: cannot connect, authentication refused, account error, output not writable, port in use, internal error. */
  fatal: 3,
  sigint: 130,
  sigterm: 143,
} as const

export function exitCodeFor(signal: Signal): number {
  return signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm
}

/** https://no-color.org: any non-empty NO_COLOR turns colour off; so does a non-terminal. */
export function useColor(output: Output, env: Io['env']): boolean {
  if (output.isTTY !== true) return false
  if ((env.NO_COLOR ?? '') !== '') return false
  return env.TERM !== 'dumb'
}

/**
 * The same Io with the API key taken out of everything written: the last line of defence for the
 * command's own messages (the library already scrubs what it reports).
 */
export function scrubbedIo(io: Io, apiKey: string | undefined): Io {
  const key = apiKey?.trim() ?? ''
  // A key too short to be told from text is refused before anything runs (the command says so):
  // scrubbing it would mangle that very message.
  if (key.length < MIN_API_KEY_LENGTH) return io
  const scrubber = new Scrubber(key)
  const wrap = (output: Output): Output => ({
    write: (text: string) => output.write(scrubber.text(text)),
    get isTTY() {
      return output.isTTY
    },
    get columns() {
      return output.columns
    },
  })
  return { ...io, stdout: wrap(io.stdout), stderr: wrap(io.stderr) }
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdin: () => process.stdin,
    onSignal(listener) {
      const onInt = (): void => listener('SIGINT')
      const onTerm = (): void => listener('SIGTERM')
      process.on('SIGINT', onInt)
      process.on('SIGTERM', onTerm)
      return () => {
        process.off('SIGINT', onInt)
        process.off('SIGTERM', onTerm)
      }
    },
  }
}
