/** Spawning the CLI for specs: real child processes, waits on their output, and a kill on teardown. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach } from 'vitest'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CLI = fileURLToPath(new URL('../../lib/cli.ts', import.meta.url))
// ANSI escape sequences (colour, cursor moves): none may reach a pipe.
// eslint-disable-next-line no-control-regex
export const ANSI = /\x1b\[/

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface Cli {
  readonly child: ChildProcessWithoutNullStreams
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exited: Promise<Exit>
  /** Resolves once stdout (or stderr) matches; rejects if the process exits first or after timeoutMs. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpExecArray>
}

const running = new Set<ChildProcessWithoutNullStreams>()

/** Kills whatever a spec left running (a failed assertion must not leak a process). */
export function useCli(): void {
  afterEach(() => {
    for (const child of running) child.kill('SIGKILL')
    running.clear()
  })
}

/** `node --import tsx lib/cli.ts ...args`, with RUNWARE_API_KEY removed from the environment unless given. */
export function spawnCli(args: readonly string[], env: Record<string, string> = {}): Cli {
  const base = { ...process.env }
  delete base.RUNWARE_API_KEY
  delete base.NO_COLOR
  delete base.FORCE_COLOR
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  running.add(child)
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  const notify = (): void => {
    for (const listener of listeners) listener()
  }
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    notify()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    notify()
  })
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child)
      resolve({ code, signal })
    })
  })
  let done = false
  void exited.then(() => {
    done = true
    notify()
  })
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor(pattern, stream = 'stdout', timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(stream === 'stdout' ? stdout : stderr)
          if (match !== null) finish(() => resolve(match))
          else if (done) finish(() => reject(new Error(`exited before ${String(pattern)} on ${stream}; stdout: ${stdout}\nstderr: ${stderr}`)))
        }
        const finish = (settle: () => void): void => {
          clearTimeout(timer)
          listeners.delete(check)
          settle()
        }
        // An upper bound, not a sleep: the match normally comes within a second or two.
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no ${String(pattern)} on ${stream} within ${timeoutMs} ms; stderr: ${stderr}`))),
          timeoutMs,
        )
        listeners.add(check)
        check()
      })
    },
  }
}

/** The exit, or a rejection after timeoutMs (the child is then killed). */
export async function exitOf(cli: Cli, timeoutMs = 30_000): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cli.child.kill('SIGKILL')
      reject(new Error(`no exit within ${timeoutMs} ms; stdout: ${cli.stdout()}\nstderr: ${cli.stderr()}`))
    }, timeoutMs)
  })
  try {
    return await Promise.race([cli.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}
