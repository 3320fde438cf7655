/**
 * `runware-socket enqueue`: a JSONL file into the fleet's queue, then (unless --no-wait) every
 * job's outcome into --out, in the records `run` writes. Each line's job id is its taskUUID,
 * derived from the run the output file names, so re-running with the same --out enqueues only
 * what has no record yet: a job already in the queue is not added twice, its result is collected.
 * The API key is never needed here: only workers hold it.
 */
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import type { Task } from '../protocol/protocol.js'
import type { RunwareQueue } from '../queue/queue.js'
import { describeError, disposition } from './disposition.js'
import type { EnqueueConfig } from './fleet-args.js'
import { EXIT, exitCodeFor, useColor, type Io, type Signal } from './io.js'
import { countTaskLines } from './jsonl.js'
import { emptyRecorded, openRecordFile, outputRecordSink, pendingLines, readRecorded, type OutputRecord, type RecordSink } from './records.js'
import { checkInput } from './run-args.js'
import { Progress } from './progress.js'
import { fleetConnection, lineLogger, loadQueue } from './worker.js'

/** Jobs added per round trip, and results awaited at once. */
const BULK = 500
const WAITING = 500

interface Pending {
  line: number
  taskUUID: string
  taskType: string
}

export async function runEnqueue(config: EnqueueConfig, io: Io): Promise<number> {
  if (config.input !== '-') checkInput(config.input)
  const queueModule = await loadQueue()
  if (typeof queueModule === 'string') {
    io.stderr.write(`enqueue: ${queueModule}\n`)
    return EXIT.fatal
  }
  const connection = fleetConnection(config.redis)
  try {
    const facts = await queueModule.checkRedis(connection, { timeoutMs: config.redisTimeoutMs })
    for (const warning of facts.warnings) io.stderr.write(`enqueue: warning: ${warning}\n`)
  } catch (error) {
    io.stderr.write(`enqueue: cannot start: ${describeError(error)}\n`)
    return EXIT.fatal
  }
  const recorded = config.output === undefined ? emptyRecorded() : await readRecorded(config.output)
  const earlier = recorded.ok + recorded.failed
  const runId = recorded.runId ?? (earlier > 0 ? '' : randomUUID())
  const lines = config.input === '-' ? undefined : await countTaskLines(createReadStream(config.input))
  const stats = { enqueued: 0, skipped: 0, ok: 0, failed: 0, unsettled: 0 }
  const progress = new Progress({ output: io.stderr, tty: io.stderr.isTTY === true, color: useColor(io.stderr, io.env), label: 'enqueue' }, () => ({
    done: stats.skipped + stats.ok + stats.failed + stats.unsettled,
    total: lines ?? stats.skipped + stats.enqueued,
    totalKnown: lines !== undefined,
    ok: stats.ok,
    failed: stats.failed,
    note: [stats.skipped > 0 ? `${stats.skipped} skipped` : '', `${stats.enqueued} enqueued`].filter(Boolean).join(', '),
  }))
  let sink: RecordSink
  try {
    sink =
      config.output === undefined
        ? outputRecordSink(io.stdout, io.stdout.isTTY === true ? () => progress.clear() : undefined)
        : openRecordFile(config.output, recorded.validBytes)
  } catch (error) {
    io.stderr.write(`enqueue: ${describeError(error)}\n`)
    return EXIT.fatal
  }
  if (config.output !== undefined && recorded.runId === undefined && runId !== '') sink.write({ run: runId, started: new Date().toISOString() })
  const write = (record: OutputRecord): void => sink.write(runId === '' ? record : { ...record, run: runId })
  const say = (text: string): void => progress.log(`enqueue: ${text}`)

  let interrupted: Signal | undefined
  const wakers = new Set<() => void>()
  const stopSignals = io.onSignal((signal) => {
    interrupted ??= signal
    for (const wake of wakers) wake()
  })
  const queue = new queueModule.RunwareQueue({
    connection,
    name: config.queue,
    keepCompleted: { ageSeconds: config.keepCompletedS },
    logger: lineLogger((line) => progress.log(line), 'enqueue'),
  })
  const pending: Pending[] = []
  progress.start()
  try {
    let batch: { task: Task; pending: Pending }[] = []
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return
      const added = await queue.addBulk(
        batch.map((entry) => entry.task),
        { attempts: config.attempts },
      )
      stats.enqueued += added.length
      pending.push(...batch.map((entry) => entry.pending))
      batch = []
    }
    const source = config.input === '-' ? io.stdin() : createReadStream(config.input)
    for await (const parsed of pendingLines(source, recorded, runId, () => (stats.skipped += 1))) {
      if (interrupted !== undefined) break
      if (parsed.kind === 'bad') {
        write({ line: parsed.line, taskUUID: parsed.taskUUID, status: 'error', code: 'invalidTask', message: parsed.message })
        stats.failed += 1
        continue
      }
      batch.push({ task: parsed.task, pending: { line: parsed.line, taskUUID: parsed.taskUUID, taskType: parsed.taskType } })
      if (batch.length >= BULK) await flush()
    }
    if (interrupted === undefined) await flush()
    if (config.wait && interrupted === undefined) await collect(queue, pending, config, stats, write, () => interrupted !== undefined, wakers)
  } catch (error) {
    progress.stop()
    say(`stopped: ${describeError(error)}`)
    return EXIT.fatal
  } finally {
    stopSignals()
    progress.stop()
    await queue.close()
    sink.close()
  }
  if (interrupted !== undefined) {
    say(`interrupted by ${interrupted}: the jobs stay in the queue; run again with the same --out to collect them`)
    return exitCodeFor(interrupted)
  }
  if (!config.wait) {
    say(
      `enqueued ${stats.enqueued} job(s) on ${config.queue}${stats.skipped > 0 ? `, ${stats.skipped} recorded earlier` : ''}; ` +
        `not waiting (run again without --no-wait and the same -o to collect them)`,
    )
    return stats.failed > 0 ? EXIT.failed : EXIT.ok
  }
  const ok = recorded.ok + stats.ok
  const failed = recorded.failed + stats.failed
  say(
    `done: ${ok + failed} job(s) recorded in ${config.output ?? 'stdout'}: ${ok} ok, ${failed} failed` +
      (stats.unsettled > 0 ? `, ${stats.unsettled} not finished within --timeout-ms (unrecorded)` : ''),
  )
  return failed > 0 || stats.unsettled > 0 ? EXIT.failed : EXIT.ok
}

