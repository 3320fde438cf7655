/**
 * Recovery: 10,000 tasks in flight (the simulator has received them all, 50 ms latency), then the
 * simulator drops every socket once. Measured: from the drop, and from the socket being ready
 * again, to the last task's resolution; every task must resolve with its own result, and the
 * simulator must have executed none twice.
 */
import { randomUUID } from 'node:crypto'
import { benchTask, OursClient, RawBatchedClient, SdkClient, type BenchClient, type ClientName } from '../clients/index.js'
import { drive } from '../drive.js'
import { formatValue, measured, text, type Row, type Scenario, type ScenarioContext, type ScenarioResult } from '../report.js'
import { epochNow } from '../sim-protocol.js'
import { median, quantile } from '../stats.js'

interface Outcome {
  /** Drop → last resolution, ms; undefined when not every task resolved. */
  recoveryMs: number | undefined
  /** runware-socket only: its reconnect (the new socket opening, after the backoff delay) → last resolution, ms. */
  afterReconnectMs: number | undefined
  resolved: number
  /** Resolved before the drop (their results beat the last task to the server): not in flight at the drop. */
  resolvedBeforeDrop: number
  rejected: number
  /** Neither resolved nor rejected within the time limit. */
  hanging: number
  /** Resolved with items that are not the task's own. */
  wrongItems: number
  executedTwice: number
  /** Executions beyond one per task: the same id run twice, or the task resent under a new id (billed again). */
  extraExecutions: number
  /** runware-socket only: the first reconnect delay it drew (full jitter below initialDelayMs). */
  retryInMs: number | undefined
  resumed: boolean | undefined
  firstError: string | undefined
}

function ownItems(items: readonly unknown[], taskUUID: string | undefined): boolean {
  return items.length === 1 && (taskUUID === undefined || (items[0] as { taskUUID?: unknown }).taskUUID === taskUUID)
}

/** The reconnect delay is drawn at the middle of its range, so runs compare: the tasks have all run on the server by then. */
const MIDDLE = (): number => 0.5

async function once(name: ClientName, context: ScenarioContext, limitMs: number): Promise<Outcome> {
  const { sim, config } = context
  const { latencyMs, initialDelayMs } = config.recovery
  const inFlight = name === 'sdk' ? config.recovery.sdkInFlight : config.recovery.inFlight
  const url = await sim.start({ latencyMs })
  const client: BenchClient =
    name === 'rawBatched'
      ? new RawBatchedClient(url)
      : name === 'ours'
        ? new OursClient(url, { reconnect: { initialDelayMs }, random: MIDDLE, maxInFlight: inFlight })
        : new SdkClient(url)
  let retryInMs: number | undefined
  let resumed: boolean | undefined
  let reconnectAt: number | undefined
  if (client instanceof OursClient) {
    client.socket.on('state', (event) => {
      if (event.to === 'reconnecting') retryInMs ??= event.retryInMs
      if (event.to === 'connecting' && retryInMs !== undefined) reconnectAt ??= epochNow()
      if (event.to === 'ready' && retryInMs !== undefined) resumed ??= event.resumed
    })
  }
  await client.connect()
  if (name !== 'sdk') await drive(client, { total: 500, concurrency: 100 })
  const before = await sim.stats()
  const received = before.tasksReceived
  const { dropped } = await sim.dropWhenReceived(received + inFlight)
  let resolved = 0
  let rejected = 0
  let wrongItems = 0
  let lastResolved = 0
  const resolvedAt: number[] = []
  let firstError: string | undefined
  const tasks = Array.from({ length: inFlight }, () => {
    const task = benchTask()
    // runware-socket keeps a caller's taskUUID, so its results can be checked against it.
    const taskUUID = name === 'ours' ? randomUUID() : undefined
    if (taskUUID !== undefined) task.taskUUID = taskUUID
    return client.run(task).then(
      (items) => {
        resolved++
        lastResolved = epochNow()
        resolvedAt.push(lastResolved)
        if (!ownItems(items, taskUUID)) wrongItems++
      },
      (error: unknown) => {
        rejected++
        firstError ??= error instanceof Error ? error.message : String(error)
      },
    )
  })
  const drop = await dropped
  const all = Promise.all(tasks)
  let timer: NodeJS.Timeout | undefined
  await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, limitMs)))])
  clearTimeout(timer)
  const stats = await sim.stats()
  await client.close()
  // Give rejections from close a turn to land, so `hanging` counts only what never settled.
  await new Promise((resolve) => setImmediate(resolve))
  const hanging = inFlight - resolved - rejected
  return {
    recoveryMs: resolved === inFlight ? lastResolved - drop.at : undefined,
    afterReconnectMs: resolved === inFlight && reconnectAt !== undefined ? lastResolved - reconnectAt : undefined,
    resolved,
    resolvedBeforeDrop: resolvedAt.filter((at) => at < drop.at).length,
    rejected,
    hanging: Math.max(0, hanging),
    wrongItems,
    executedTwice: stats.executedTwice,
    extraExecutions: stats.executions - before.executions - inFlight,
    retryInMs,
    resumed,
    firstError,
  }
}

