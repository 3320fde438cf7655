import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { useHarness } from '../helpers/harness.js'

const fixture = fileURLToPath(new URL('../fixtures/run-and-close.ts', import.meta.url))

describe('close()', () => {
  const h = useHarness()

  it('lets the process exit by itself: no timer, listener or socket outlives it', async () => {
    // Answers ordinary tasks, acknowledges async ones, and never answers 'slow' tasks or polls,
    // so close() finds tasks in flight, queued (maxInFlight 4), and being polled.
    const server = await h.scripted({
      onTasks: (tasks, reply) => {
        for (const task of tasks) {
          if (task.taskType === 'getResponse' || task.positivePrompt === 'slow') continue
          const item = task.deliveryMethod === 'async' ? {} : { imageUUID: `i-${String(task.taskUUID)}` }
          reply({ data: [{ taskType: task.taskType, taskUUID: task.taskUUID, ...item }] })
        }
      },
    })
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, server.url], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exit = await new Promise<{ code: number | null; timedOut: boolean }>((resolve) => {
      // Not a sleep: a bound on how long we wait for an exit that normally comes within 2 s.
      const guard = setTimeout(() => {
        child.kill('SIGKILL')
        resolve({ code: null, timedOut: true })
      }, 15_000)
      child.on('exit', (code) => {
        clearTimeout(guard)
        resolve({ code, timedOut: false })
      })
    })
    expect(stderr).toBe('')
    expect(exit).toEqual({ code: 0, timedOut: false })
    const report = JSON.parse(stdout.trim()) as { completed: number; outcomes: string[]; alive: string[] }
    expect(report.completed).toBe(10)
    expect(report.outcomes).toEqual(Array.from({ length: 8 }, () => 'connectionClosed'))
    expect(report.alive).toEqual([])
  }, 30_000)
})
