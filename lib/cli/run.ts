/**
 * `runware-socket run`: a JSONL batch through one RunwareSocket. Lines are read lazily and at most
 * `--concurrency` tasks are in flight; each settled task is appended to the output at once, so the
 * output file is the batch's checkpoint: a restart skips what it holds and re-sends the rest under
 * the same taskUUIDs (never paying twice for a task the server already ran).
 * What is recorded for a rejected task is decided in disposition.ts; the command line in run-args.ts.
 */
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { RunwareSocket } from '../client.js'
import { untyped } from '../api/task-types.js'
import type { Task } from '../protocol/protocol.js'
import { describeError, disposition } from './disposition.js'
import { EXIT, exitCodeFor, useColor, type Io, type Signal } from './io.js'
import { countTaskLines } from './jsonl.js'
import { emptyRecorded, openRecordFile, outputRecordSink, pendingLines, readRecorded, type OutputRecord, type RecordSink } from './records.js'
import { checkInput, type RunConfig } from './run-args.js'
import { Progress } from './progress.js'
import { formatDuration } from './summary.js'

function openSink(config: RunConfig, io: Io, validBytes: number, progress: Progress): RecordSink {
  // Records and the bar on one terminal: clear the bar's line before each record.
  if (config.output === undefined) return outputRecordSink(io.stdout, io.stdout.isTTY === true ? () => progress.clear() : undefined)
  // A throw here is not a usage error: the flags are fine, the output is not writable (exit 3, as documented).
  return openRecordFile(config.output, validBytes)
}

/** `drain`: wait for the tasks in flight and record them (an account error); not when nothing more can be recorded. */
type Stop = { signal: Signal } | { fatal: string; drain: boolean }

/** Batch state shared with callbacks. One object: TypeScript would otherwise narrow fields as if they never changed. */
interface Control {
  stop: Stop | undefined
  /** Records are written only while this is true: after it, rejections come from our own close(). */
  accepting: boolean
  /** A second signal, or --drain-ms since the first: stop waiting for tasks in flight. */
  impatient: boolean
  /** Wakes whoever waits for a free slot, the connection or the drain. */
  wake: () => void
  /** Wakes the drain when --drain-ms is up. */
  drainTimer: NodeJS.Timeout | undefined
}

