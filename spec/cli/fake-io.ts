/** An in-memory Io for driving commands without a process. */
import { Readable } from 'node:stream'
import type { Io, Signal } from '../../lib/cli/io.js'

export interface FakeIo extends Io {
  out: () => string
  err: () => string
  /** Delivers a signal to whoever listens. */
  signal(signal: Signal): void
}

export function fakeIo(env: Record<string, string> = {}, stdinText = ''): FakeIo {
  let out = ''
  let err = ''
  const listeners = new Set<(signal: Signal) => void>()
  return {
    stdout: { write: (text: string) => (out += text), isTTY: false },
    stderr: { write: (text: string) => (err += text), isTTY: false },
    env,
    stdin: () => Readable.from([Buffer.from(stdinText)]),
    onSignal(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    out: () => out,
    err: () => err,
    signal(signal) {
      for (const listener of listeners) listener(signal)
    },
  }
}