function summary(outcome: Outcome, inFlight: number, limitMs: number): string {
  if (outcome.recoveryMs !== undefined) {
    const afterReconnect = outcome.afterReconnectMs === undefined ? '' : ` (${outcome.afterReconnectMs.toFixed(0)} ms after the reconnect)`
    return `all resolved in ${outcome.recoveryMs.toFixed(0)} ms${afterReconnect}`
  }
  return `${outcome.resolved.toLocaleString('en-US')} of ${inFlight.toLocaleString('en-US')} resolved in ${(limitMs / 1000).toFixed(0)} s`
}

export const recovery: Scenario = {
  name: 'recovery',
  async run(context: ScenarioContext): Promise<ScenarioResult> {
    const { config, log, sim } = context
    const repeats = config.recovery
    const { inFlight, sdkInFlight, initialDelayMs, limitMs, sdkLimitMs, latencyMs } = repeats
    const ours: Outcome[] = []
    for (let round = 0; round < repeats.warmups + repeats.runs; round++) {
      const outcome = await once('ours', context, limitMs)
      if (round >= repeats.warmups) ours.push(outcome)
      log(
        `  ours round ${round + 1}: ${summary(outcome, inFlight, limitMs)}, drew ${outcome.retryInMs} ms, resumed ${outcome.resumed}, ` +
          `twice ${outcome.executedTwice}`,
      )
    }
    const raw = await once('rawBatched', context, limitMs)
    log(`  rawBatched: ${summary(raw, inFlight, limitMs)}, rejected ${raw.rejected} (${raw.firstError})`)
    // Last: sdk-js leaves its abandoned requests polling until their own 60 s timeout.
    const sdk = await once('sdk', context, sdkLimitMs)
    log(`  sdk: ${summary(sdk, sdkInFlight, sdkLimitMs)}, executed twice ${sdk.executedTwice}`)
    await sim.stop()

    const recovered = ours.map((o) => o.recoveryMs ?? Infinity)
    const oursMs = median(recovered)
    const afterReconnect = ours.map((o) => o.afterReconnectMs ?? Infinity)
    const afterReconnectP95 = quantile(afterReconnect, 0.95)
    const budget = initialDelayMs + 100
    const oursLost = Math.max(...ours.map((o) => o.rejected + o.hanging + o.wrongItems))
    const oursTwice = Math.max(...ours.map((o) => o.executedTwice))
    const oursExtra = Math.max(...ours.map((o) => o.extraExecutions))
    const lostText = (o: Outcome): string =>
      `${(o.rejected + o.hanging).toLocaleString('en-US')} (${o.rejected} rejected, ${o.hanging} hanging` +
      (o.resolvedBeforeDrop > 0 ? `; ${o.resolvedBeforeDrop} had resolved before the drop)` : ')')
    const oursEarly = Math.max(...ours.map((o) => o.resolvedBeforeDrop))
    const rows: Row[] = [
      {
        scenario: 'recovery',
        metric: `drop → all ${inFlight.toLocaleString('en-US')} resolved, ms`,
        cells: {
          rawBatched: text(`never (${summary(raw, inFlight, limitMs)}, one run)`),
          ours: measured(recovered, 'ms'),
          sdk:
            sdk.recoveryMs === undefined
              ? text(`not within ${sdkLimitMs / 1000} s (${summary(sdk, sdkInFlight, sdkLimitMs)})`)
              : text(`${formatValue(sdk.recoveryMs, 'ms')} (one run)`),
        },
        ratio: { key: 'recovery.ours.ms', value: oursMs, text: `first delay drawn: ${median(ours.map((o) => o.retryInMs ?? NaN)).toFixed(0)} ms (median)` },
        target: { key: 'recovery.ours.ms', text: `≤ ${initialDelayMs} + 100 ms`, pass: oursMs <= budget, measured: oursMs },
      },
      {
        scenario: 'recovery',
        metric: `reconnect → all ${inFlight.toLocaleString('en-US')} resolved, ms (p95 of ${ours.length})`,
        cells: { rawBatched: text('n/a (no recovery)'), ours: measured(afterReconnect, 'ms'), sdk: text('n/a (no resume)') },
        ratio: { key: 'recovery.ours.afterReconnectP95', value: afterReconnectP95, text: `p95 ${formatValue(afterReconnectP95, 'ms')}` },
        target: { key: 'recovery.ours.afterReconnectP95', text: '≤ 100 ms at p95', pass: afterReconnectP95 <= 100, measured: afterReconnectP95 },
      },
      {
        scenario: 'recovery',
        metric: 'tasks lost (rejected or hanging), worst run',
        cells: {
          rawBatched: text(lostText(raw)),
          ours: text(`${oursLost.toLocaleString('en-US')}${oursEarly > 0 ? ` (up to ${oursEarly} resolved before the drop)` : ''}`),
          sdk: text(lostText(sdk)),
        },
        target: { key: 'recovery.ours.lost', text: '0', pass: oursLost === 0, measured: oursLost },
      },
      {
        scenario: 'recovery',
        metric: 'tasks executed twice by the server, worst run',
        cells: { rawBatched: text(String(raw.executedTwice)), ours: text(String(oursTwice)), sdk: text(String(sdk.executedTwice)) },
        target: { key: 'recovery.ours.executedTwice', text: '0', pass: oursTwice === 0, measured: oursTwice },
      },
      {
        scenario: 'recovery',
        metric: 'extra executions (same id twice, or resent under a new id), worst run',
        cells: { rawBatched: text(String(raw.extraExecutions)), ours: text(String(oursExtra)), sdk: text(String(sdk.extraExecutions)) },
        target: { key: 'recovery.ours.extraExecutions', text: '0', pass: oursExtra === 0, measured: oursExtra },
      },
    ]
    return {
      rows,
      data: { inFlight, sdkInFlight, latencyMs, initialDelayMs, limitMs, sdkLimitMs, ours, raw, sdk },
      notes: [
        `recovery: simulator latency ${latencyMs} ms; it drops every socket the moment it has received all ${inFlight.toLocaleString('en-US')} ` +
          `tasks (a client sending one frame per task can take longer than the latency to deliver them all, so a few may have ` +
          `resolved before the drop; the table says how many). runware-socket runs with maxInFlight ${inFlight.toLocaleString('en-US')} ` +
          `(every task on the wire), reconnect.initialDelayMs ${initialDelayMs} and its jitter drawn at the middle of the range ` +
          `(a ${initialDelayMs / 2} ms delay, so runs compare and every task has run on the server by the time it is back), ` +
          `otherwise defaults; it resumes the session, so the results completed during the gap are replayed. "Reconnect" is ` +
          `the client's connecting state event after the backoff delay: from there the figure is the new socket's handshake ` +
          `and session resume, the simulator replaying ${inFlight.toLocaleString('en-US')} results one per frame (as Runware ` +
          `frames results), and the client settling their tasks. raw has no recovery: a closed socket rejects what was pending. ` +
          `sdk-js, with ${sdkInFlight.toLocaleString('en-US')} in flight (each of its requests polls on its own timer), ` +
          (sdk.recoveryMs === undefined ? `did not resolve all tasks within ${sdkLimitMs / 1000} s: ` : 'resolved them: ') +
          `it reconnects after a fixed 1 s without resuming its session and wipes its listeners, so in-flight requests wait ` +
          `for their 60 s timeout and are then retried under a new taskUUID ("extra executions" counts those: work the server ` +
          `did, and would bill, twice).`,
      ],
    }
  },
}
