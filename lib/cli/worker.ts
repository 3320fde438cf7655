/**
 * `runware-socket worker`: one fleet worker until SIGTERM / SIGINT, then a drain (no new jobs,
 * those in flight finish within --drain-ms, the rest are left to other workers) and exit 0. A
 * second signal stops at once: what was in flight resumes on another worker under the same ids.
 * BullMQ is loaded only here, so the rest of the command works without it installed.
 */
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

export async function runWorker(config: WorkerConfig, io: Io): Promise<number> {
  const queue = await loadQueue()
  if (typeof queue === 'string') {
    io.stderr.write(`worker: ${queue}\n`)
    return EXIT.fatal
  }
  let handle: RunwareWorker
  try {
    handle = queue.startRunwareWorker({
      connection: { url: config.redis, maxRetriesPerRequest: null },
      name: config.queue,
      concurrency: config.concurrency,
      client: { apiKey: config.apiKey, url: config.url },
      drainTimeoutMs: config.drainMs,
      lockDurationMs: config.lockMs,
    })
  } catch (error) {
    io.stderr.write(`worker: ${describeError(error)}\n`)
    return EXIT.fatal
  }
  const { counts, client } = handle
  const tty = io.stderr.isTTY === true
  const status = (): string => `worker: ${counts.active} active, ${counts.completed} done, ${counts.failed} failed, ${counts.resumed} resumed; socket ${client.state}`
  const show = tty ? setInterval(() => io.stderr.write(`\r\x1b[2K${status()}`), 1_000) : undefined
  show?.unref()
  const say = (line: string): void => {
    io.stderr.write(`${tty ? '\r\x1b[2K' : ''}${line}\n`)
  }

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
  const signal = await stop
  say(`worker: ${signal ?? 'stop'}: draining (${counts.active} in flight, up to ${config.drainMs} ms)`)
  await handle.close()
  stopSignals()
  clearInterval(show)
  say(`worker: drained; ${counts.completed} done, ${counts.failed} failed, ${counts.resumed} resumed`)
  return EXIT.ok
}
