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
import { readiness, startWorkerMetrics, type WorkerMetrics, type WorkerView } from './worker-metrics.js'

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
  let handle: RunwareWorker | undefined
  let draining = false
  const view = (): WorkerView => ({
    socket: handle?.client.state ?? 'idle',
    redisReachable: handle?.redisReachable ?? false,
    draining,
    counts: handle?.counts ?? { active: 0, completed: 0, failed: 0, retried: 0, givenBack: 0, resumed: 0 },
  })
  let metrics: WorkerMetrics | undefined
  if (config.metricsPort !== undefined) {
    try {
      metrics = await startWorkerMetrics(config.metricsPort, config.metricsHost, view)
    } catch (error) {
      say(`worker: cannot start: ${describeError(error)}`)
      return EXIT.fatal
    }
    say(`worker: metrics on ${metrics.url}/metrics (/healthz, /readyz)`)
  }
  try {
    handle = queue.startRunwareWorker({
      connection,
      name: config.queue,
      concurrency: config.concurrency,
      client: {
        apiKey: config.apiKey,
        url: config.url,
        allowCleartext: config.allowCleartext,
        // The CLI's own: metrics only when asked, no global providers (it registers none).
        telemetry: metrics === undefined ? false : { meterProvider: metrics.meterProvider },
      },
      drainTimeoutMs: config.drainMs,
      lockDurationMs: config.lockMs,
      logger: lineLogger(say, 'worker'),
    })
  } catch (error) {
    say(`worker: ${describeError(error)}`)
    await metrics?.close()
    return EXIT.fatal
  }
  const started = handle
  const { counts, client } = started
  const tally = (): string =>
    `${counts.completed} done, ${counts.failed} failed, ${counts.retried} retried, ${counts.givenBack} given back, ${counts.resumed} resumed`
  const status = (): string => `worker: ${counts.active} active, ${tally()}; ${readiness(view()).text}`
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
    draining = true
    await started.close()
    stopSignals()
    clearInterval(show)
    await metrics?.close()
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
    await started.close()
    await metrics?.close()
    return EXIT.fatal
  }
  say(`worker: ready on queue ${config.queue} (concurrency ${config.concurrency})`)
  const outcome = await Promise.race([stop.then((signal) => ({ signal })), started.refused.then((refusal) => ({ refusal }))])
  if ('refusal' in outcome) {
    return finish(`worker: stopping: the account refused work (${describeError(outcome.refusal)}); the jobs it held go back to the queue, unfailed`, EXIT.fatal)
  }
  return finish(`worker: ${outcome.signal ?? 'stop'}: draining (${counts.active} in flight, up to ${config.drainMs} ms)`, EXIT.ok)
}