/** Waits for every job, at most WAITING at once, recording each outcome as it comes. */
async function collect(
  queue: RunwareQueue,
  pending: readonly Pending[],
  config: EnqueueConfig,
  stats: { ok: number; failed: number; unsettled: number },
  write: (record: OutputRecord) => void,
  stopped: () => boolean,
  wakers: Set<() => void>,
): Promise<void> {
  let next = 0
  const one = async (): Promise<void> => {
    while (next < pending.length && !stopped()) {
      const job = pending[next++]
      if (job === undefined) return
      try {
        const results = await interruptible(queue.result(job.taskUUID, { timeoutMs: config.timeoutMs }), wakers)
        if (results === undefined) return
        write({ line: job.line, taskUUID: job.taskUUID, taskType: job.taskType, status: 'ok', results })
        stats.ok += 1
      } catch (error) {
        // Not finished in time says nothing about the job: left unrecorded, collected by a re-run.
        const outcome =
          (error as { code?: unknown }).code === 'resultTimeout'
            ? ({ kind: 'leave' } as const)
            : disposition(error, false, job.line, job.taskUUID, job.taskType)
        if (outcome.kind === 'record') {
          write(outcome.record)
          stats.failed += 1
        } else if (outcome.kind === 'leave') {
          stats.unsettled += 1
        } else {
          throw error
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(WAITING, pending.length) }, one))
}

/** The promise's value, or undefined as soon as a signal arrives. */
function interruptible<T>(promise: Promise<T>, wakers: Set<() => void>): Promise<T | undefined> {
  let wake: () => void = () => undefined
  const woken = new Promise<undefined>((resolve) => (wake = () => resolve(undefined)))
  wakers.add(wake)
  return Promise.race([promise, woken]).finally(() => wakers.delete(wake))
}