export async function runBatch(config: RunConfig, io: Io): Promise<number> {
  if (config.input !== '-') checkInput(config.input)
  const recorded = config.output === undefined ? emptyRecorded() : await readRecorded(config.output)
  const earlier = recorded.ok + recorded.failed
  // The run the ids derive from: the one the output already records (a resume), none for records
  // from before run ids, or a new one (a new output: new ids, so nothing is collected from a past run).
  const runId = recorded.runId ?? (earlier > 0 ? '' : randomUUID())
  // The bar's total, when the input is a file: its task lines (stdin has none to count).
  const lines = config.input === '-' ? undefined : await countTaskLines(createReadStream(config.input))
  // queued: lines taken on in this run (sent, or recorded as bad); skipped: recorded earlier;
  // unsettled: rejected without an answer about the task (timeouts), left for a restart.
  const stats = { queued: 0, skipped: 0, ok: 0, failed: 0, unsettled: 0, eof: false }
  const link = { reconnects: 0, attempt: 0, state: 'idle' as string }
  const progress = new Progress({ output: io.stderr, tty: io.stderr.isTTY === true, color: useColor(io.stderr, io.env), label: 'run' }, () => ({
    // How far through the input: lines recorded earlier count as done.
    done: stats.skipped + stats.ok + stats.failed + stats.unsettled,
    total: lines ?? stats.skipped + stats.queued,
    totalKnown: lines !== undefined || stats.eof,
    ok: stats.ok,
    failed: stats.failed,
    note: [
      stats.skipped > 0 ? `${stats.skipped} skipped` : '',
      stats.unsettled > 0 ? `${stats.unsettled} timed out` : '',
      link.reconnects > 0 ? `${link.reconnects} reconnects` : '',
      link.state === 'ready' ? '' : `${link.state}${link.attempt > 0 ? ` (attempt ${link.attempt})` : ''}`,
    ]
      .filter(Boolean)
      .join(', '),
  }))
  const sink = openSink(config, io, recorded.validBytes, progress)
  // A new output file names its run first, before any task can be sent under an id derived from it.
  if (config.output !== undefined && recorded.runId === undefined && runId !== '') sink.write({ run: runId, started: new Date().toISOString() })
  const target = config.output ?? 'stdout'
  const say = (text: string): void => {
    progress.log(`run: ${text}`)
  }
  if (recorded.partialTail) say(`cut off a partial last record in ${target} (an interrupted write); its task runs again under the same taskUUID`)
  if (recorded.unreadable.length > 0)
    say(`warning: ${recorded.unreadable.length} line(s) of ${target} are not records (first: line ${recorded.unreadable[0]}); left as they are`)
  if (earlier > 0) say(`resuming: ${earlier} task(s) already recorded in ${target} (${recorded.ok} ok, ${recorded.failed} failed) are skipped`)

  const client = new RunwareSocket({
    apiKey: config.apiKey,
    url: config.url,
    allowCleartext: config.allowCleartext,
    maxInFlight: config.concurrency,
    ...(config.timeoutMs === undefined ? {} : { taskTimeoutMs: config.timeoutMs }),
  })
  client.on('state', (event) => {
    link.state = event.to
    if (event.to === 'reconnecting') {
      link.reconnects += 1
      link.attempt = event.attempt ?? 0
    } else if (event.to === 'ready') {
      link.attempt = 0
    }
  })

  const waiters = new Set<() => void>()
  const control: Control = {
    stop: undefined,
    accepting: true,
    impatient: false,
    drainTimer: undefined,
    wake: () => {
      for (const waiter of [...waiters]) waiter()
    },
  }
  /** Resolves at the next wake-up (a task settled, a signal, a stop). */
  const nextWake = (): Promise<void> =>
    new Promise((resolve) => {
      const waiter = (): void => {
        waiters.delete(waiter)
        resolve()
      }
      waiters.add(waiter)
    })
  const halt = (stop: Stop): void => {
    control.stop ??= stop
    control.wake()
  }
  const inflight = new Set<Promise<void>>()
  const stopSignals = io.onSignal((signal) => {
    if (control.stop === undefined) {
      halt({ signal })
      // The drain's clock starts now, even if the batch is still reading lines.
      control.drainTimer = setTimeout(() => {
        control.impatient = true
        control.wake()
      }, config.drainMs)
      say(`${signal}: no new tasks; waiting up to ${formatDuration(config.drainMs)} for ${inflight.size} in flight (again to stop now)`)
    } else {
      control.impatient = true
      control.wake()
    }
  })

  const write = (record: OutputRecord): boolean => {
    if (!control.accepting) return false
    try {
      sink.write(runId === '' ? record : { ...record, run: runId })
      return true
    } catch (error) {
      control.accepting = false
      halt({ fatal: `cannot write to ${target}: ${describeError(error)}`, drain: false })
      return false
    }
  }

  const dispatch = (line: number, task: Task, taskUUID: string, taskType: string): void => {
    // A JSONL line is whatever the user wrote: the untyped path, checked at run time.
    const settled = client.run(untyped(task)).then(
      (items) => {
        if (write({ line, taskUUID, taskType, status: 'ok', results: items })) stats.ok += 1
      },
      (error: unknown) => {
        if (!control.accepting) return
        const next = disposition(error, client.state === 'failed', line, taskUUID, taskType)
        if (next.kind === 'record') {
          if (write(next.record)) stats.failed += 1
          if (next.stop !== undefined) halt({ fatal: next.stop, drain: true })
        } else if (next.kind === 'leave') {
          stats.unsettled += 1
        } else {
          halt({ fatal: next.reason, drain: false })
        }
      },
    )
    const tracked = settled.finally(() => {
      inflight.delete(tracked)
      control.wake()
    })
    inflight.add(tracked)
  }

  const started = performance.now()
  let inputError: unknown
  // Tasks still in flight when we stop waiting: our close() rejects them, and they stay unrecorded.
  let unrecorded: number
  try {
    // Connect before reading a line: a wrong URL or key stops here, with nothing recorded.
    const connected = await connectFirst(client, config.connectTimeoutMs, control, nextWake, link)
    if (connected !== undefined) halt({ fatal: connected, drain: false })
    else progress.start()
    const stopped = (): boolean => control.stop !== undefined
    try {
      const source = config.input === '-' ? io.stdin() : createReadStream(config.input)
      for await (const parsed of pendingLines(source, recorded, runId, () => (stats.skipped += 1))) {
        if (stopped()) break
        if (parsed.kind === 'bad') {
          stats.queued += 1
          if (write({ line: parsed.line, taskUUID: parsed.taskUUID, status: 'error', code: 'invalidTask', message: parsed.message })) stats.failed += 1
          continue
        }
        while (inflight.size >= config.concurrency && !stopped()) await nextWake()
        // A line read but not sent is simply not recorded: the restart reads it again.
        if (stopped()) break
        stats.queued += 1
        dispatch(parsed.line, parsed.task, parsed.taskUUID, parsed.taskType)
      }
      stats.eof = !stopped()
    } catch (error) {
      inputError = error
    }
    await drain(inflight, control, nextWake)
  } finally {
    control.accepting = false
    unrecorded = inflight.size
    clearTimeout(control.drainTimer)
    stopSignals()
    progress.stop()
    await client.close()
    sink.close()
  }

  const elapsed = formatDuration(performance.now() - started)
  const timedOut = stats.unsettled > 0 ? `, ${stats.unsettled} timed out (unrecorded)` : ''
  const thisRun = `this run: ${stats.ok} ok, ${stats.failed} failed${timedOut} in ${elapsed}${link.reconnects > 0 ? ` (${link.reconnects} reconnects)` : ''}`
  if (inputError !== undefined) {
    say(`stopped: cannot read ${config.input}: ${describeError(inputError)}; ${thisRun}`)
    return EXIT.fatal
  }
  const stop = control.stop
  if (stop !== undefined) {
    const left = unrecorded > 0 ? `; ${unrecorded} in flight left unrecorded` : ''
    if ('fatal' in stop) {
      say(`stopped: ${stop.fatal}; ${thisRun}${left}; fix it and run again with the same output to resume`)
      return EXIT.fatal
    }
    say(`interrupted by ${stop.signal}; ${thisRun}${left}; run again with the same output to resume`)
    return exitCodeFor(stop.signal)
  }
  const ok = recorded.ok + stats.ok
  const failed = recorded.failed + stats.failed
  say(
    `done: ${ok + failed} task(s) recorded in ${target}: ${ok} ok, ${failed} failed ` +
      `(${thisRun}${stats.skipped > 0 ? `; ${stats.skipped} recorded earlier` : ''})`,
  )
  if (stats.unsettled > 0)
    say(`${stats.unsettled} task(s) timed out and are not recorded: run again with the same output to collect them under the same taskUUIDs`)
  return failed > 0 || stats.unsettled > 0 ? EXIT.failed : EXIT.ok
}

