/**
 * The process clock (support/clock.ts): monotonic time, and a timer that fires in the check phase
 * after it is due, whose ref and unref hold for both of its halves (the timeout, then the immediate).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { systemClock, type TimerHandle } from '../../lib/support/clock.js'

/** How many of the process's live handles of this kind keep it alive now (unref'd ones are not listed). */
const alive = (kind: 'Timeout' | 'Immediate'): number => process.getActiveResourcesInfo().filter((name) => name === kind).length

const handles: TimerHandle[] = []
afterEach(() => {
  for (const handle of handles.splice(0)) systemClock.clearTimeout(handle)
})

function arm(fn: () => void, ms: number): TimerHandle {
  const handle = systemClock.setTimeout(fn, ms)
  handles.push(handle)
  return handle
}

/** Keeps the loop busy past `ms`: every timer armed before is due in the same timers phase, in the order armed. */
function busy(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end);
}

/**
 * Calls `then` from a Node timeout armed right after a clock timer of the same delay: both are due
 * in the same timers phase (the loop is held past it), so it runs between the clock timer's two
 * halves: its timeout has run, its immediate has not.
 */
function betweenHalves(then: () => void): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(() => {
      then()
      resolve()
    }, 1)
    busy(5)
  })
}

describe('systemClock', () => {
  it('now() is performance.now(): monotonic, unmoved by the wall clock', () => {
    const before = performance.now()
    const now = systemClock.now()
    expect(now).toBeGreaterThanOrEqual(before)
    expect(now).toBeLessThanOrEqual(performance.now())
    expect(Math.abs(now - Date.now())).toBeGreaterThan(1_000_000)
  })

  it('fires once, after it is due, in the check phase (after the timers due with it)', async () => {
    const order: string[] = []
    const fired = new Promise<void>((resolve) =>
      arm(() => {
        order.push('clock')
        resolve()
      }, 5),
    )
    setTimeout(() => order.push('plain timeout'), 5)
    busy(10)
    await fired
    expect(order).toEqual(['plain timeout', 'clock'])
  })

  it('a timer keeps the process alive until it fires; then nothing is left', async () => {
    const timeouts = alive('Timeout')
    const immediates = alive('Immediate')
    let fire!: () => void
    const fired = new Promise<void>((resolve) => (fire = resolve))
    arm(() => fire(), 1)
    expect(alive('Timeout')).toBe(timeouts + 1)
    await fired
    expect(alive('Timeout')).toBe(timeouts)
    expect(alive('Immediate')).toBe(immediates)
  })

  it('unref before it is due: neither the timeout nor the immediate after it keep the process alive', async () => {
    const timeouts = alive('Timeout')
    let immediates = -1
    let fire!: () => void
    const fired = new Promise<void>((resolve) => (fire = resolve))
    const handle = arm(() => fire(), 1)
    expect(handle.unref?.()).toBe(handle)
    expect(alive('Timeout')).toBe(timeouts)
    // Between the two halves: the immediate is queued (unref'd) and has not run yet.
    await betweenHalves(() => (immediates = alive('Immediate')))
    await fired
    expect(immediates).toBe(0)
  })

  it('ref again: the process is kept alive again, through both halves', async () => {
    const timeouts = alive('Timeout')
    let immediates = -1
    let fire!: () => void
    const fired = new Promise<void>((resolve) => (fire = resolve))
    const handle = arm(() => fire(), 1)
    handle.unref?.()
    expect(handle.ref?.()).toBe(handle)
    expect(alive('Timeout')).toBe(timeouts + 1)
    await betweenHalves(() => (immediates = alive('Immediate')))
    await fired
    expect(immediates).toBe(1)
  })

  it('unref and ref while the immediate is pending apply to it', async () => {
    const handle = arm(() => undefined, 1)
    await betweenHalves(() => undefined)
    // The clock's timeout has run (it was due first) and queued its immediate.
    expect(alive('Immediate')).toBe(1)
    handle.unref?.()
    expect(alive('Immediate')).toBe(0)
    handle.ref?.()
    expect(alive('Immediate')).toBe(1)
  })

  it('clearTimeout before it is due: never fires, nothing kept alive', async () => {
    const timeouts = alive('Timeout')
    let fired = false
    const handle = arm(() => (fired = true), 1)
    systemClock.clearTimeout(handle)
    expect(alive('Timeout')).toBe(timeouts)
    await betweenHalves(() => undefined)
    await new Promise((resolve) => setImmediate(resolve))
    expect(fired).toBe(false)
  })

  it('clearTimeout between the halves (due, not yet run): never fires', async () => {
    let fired = false
    const handle = arm(() => (fired = true), 1)
    await betweenHalves(() => undefined)
    expect(alive('Immediate')).toBe(1)
    systemClock.clearTimeout(handle)
    expect(alive('Immediate')).toBe(0)
    await new Promise((resolve) => setImmediate(resolve))
    expect(fired).toBe(false)
  })

  it('clearTimeout of a handle it did not make, or twice, does nothing', () => {
    const handle = arm(() => undefined, 1_000)
    systemClock.clearTimeout({})
    systemClock.clearTimeout(handle)
    systemClock.clearTimeout(handle)
    expect(handle.unref?.()).toBe(handle)
  })
})
