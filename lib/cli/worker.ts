/**
 * `runware-socket worker`: one fleet worker until SIGTERM / SIGINT, then a drain (no new jobs,
 * those in flight finish within --drain-ms, the rest go back to the queue under their taskUUIDs)
 * and exit 0. A second signal stops at once: what was in flight resumes on another worker under
 * the same ids. Redis is asked first (--redis-timeout-ms); the account refusing work (a revoked
 * key, no credits) gives the jobs back and exits 3. BullMQ is loaded only here, so the rest of
 * the command works without it installed.
 */
import type { Logger } from '../api/options.js'
import type { RunwareWorker } from '../queue/worker.js'
import { describeError } from './disposition.js'
import type { WorkerConfig } from './fleet-args.js'
import { EXIT, exitCodeFor, type Io } from './io.js'

/** The queue entry, or a sentence saying what to install. */
export async function loadQueue(): Promise<typeof import('../queue/index.js') | string> {
  try {
    return await import('../queue/index.js')
  } catch (error) {
    return `the fleet needs bullmq and ioredis: npm install bullmq ioredis (${describeError(error)})`
  }
}

/** The fleet's Redis connection: BullMQ's blocking reads wait; reconnects come every 2 s at most. */
export function fleetConnection(url: string): { url: string; maxRetriesPerRequest: null; retryStrategy: (times: number) => number } {
  return { url, maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 2_000) }
}

/** Log lines as the command's own lines on stderr (debug ones left out). */
export function lineLogger(say: (line: string) => void, prefix: string): Logger {
  const line = (message: string): void => say(`${prefix}: ${message}`)
  return { info: line, warn: line, error: line }
}

export async function runWorker(config: WorkerConfig, io: Io): Promise<number> {
  const queue = await loadQueue()
  if (typeof queue === 'string') {
    io.stderr.write(`worker: ${queue}\n`)
    return EXIT.fatal
  }
  const tty = io.stderr.isTTY === true
  const say = (line: string): void => {
    io.stderr.write(`${tty ? '\r\x1b[2K' : ''}${line}\n`)
  }
  const connection = fleetConnection(config.redis)
  try {
    const facts = await queue.checkRedis(connection, { timeoutMs: config.redisTimeoutMs })
    for (const warning of facts.warnings) say(`worker: warning: ${warning}`)
  } catch (error) {
    say(`worker: cannot start: ${describeError(error)}`)
    return EXIT.fatal
  }
  let handle: RunwareWorker
  try {
    handle = queue.startRunwareWorker({
      connection,
      name: config.queue,
      concurrency: config.concurrency,
      client: { apiKey: config.apiKey, url: config.url, allowCleartext: config.allowCleartext },
      drainTimeoutMs: config.drainMs,
      lockDurationMs: config.lockMs,
      logger: lineLogger(say, 'worker'),
    })
  } catch (error) {
    say(`worker: ${describeError(error)}`)
    return EXIT.fatal
  }
  const { counts, client } = handle
  const tally = (): string =>
    `${counts.completed} done, ${counts.failed} failed, ${counts.retried} retried, ${counts.givenBack} given back, ${counts.resumed} resumed`
  const status = (): string => `worker: ${counts.active} active, ${tally()}; socket ${client.state}; redis ${handle.redisReachable ? 'ok' : 'unreachable'}`
  const show = tty ? setInterval(() => io.stderr.write(`\r\x1b[2K${status()}`), 1_000) : undefined
  show?.unref()

  let stopped: (signal: 'SIGINT' | 'SIGTERM' | undefined) => void = () => undefined
  const stop = new Promise<'SIGINT' | 'SIGTERM' | undefined>((resolve) => (stopped = resolve))
  let signals = 0
  const stopSignals = io.onSignal((signal) => {
    signals += 1
    if (signals === 1) stopped(signal)
    else {
      say(`worker: ${signal} again: stopping now; jobs in flight resume on another worker`)
      clearInterval(show)
      process.exit(exitCodeFor(signal))
    }
  })
  const finish = async (line: string, code: number): Promise<number> => {
    say(line)
    await handle.close()
    stopSignals()
    clearInterval(show)
    say(`worker: drained; ${tally()}`)
    return code
  }
  try {
    // A wrong key or URL shows at once, not at the first job.
    await Promise.race([client.connect(), stop])
  } catch (error) {
    say(`worker: cannot connect: ${describeError(error)}`)
    stopSignals()
    clearInterval(show)
    await handle.close()
    return EXIT.fatal
  }
  say(`worker: ready on queue ${config.queue} (concurrency ${config.concurrency})`)
  const outcome = await Promise.race([stop.then((signal) => ({ signal })), handle.refused.then((refusal) => ({ refusal }))])
  if ('refusal' in outcome) {
    return finish(`worker: stopping: the account refused work (${describeError(outcome.refusal)}); the jobs it held go back to the queue, unfailed`, EXIT.fatal)
  }
  return finish(`worker: ${outcome.signal ?? 'stop'}: draining (${counts.active} in flight, up to ${config.drainMs} ms)`, EXIT.ok)
}
