/** redisJournal on a real redis-server: the journal for processes that share only Redis. */
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import type { RecoveredTask } from '../../lib/api/journal.js'
import { redisJournal } from '../../lib/queue/index.js'
import { IMAGE } from '../fixtures/tasks.js'
import { useHarness } from '../helpers/harness.js'
import { startRedis } from '../helpers/redis-server.js'
import { failure, until } from '../helpers/wait.js'
import { connection, freshQueueName } from './fleet-harness.js'

const harness = useHarness()

async function openFields(key: string): Promise<string[]> {
  const redis = new Redis(connection.url)
  try {
    return Object.keys(await redis.hgetall(`${key}:entries`))
  } finally {
    redis.disconnect()
  }
}

describe('redisJournal', () => {
  it('keeps what was on the wire when the client closed; the next client recovers it from Redis, run once', async () => {
    const sim = await harness.simulator()
    const key = freshQueueName('journal')
    const first = harness.client(sim.url, { journal: redisJournal({ connection, key }) })
    await first.run({ ...IMAGE })
    sim.holdResults()
    const left = [failure(first.run({ ...IMAGE }, { meta: 'a' })), failure(first.run({ ...IMAGE }, { meta: 'b' }))]
    await until(() => sim.stats.tasksReceived === 3, 'two on the wire')
    await first.close()
    expect((await Promise.all(left)).map((error) => error.code)).toEqual(['connectionClosed', 'connectionClosed'])
    expect(await openFields(key)).toHaveLength(2)
    sim.releaseResults()
    const next = harness.client(sim.url, { journal: redisJournal({ connection, key }) })
    const recovered: RecoveredTask[] = []
    for await (const task of next.recover()) recovered.push(task)
    expect(recovered.map((task) => task.meta).sort()).toEqual(['a', 'b'])
    expect(recovered.every((task) => task.items?.length === 1)).toBe(true)
    expect(sim.stats.executedTwice()).toEqual([])
    expect(sim.stats.executions.size).toBe(3)
    await next.close()
    expect(await openFields(key)).toEqual([])
  })

  it('one live holder: a second client on the same key fails with journalLocked', async () => {
    const sim = await harness.simulator()
    const key = freshQueueName('journal')
    const first = harness.client(sim.url, { journal: redisJournal({ connection, key }) })
    await first.connect()
    const second = harness.client(sim.url, { journal: redisJournal({ connection, key }) })
    const error = await failure(second.connect())
    expect(error.code).toBe('journalLocked')
    expect(error.message).toContain(`"pid":${process.pid}`)
    await first.close()
    const third = harness.client(sim.url, { journal: redisJournal({ connection, key }) })
    await expect(third.connect()).resolves.toBeUndefined()
  })

  it('Redis gone: a task is rejected with journalFailed and never sent', async () => {
    const redis = await startRedis()
    const sim = await harness.simulator()
    const client = harness.client(sim.url, { journal: redisJournal({ connection: { url: redis.url }, key: 'gone' }) })
    await client.connect()
    await redis.stop()
    const error = await failure(client.run({ ...IMAGE }))
    expect(error.code).toBe('journalFailed')
    expect(sim.stats.tasksReceived).toBe(0)
  })
})
