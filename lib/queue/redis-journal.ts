/**
 * `redisJournal({ connection })`: the journal in Redis, for processes that share only Redis (a
 * container without a volume). Entries live in one hash (`<key>:entries`, field taskUUID); one
 * live holder at a time through a lock (`<key>:lock`, SET NX PX, renewed while held), and every
 * write checks the lock in the same script, so a process that lost it (paused past its expiry)
 * cannot write over the next holder. An append is as durable as Redis makes it: with AOF and
 * `appendfsync everysec` (Redis's default for AOF) a write may be lost in the last second of a
 * crash of Redis itself (docs/durability.md).
 */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { ConnectionOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Journal, JournalContents, JournalEntry } from '../api/journal.js'
import { isUUID } from '../protocol/protocol.js'
import { describeThrown, libraryError, RunwareError } from '../support/errors.js'
import { describeRedis, ownConnection } from './redis.js'

export interface RedisJournalOptions {
  /** Redis, as the fleet takes it (`{ url }`, ioredis options, or an ioredis instance, duplicated). */
  readonly connection: ConnectionOptions
  /** The prefix of the journal's two keys. One journal per process role. @default 'runware-socket:journal' */
  readonly key?: string | undefined
  /** The lock's lifetime; it is renewed every third of it. @default 30_000 */
  readonly lockMs?: number | undefined
}

/** Writes only while holding the lock: KEYS[1] the lock, ARGV[1] the token, then field/value pairs. */
const HSET_IF_HELD = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('LOCKLOST') end
redis.call('HSET', KEYS[2], unpack(ARGV, 2)) return 1`
const HDEL_IF_HELD = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('LOCKLOST') end
redis.call('HDEL', KEYS[2], unpack(ARGV, 2)) return 1`
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

function storedOf(entry: JournalEntry): string {
  return JSON.stringify({ task: entry.task, meta: entry.meta, idempotencyKey: entry.idempotencyKey, openedAt: entry.openedAt })
}

function entryOf(taskUUID: string, text: string): JournalEntry | undefined {
  try {
    const value = JSON.parse(text) as Record<string, unknown>
    if (!isUUID(taskUUID) || typeof value.task !== 'string') return undefined
    return {
      taskUUID,
      task: value.task,
      meta: typeof value.meta === 'string' ? value.meta : undefined,
      idempotencyKey: typeof value.idempotencyKey === 'string' ? value.idempotencyKey : undefined,
      openedAt: typeof value.openedAt === 'number' ? value.openedAt : 0,
    }
  } catch {
    return undefined
  }
}

class RedisJournalStore implements Journal {
  readonly name: string
  readonly #lockKey: string
  readonly #entriesKey: string
  readonly #lockMs: number
  readonly #token = JSON.stringify({ pid: process.pid, hostname: hostname(), token: randomUUID() })
  #redis: Redis | undefined
  #renewal: NodeJS.Timeout | undefined

  constructor(private readonly options: RedisJournalOptions) {
    const key = options.key ?? 'runware-socket:journal'
    this.#lockKey = `${key}:lock`
    this.#entriesKey = `${key}:entries`
    this.#lockMs = options.lockMs ?? 30_000
    this.name = `redis ${describeRedis(options.connection)} ${key}`
  }

  async open(): Promise<JournalContents> {
    const redis = (this.#redis = ownConnection(this.options.connection))
    try {
      await redis.connect()
      const taken = await redis.set(this.#lockKey, this.#token, 'PX', this.#lockMs, 'NX')
      if (taken === null) {
        const holder = await redis.get(this.#lockKey)
        throw libraryError('journalLocked', `the journal ${this.name} is held by ${holder ?? 'another process'}: one live process per journal`)
      }
      this.#renewal = setInterval(() => void redis.eval(RENEW, 1, this.#lockKey, this.#token, this.#lockMs).catch(() => undefined), this.#lockMs / 3)
      this.#renewal.unref()
      const stored = await redis.hgetall(this.#entriesKey)
      const entries: JournalEntry[] = []
      for (const [taskUUID, text] of Object.entries(stored)) {
        const entry = entryOf(taskUUID, text)
        if (entry === undefined)
          throw libraryError('journalInvalid', `the journal ${this.name} holds an entry that is not one (field ${JSON.stringify(taskUUID.slice(0, 64))})`)
        entries.push(entry)
      }
      return { entries }
    } catch (error) {
      await this.release()
      if (error instanceof RunwareError) throw error
      throw libraryError('journalFailed', `opening the journal ${this.name} failed: ${describeThrown(error)}`, { cause: error })
    }
  }

  async append(entries: readonly JournalEntry[]): Promise<void> {
    await this.#write(
      HSET_IF_HELD,
      entries.flatMap((entry) => [entry.taskUUID, storedOf(entry)]),
    )
  }

  async close(taskUUIDs: readonly string[]): Promise<void> {
    if (taskUUIDs.length > 0) await this.#write(HDEL_IF_HELD, taskUUIDs)
  }

  async #write(script: string, args: readonly string[]): Promise<void> {
    const redis = this.#redis
    if (redis === undefined) throw libraryError('journalFailed', `the journal ${this.name} is not open`)
    try {
      await redis.eval(script, 2, this.#lockKey, this.#entriesKey, this.#token, ...args)
    } catch (error) {
      if (describeThrown(error).includes('LOCKLOST')) {
        throw libraryError('journalLocked', `the journal ${this.name} was taken by another process (this one held it past its lock)`)
      }
      throw error
    }
  }

  async release(): Promise<void> {
    clearInterval(this.#renewal)
    this.#renewal = undefined
    const redis = this.#redis
    this.#redis = undefined
    if (redis === undefined) return
    await redis.eval(RELEASE, 1, this.#lockKey, this.#token).catch(() => undefined)
    redis.disconnect()
  }
}

/** A journal in Redis (pass it as the client's `journal` option). */
export function redisJournal(options: RedisJournalOptions): Journal {
  return new RedisJournalStore(options)
}