/** Waits for the first ready socket; the reason it gave up, or undefined when connected. */
async function connectFirst(
  client: RunwareSocket,
  timeoutMs: number,
  control: Control,
  nextWake: () => Promise<void>,
  link: { attempt: number; state: string },
): Promise<string | undefined> {
  const outcome: { error?: unknown; ready?: boolean } = {}
  void client
    .connect()
    .then(
      () => (outcome.ready = true),
      (error: unknown) => (outcome.error = error),
    )
    .finally(control.wake)
  // The timer's own word, not a clock comparison: Node may fire it a fraction of a millisecond
  // before performance.now() says the time is up, and nothing would wake the loop again.
  const timing = { up: false }
  const timer = setTimeout(() => {
    timing.up = true
    control.wake()
  }, timeoutMs)
  try {
    for (;;) {
      if (outcome.ready === true) return undefined
      if (outcome.error !== undefined) return `cannot connect: ${describeError(outcome.error)}`
      // A signal: not a connection problem; the caller reports the interruption.
      if (control.stop !== undefined) return undefined
      if (timing.up)
        return (
          `cannot connect within ${formatDuration(timeoutMs)} (${link.state}${link.attempt > 0 ? `, ${link.attempt} attempts` : ''}); ` +
          `check --url and the network`
        )
      await nextWake()
    }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Waits for the tasks in flight: all of them on a normal end or after an account error; after a
 * signal, until --drain-ms since it or a second signal (`impatient`); none when nothing more can
 * be recorded (connection failed, output not writable).
 */
async function drain(inflight: ReadonlySet<Promise<void>>, control: Control, nextWake: () => Promise<void>): Promise<void> {
  while (inflight.size > 0 && !control.impatient) {
    const stop = control.stop
    if (stop !== undefined && 'fatal' in stop && !stop.drain) return
    await nextWake()
  }
}
