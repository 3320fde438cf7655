/**
 * `runware-socket run`: a JSONL batch through one RunwareSocket. Lines are read lazily and at most
 * `--concurrency` tasks are in flight; each settled task is appended to the output at once, so the
 * output file is the batch's checkpoint: a restart skips what it holds and re-sends the rest under
 * the same taskUUIDs (never paying twice for a task the server already ran).
 */
import { createReadStream, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { RunwareSocket } from '../client.js'
import { RunwareError } from '../errors.js'
import { DEFAULTS } from '../options.js'
import type { ResultItem, Task } from '../protocol.js'
import { expectPositionals, integerFlag, parseFlags, UsageError, urlFlag } from './args.js'
import { EXIT, exitCodeFor, useColor, type Io, type Signal } from './io.js'
import { emptyRecorded, isRecorded, openRecordFile, outputRecordSink, parseTaskLine, readLines, readRecorded, type ErrorRecord, type OutputRecord, type RecordSink } from './jsonl.js'
import { Progress } from './progress.js'
import { formatDuration } from './summary.js'

export interface RunConfig {
  /** A path, or `-` for stdin. */
  input: string
  /** Undefined: records go to stdout. */
  output: string | undefined
  concurrency: number
  url: string
  timeoutMs: number | undefined
  drainMs: number
  apiKey: string
}

export const RUN_DEFAULTS = { concurrency: 16, drainMs: 10_000 } as const

export function parseRunArgs(args: readonly string[], env: Io['env']): RunConfig | 'help' {
  const { values, positionals } = parseFlags('run', args, {
    output: { type: 'string', short: 'o' },
    concurrency: { type: 'string' },
    url: { type: 'string' },
    'timeout-ms': { type: 'string' },
    'drain-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  })
  if (values.help === true) return 'help'
  const [input = ''] = expectPositionals('run', positionals, ['tasks.jsonl'])
  const output = values.output
  if (output === '') throw new UsageError('--output needs a file name', 'run')
  if (output !== undefined && input !== '-' && resolve(output) === resolve(input)) throw new UsageError('the output file must not be the input file', 'run')
  const apiKey = env.RUNWARE_API_KEY?.trim() ?? ''
  if (apiKey === '') throw new UsageError('RUNWARE_API_KEY is not set: export your Runware API key in the environment', 'run')
  return {
    input,
    output,
    concurrency: integerFlag('run', 'concurrency', values.concurrency, { min: 1, max: 10_000 }) ?? RUN_DEFAULTS.concurrency,
    url: urlFlag('run', values.url) ?? DEFAULTS.url,
    timeoutMs: integerFlag('run', 'timeout-ms', values['timeout-ms'], { min: 1 }),
    drainMs: integerFlag('run', 'drain-ms', values['drain-ms'], { min: 0 }) ?? RUN_DEFAULTS.drainMs,
    apiKey,
  }
}

function checkInput(path: string): void {
  let isFile: boolean
  try {
    isFile = statSync(path).isFile()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${String(code)}`, 'run')
  }
  if (!isFile) throw new UsageError(`not a file: ${path}`, 'run')
}

function openSink(config: RunConfig, io: Io, validBytes: number, progress: Progress): RecordSink {
  // Records and the bar on one terminal: clear the bar's line before each record.
  if (config.output === undefined) return outputRecordSink(io.stdout, io.stdout.isTTY === true ? () => progress.clear() : undefined)
  try {
    return openRecordFile(config.output, validBytes)
  } catch (error) {
    throw new UsageError(`cannot open ${config.output} for appending: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 'run')
  }
}

/** A settled task's record; undefined for a rejection that says nothing about the task (it stays unrecorded). */
export function errorRecord(line: number, taskUUID: string, taskType: string, error: unknown): ErrorRecord {
  if (error instanceof RunwareError) {
    return {
      line,
      taskUUID,
      taskType,
      status: 'error',
      code: error.code,
      message: error.message,
      ...(error.parameter === undefined ? {} : { parameter: error.parameter }),
    }
  }
  return { line, taskUUID, taskType, status: 'error', code: 'unknown', message: error instanceof Error ? error.message : String(error) }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message
  return typeof error === 'string' ? error : JSON.stringify(error)
}

export async function runBatch(config: RunConfig, io: Io): Promise<number> {
  if (config.input !== '-') checkInput(config.input)
  const recorded = config.output === undefined ? emptyRecorded() : await readRecorded(config.output)
  // queued: lines taken on in this run (sent, or recorded as bad); skipped: recorded earlier.
  const stats = { queued: 0, skipped: 0, ok: 0, failed: 0, eof: false }
  let reconnects = 0
  const progress = new Progress(
    { output: io.stderr, tty: io.stderr.isTTY === true, color: useColor(io.stderr, io.env), label: 'run' },
    () => ({
      done: stats.ok + stats.failed,
      total: stats.queued,
      totalKnown: stats.eof,
      ok: stats.ok,
      failed: stats.failed,
      note: [stats.skipped > 0 ? `${stats.skipped} skipped` : '', reconnects > 0 ? `${reconnects} reconnects` : ''].filter(Boolean).join(', '),
    }),
  )
  const sink = openSink(config, io, recorded.validBytes, progress)
  const target = config.output ?? 'stdout'
  const say = (text: string): void => {
    io.stderr.write(`run: ${text}\n`)
  }
  if (recorded.partialTail) say(`cut off a partial last record in ${target} (an interrupted write); its task runs again under the same taskUUID`)
  if (recorded.unreadable.length > 0) say(`warning: ${recorded.unreadable.length} line(s) of ${target} are not records (first: line ${recorded.unreadable[0]}); left as they are`)
  const earlier = recorded.ok + recorded.failed
  if (earlier > 0) say(`resuming: ${earlier} task(s) already recorded in ${target} (${recorded.ok} ok, ${recorded.failed} failed) are skipped`)

  const client = new RunwareSocket({
    apiKey: config.apiKey,
    url: config.url,
    maxInFlight: Math.max(config.concurrency, 1),
    ...(config.timeoutMs === undefined ? {} : { taskTimeoutMs: config.timeoutMs }),
  })
  client.on('state', (event) => {
    if (event.to === 'reconnecting') reconnects += 1
  })

  const started = performance.now()
  progress.start()

  // Shared with callbacks, so one object: TypeScript's narrowing would otherwise assume it never changes.
  const run: {
    /** Why the batch stops early: a signal, or a failure that makes going on pointless. */
    stop: { signal: Signal } | { fatal: string } | undefined
    /** Records are written only while this is true: after it, rejections come from our own close(). */
    accepting: boolean
    wake: (() => void) | undefined
    /** A second signal: stop waiting for tasks in flight (it may come before the drain starts). */
    impatient: boolean
    drainCut: (() => void) | undefined
  } = { stop: undefined, accepting: true, wake: undefined, impatient: false, drainCut: undefined }
  const inflight = new Set<Promise<void>>()

  const halt = (reason: NonNullable<typeof run.stop>): void => {
    run.stop ??= reason
    run.wake?.()
  }
  // A function, not a field read: the await in the loop can change it behind TypeScript's back.
  const stopped = (): boolean => run.stop !== undefined
  const write = (record: OutputRecord): boolean => {
    if (!run.accepting) return false
    try {
      sink.write(record)
      return true
    } catch (error) {
      halt({ fatal: `cannot write to ${target}: ${error instanceof Error ? error.message : String(error)}` })
      run.accepting = false
      return false
    }
  }
  const settle = (ok: boolean): void => {
    if (ok) stats.ok += 1
    else stats.failed += 1
  }
  const stopSignals = io.onSignal((signal) => {
    if (run.stop === undefined) {
      halt({ signal })
      progress.log(`run: ${signal}: no new tasks; waiting up to ${formatDuration(config.drainMs)} for ${inflight.size} in flight (again to stop now)`)
    } else {
      run.impatient = true
      run.drainCut?.()
    }
  })

  const dispatch = (line: number, task: Task, taskUUID: string, taskType: string): void => {
    const settled: Promise<void> = client.run(task).then(
      (items: ResultItem[]) => {
        if (write({ line, taskUUID, taskType, status: 'ok', results: items })) settle(true)
      },
      (error: unknown) => {
        // The connection failed for good (authentication refused, reconnects exhausted): the
        // error belongs to the connection, not the task, so the task stays unrecorded.
        if (client.state === 'failed') {
          halt({ fatal: `the connection failed: ${error instanceof RunwareError ? `${error.code}: ` : ''}${error instanceof Error ? error.message : String(error)}` })
          return
        }
        if (write(errorRecord(line, taskUUID, taskType, error))) settle(false)
      },
    )
    const tracked = settled.finally(() => {
      inflight.delete(tracked)
      run.wake?.()
    })
    inflight.add(tracked)
  }

  let inputError: unknown
  try {
    const source = config.input === '-' ? io.stdin() : createReadStream(config.input)
    for await (const line of readLines(source)) {
      if (stopped()) break
      const parsed = parseTaskLine(line.text, line.number)
      if (parsed.kind === 'blank') continue
      if (isRecorded(recorded, line.number, parsed.taskUUID)) {
        stats.skipped += 1
        continue
      }
      if (parsed.kind === 'bad') {
        stats.queued += 1
        if (write({ line: line.number, taskUUID: parsed.taskUUID, status: 'error', code: 'invalidTask', message: parsed.message })) settle(false)
        continue
      }
      while (inflight.size >= config.concurrency && !stopped()) await new Promise<void>((resolve) => (run.wake = resolve))
      // A line read but not sent is simply not recorded: the restart reads it again.
      if (stopped()) break
      stats.queued += 1
      dispatch(line.number, parsed.task, parsed.taskUUID, parsed.taskType)
    }
    stats.eof = !stopped()
  } catch (error) {
    inputError = error
  }

  // Drain: to completion normally; within --drain-ms after a signal (a second signal cuts it short);
  // not at all after a fatal stop (nothing more can be recorded).
  const all = (async () => {
    while (inflight.size > 0) await Promise.all(inflight)
  })()
  if (run.stop !== undefined && 'signal' in run.stop) {
    if (!run.impatient) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([all, new Promise<void>((resolve) => ((run.drainCut = resolve), (timer = setTimeout(resolve, config.drainMs))))])
      clearTimeout(timer)
    }
  } else if (run.stop === undefined) {
    await all
  }
  run.accepting = false
  const unrecorded = inflight.size
  stopSignals()
  await client.close()
  progress.stop()
  sink.close()

  const elapsed = formatDuration(performance.now() - started)
  const thisRun = `this run: ${stats.ok} ok, ${stats.failed} failed in ${elapsed}${reconnects > 0 ? ` (${reconnects} reconnects)` : ''}`
  if (inputError !== undefined) {
    say(`stopped: cannot read ${config.input}: ${describeError(inputError)}; ${thisRun}`)
    return EXIT.fatal
  }
  if (run.stop !== undefined) {
    const left = unrecorded > 0 ? `; ${unrecorded} in flight left unrecorded` : ''
    if ('fatal' in run.stop) {
      say(`stopped: ${run.stop.fatal}; ${thisRun}${left}; fix it and run again with the same output to resume`)
      return EXIT.fatal
    }
    say(`interrupted by ${run.stop.signal}; ${thisRun}${left}; run again with the same output to resume`)
    return exitCodeFor(run.stop.signal)
  }
  const ok = recorded.ok + stats.ok
  const failed = recorded.failed + stats.failed
  say(`done: ${ok + failed} task(s) recorded in ${target}: ${ok} ok, ${failed} failed (${thisRun}${stats.skipped > 0 ? `; ${stats.skipped} recorded earlier` : ''})`)
  return failed > 0 ? EXIT.failed : EXIT.ok
}
