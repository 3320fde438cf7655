/**
 * Idempotency keys: no storage, the taskUUID derived from the key and a namespace. A rerun of a
 * key in another client (another process, as far as the server can tell) is collected, not run
 * again; a key whose task failed rejects with that failure.
 */
import { describe, expect, it } from 'vitest'
import { attemptTaskUUID, defaultNamespace, keyedTaskUUID } from '../../lib/protocol/ids.js'
import { isUUID } from '../../lib/protocol/protocol.js'
import { ASYNC_VIDEO, IMAGE } from '../fixtures/tasks.js'
import { API_KEY, useHarness } from '../helpers/harness.js'
import { failure } from '../helpers/wait.js'

const harness = useHarness()
const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('derived ids', () => {
  it('are v4-shaped UUIDs, stable, different per key and per namespace; the default namespace does not reveal the key', () => {
    const ns = defaultNamespace(API_KEY)
    expect(ns).not.toContain(API_KEY)
    expect(ns).toMatch(/^[0-9a-f]{64}$/)
    const id = keyedTaskUUID(ns, 'order-7')
    expect(id).toMatch(V4)
    expect(isUUID(id)).toBe(true)
    expect(keyedTaskUUID(ns, 'order-7')).toBe(id)
    expect(keyedTaskUUID(ns, 'order-8')).not.toBe(id)
    expect(keyedTaskUUID(defaultNamespace('another-key-0123456789'), 'order-7')).not.toBe(id)
    expect(attemptTaskUUID(id, 0)).toBe(id)
    expect(attemptTaskUUID(id, 1)).toMatch(V4)
    expect(attemptTaskUUID(id, 1)).not.toBe(attemptTaskUUID(id, 2))
  })
})

describe('run(task, { idempotencyKey })', () => {
  it('a rerun of the key in a second client is collected: the server ran it once, the same items come back', async () => {
    const sim = await harness.simulator()
    const first = harness.client(sim.url)
    const items = await first.run({ ...IMAGE }, { idempotencyKey: 'order-7' })
    expect(items[0]?.taskUUID).toBe(keyedTaskUUID(defaultNamespace(API_KEY), 'order-7'))
    const second = harness.client(sim.url)
    const again = await second.run({ ...IMAGE }, { idempotencyKey: 'order-7' })
    expect(again.map((item) => item.imageUUID)).toEqual(items.map((item) => item.imageUUID))
    expect(sim.stats.executions.size).toBe(1)
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('an async task rerun under its key while it still runs is polled and collected, not run again', async () => {
    const sim = await harness.simulator({ asyncDurationMs: 200 })
    const poll = { initialDelayMs: 20, maxDelayMs: 50 }
    const first = harness.client(sim.url, { poll })
    const running = first.run({ ...ASYNC_VIDEO }, { idempotencyKey: 'clip-1' })
    const second = harness.client(sim.url, { poll })
    const [a, b] = await Promise.all([running, second.run({ ...ASYNC_VIDEO }, { idempotencyKey: 'clip-1' })])
    expect(b.map((item) => item.videoUUID)).toEqual(a.map((item) => item.videoUUID))
    expect(sim.stats.executions.size).toBe(1)
  })

  it('a key whose task failed rejects with that failure again, and runs nothing', async () => {
    const sim = await harness.simulator()
    sim.failNext(1, 'invalidPositivePrompt')
    const first = harness.client(sim.url)
    const error = await failure(first.run({ ...IMAGE }, { idempotencyKey: 'bad-1' }))
    expect(error.code).toBe('invalidPositivePrompt')
    const second = harness.client(sim.url)
    const again = await failure(second.run({ ...IMAGE }, { idempotencyKey: 'bad-1' }))
    expect(again.code).toBe('invalidPositivePrompt')
    expect(sim.stats.executions.size).toBe(1)
  })

  it('idempotencyNamespace keeps the ids across a key rotation', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY, 'rotated-key-0123456789'] })
    const first = harness.client(sim.url, { idempotencyNamespace: 'shop' })
    const items = await first.run({ ...IMAGE }, { idempotencyKey: 'order-9' })
    expect(items[0]?.taskUUID).toBe(keyedTaskUUID('shop', 'order-9'))
    const rotated = harness.client(sim.url, { apiKey: 'rotated-key-0123456789', idempotencyNamespace: 'shop' })
    expect((await rotated.run({ ...IMAGE }, { idempotencyKey: 'order-9' }))[0]?.imageUUID).toBe(items[0]?.imageUUID)
    expect(sim.stats.executions.size).toBe(1)
  })

  it('refuses a bad key, a task naming another taskUUID, the same key pending twice, and meta that is not JSON', async () => {
    const sim = await harness.simulator()
    const client = harness.client(sim.url)
    expect((await failure(client.run({ ...IMAGE }, { idempotencyKey: '' }))).code).toBe('invalidTask')
    expect((await failure(client.run({ ...IMAGE }, { idempotencyKey: 'x'.repeat(1_025) }))).code).toBe('invalidTask')
    const named = await failure(client.run({ ...IMAGE, taskUUID: '3f0c3a52-6b4e-4c1e-9a43-5d0b8f9e2a11' }, { idempotencyKey: 'order-1' }))
    expect(named.message).toContain('the idempotency key gives taskUUID')
    const running = client.run({ ...IMAGE }, { idempotencyKey: 'order-2' })
    expect((await failure(client.run({ ...IMAGE }, { idempotencyKey: 'order-2' }))).message).toContain('already pending')
    await running
    expect((await failure(client.run({ ...IMAGE }, { meta: { n: 1n } as never }))).message).toContain('options.meta cannot be encoded as JSON')
    expect((await failure(client.run({ ...IMAGE }, { meta: (() => 1) as never }))).message).toContain('options.meta must be a JSON value')
    expect((await failure(client.run({ ...IMAGE }, { meta: 'x'.repeat(70_000) }))).message).toContain('at most 65536')
    expect(sim.stats.tasksReceived).toBe(1)
  })
})
