/**
 * The two hardening properties (#9), each in a child process with no uncaughtException or
 * unhandledRejection handler, as a worker runs: a throw let into the event loop or an unhandled
 * rejection ends the child with an error, and a leftover timer or socket keeps it from exiting.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

interface Exit {
  code: number | null
  stdout: string
  stderr: string
  timedOut: boolean
}

function runChild(name: string): Promise<Exit> {
  const file = fileURLToPath(new URL(`./children/${name}.ts`, import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve) => {
    // Not a sleep: a bound on an exit that normally comes within seconds.
    const guard = setTimeout(() => {
      child.kill('SIGKILL')
      resolve({ code: null, stdout, stderr, timedOut: true })
    }, 60_000)
    child.on('exit', (code) => {
      clearTimeout(guard)
      resolve({ code, stdout, stderr, timedOut: false })
    })
  })
}

describe('hardening properties', () => {
  it('hostile frames interleaved with real results: nothing thrown, every task gets exactly its items, no pollution', async () => {
    const exit = await runChild('hostile-frames')
    expect(exit.stderr).toBe('')
    expect(exit).toMatchObject({ code: 0, timedOut: false })
    const report = JSON.parse(exit.stdout.trim()) as { ok: boolean; errorsReported: number }
    expect(report.ok).toBe(true)
    // The hostile frames were seen and reported, not silently swallowed.
    expect(report.errorsReported).toBeGreaterThan(50)
  }, 90_000)

  it('caller code that throws or re-enters anywhere: every promise settles once, nothing unhandled, the process exits by itself', async () => {
    const exit = await runChild('hostile-callers')
    expect(exit.stderr).toBe('')
    expect(exit).toMatchObject({ code: 0, timedOut: false })
    const report = JSON.parse(exit.stdout.trim()) as { ok: boolean; iterations: number; tasksSettled: number; taken: Record<string, number> }
    expect(report.iterations).toBe(100)
    expect(report.tasksSettled).toBeGreaterThan(100)
    for (const action of ['throw', 'close', 'run', 'connect', 'abort']) expect(report.taken[action] ?? 0).toBeGreaterThan(0)
  }, 90_000)
})
