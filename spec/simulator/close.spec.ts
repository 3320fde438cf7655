import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startSimulator } from '../../lib/simulator/index.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { TestClient } from '../helpers/test-client.js'
import { useHarness } from '../helpers/harness.js'
import { imageTask } from '../fixtures/tasks.js'

const h = useHarness()

describe('close()', () => {
  it('terminates every socket, stops listening, and is idempotent', async () => {
    const sim = await startSimulator()
    const client = await TestClient.connect(sim.url)
    await client.auth()
    await Promise.all([sim.close(), sim.close()])
    expect(await client.closed).toBe(1006)
    await expect(TestClient.connect(sim.url)).rejects.toThrow()
    expect(sim.stats.openSockets).toBe(0)
  })

  it('clears every timer it armed on the clock', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, latencyMs: 10_000, asyncDurationMs: 10_000, idleTimeoutMs: 60_000 })
    const { client, sessionUUID } = await h.authed(sim)
    client.send([imageTask(), imageTask({ deliveryMethod: 'async' })])
    await client.ping()
    sim.dropAll()
    await client.closed
    expect(sessionUUID).toBeTruthy()
    expect(clock.pending).toBeGreaterThan(0)
    await sim.close()
    expect(clock.pending).toBe(0)
    clock.advance(1_000_000)
    expect(clock.pending).toBe(0)
  })

  it('lets the process exit: nothing it started outlives close()', async () => {
    const probe = fileURLToPath(new URL('../helpers/exit-probe.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', probe], { stdio: ['ignore', 'pipe', 'pipe'] })
    // A hanging child is the failure being tested for: the test times out, and the child must not outlive it.
    onTestFinished(() => {
      child.kill()
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (exitCode) => {
        resolve(exitCode)
      })
    })
    expect(output).toContain('closed')
    expect(code).toBe(0)
  }, 15_000)
})
