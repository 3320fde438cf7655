import { describe, expect, it, vi } from 'vitest'
import { ManualClock } from '../helpers/manual-clock.js'
import { is } from '../helpers/test-client.js'
import { useHarness } from '../helpers/harness.js'
import { waitFor } from '../helpers/wait.js'
import { imageTask } from '../fixtures/tasks.js'

const h = useHarness()

describe('idle timeout', () => {
  it('closes a socket after idleTimeoutMs without a frame in either direction', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, idleTimeoutMs: 120_000 })
    const { client } = await h.authed(sim)
    clock.advance(119_999)
    await client.ping()
    const timedOut = waitFor(sim.events, 'idleTimeout')
    const serverClosed = waitFor(sim.events, 'close')
    clock.advance(120_000)
    await timedOut
    expect(await client.closed).toBe(1000)
    await serverClosed
    expect(sim.stats.openSockets).toBe(0)
  })

  it('keeps a socket open while pings keep arriving', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, idleTimeoutMs: 120_000 })
    const { client } = await h.authed(sim)
    for (let i = 0; i < 5; i++) {
      clock.advance(60_000)
      await client.ping()
    }
    expect(sim.stats.openSockets).toBe(1)
    expect(sim.stats.pings).toBe(5)
  })

  it('also times out sockets that never authenticated', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, idleTimeoutMs: 1_000 })
    const client = await h.connect(sim)
    clock.advance(1_000)
    expect(await client.closed).toBe(1000)
  })

  it('never times out when idleTimeoutMs is 0', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, idleTimeoutMs: 0 })
    const { client } = await h.authed(sim)
    clock.advance(10 * 60_000)
    await client.ping()
    expect(clock.pending).toBe(0)
  })

  it('runs on the default system clock under vitest fake timers (I/O keeps working)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] })
    try {
      const sim = await h.simulator({ idleTimeoutMs: 120_000, latencyMs: 1_000 })
      const { client } = await h.authed(sim)
      const task = imageTask()
      client.send([task])
      await client.ping()
      vi.advanceTimersByTime(1_000)
      await client.next(is.task(task.taskUUID))
      vi.advanceTimersByTime(120_000)
      expect(await client.closed).toBe(1000)
    } finally {
      vi.useRealTimers()
    }
  })
})
