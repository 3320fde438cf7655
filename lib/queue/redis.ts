/**
 * Redis as the fleet needs it: reachable within a bound before anything starts, and set up so the
 * fleet's promise holds (`maxmemory-policy noeviction`, persistence). The library's own small
 * connection for these checks is made from the same settings BullMQ gets, and never left behind.
 */
import type { ConnectionOptions } from 'bullmq'
import { Redis, type RedisOptions } from 'ioredis'
import { describeThrown, libraryError } from '../support/errors.js'

/** What `new Redis(url, options)` takes (ioredis adds a field to its RedisOptions there). */
type ConstructorOptions = RedisOptions & { replyMapping?: never }

/** What a fleet process learns of its Redis at start. */
export interface RedisFacts {
  /** `redis_version` as INFO gives it. */
  readonly version: string
  /** `maxmemory-policy`: anything but `noeviction` may drop jobs under memory pressure. */
  readonly evictionPolicy: string
  /** AOF on (`appendonly yes`): every write survives a restart. */
  readonly aof: boolean
  /** RDB snapshots configured (`save` not empty): writes since the last snapshot are lost on a crash. */
  readonly rdb: boolean
  /** What this setup risks, one sentence each; empty when nothing. */
  readonly warnings: readonly string[]
}

export interface CheckRedisOptions {
  /** How long Redis may take to answer before the check gives up. @default 10_000 */
  readonly timeoutMs?: number | undefined
}

/** Host and port as a person reads them; never a password. */
export function describeRedis(connection: ConnectionOptions): string {
  const options = connection as RedisOptions & { url?: unknown; options?: RedisOptions }
  if (typeof options.url === 'string') {
    try {
      const url = new URL(options.url)
      return `${url.hostname}:${url.port === '' ? '6379' : url.port}`
    } catch {
      return 'the configured Redis'
    }
  }
  const source = typeof (connection as { duplicate?: unknown }).duplicate === 'function' ? (options.options ?? {}) : options
  return `${source.host ?? '127.0.0.1'}:${source.port ?? 6379}`
}

/**
 * A connection of the library's own from the settings BullMQ gets (an ioredis instance is
 * duplicated): it never retries on its own and always has an 'error' listener, so nothing it
 * meets reaches stderr.
 */
export function ownConnection(connection: ConnectionOptions, overrides: RedisOptions = {}): Redis {
  const settings: RedisOptions = { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, ...overrides }
  let client: Redis
  if (typeof (connection as { duplicate?: unknown }).duplicate === 'function') {
    client = (connection as unknown as Redis).duplicate(settings)
  } else {
    const { url, skipVersionCheck: _skip, ...rest } = connection as RedisOptions & { url?: string; skipVersionCheck?: boolean }
    // ioredis's RedisOptions is not its constructor's own type under exactOptionalPropertyTypes.
    const merged = { ...rest, ...settings } as unknown as ConstructorOptions
    client = typeof url === 'string' ? new Redis(url, merged) : new Redis(merged)
  }
  client.on('error', () => undefined)
  return client
}

// Not unref'd: a process awaiting the check must not exit under it.
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Resolves once Redis answers, with what the fleet needs to know of it; rejects with
 * `redisUnavailable` when it has not answered within `timeoutMs` (it is asked again every 250 ms,
 * so a Redis still starting is waited for).
 */
export async function checkRedis(connection: ConnectionOptions, options: CheckRedisOptions = {}): Promise<RedisFacts> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const started = performance.now()
  const left = (): number => timeoutMs - (performance.now() - started)
  let lastError = 'no answer'
  while (left() > 0) {
    // Each try is bounded by what is left, so the whole check ends within timeoutMs.
    const bound = Math.max(50, Math.min(2_000, Math.ceil(left())))
    const client = ownConnection(connection, { connectTimeout: bound, commandTimeout: bound })
    // The socket's own error (ECONNREFUSED, ENOTFOUND) says more than the "Connection is closed" connect() rejects with.
    let socketError: string | undefined
    client.on('error', (error: Error) => (socketError ??= error.message))
    try {
      await client.connect()
      const info = await client.info()
      return factsOf(info, await readConfig(client))
    } catch (error) {
      lastError = socketError ?? describeThrown(error)
    } finally {
      client.disconnect()
    }
    if (left() > 0) await sleep(Math.min(250, left()))
  }
  throw libraryError('redisUnavailable', `Redis at ${describeRedis(connection)} did not answer within ${timeoutMs} ms (${lastError})`)
}

/** CONFIG GET may be refused (managed Redis renames it): INFO then says what it can. */
async function readConfig(client: Redis): Promise<Map<string, string> | undefined> {
  try {
    const pairs = await client.config('GET', 'save')
    const config = new Map<string, string>()
    for (let i = 0; i + 1 < pairs.length; i += 2) config.set(String(pairs[i]), String(pairs[i + 1]))
    return config
  } catch {
    return undefined
  }
}

function factsOf(info: string, config: Map<string, string> | undefined): RedisFacts {
  const fields = new Map<string, string>()
  for (const line of info.split(/\r?\n/)) {
    const at = line.indexOf(':')
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1).trim())
  }
  const evictionPolicy = fields.get('maxmemory_policy') ?? 'unknown'
  const aof = fields.get('aof_enabled') === '1'
  // INFO has no "save" line; CONFIG GET tells whether snapshots are configured at all.
  const save = config?.get('save')
  const rdb = save !== undefined && save !== ''
  const warnings: string[] = []
  if (evictionPolicy !== 'noeviction') {
    warnings.push(`Redis maxmemory-policy is ${evictionPolicy}: under memory pressure it may evict jobs, taskUUIDs and results; set it to noeviction`)
  }
  if (!aof) {
    warnings.push(
      `Redis has no AOF persistence (appendonly no${rdb ? ', RDB snapshots only' : ''}): a Redis restart loses the jobs ` +
        `written since ${rdb ? 'the last snapshot' : 'it started'}, some of them already run and paid; set appendonly yes`,
    )
  }
  return { version: fields.get('redis_version') ?? 'unknown', evictionPolicy, aof, rdb, warnings }
}
