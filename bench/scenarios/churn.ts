/**
 * Churn: 1,000,000 tasks run to completion in batches, and after each batch the heap (after full
 * GCs), every listener count and the process's active timers compared with the start. A leak of a
 * few bytes per task, or a listener or timer per task or per reconnect, shows here. Each batch is
 * compared with the same start, so growth across batches shows.
 */
import { OursClient, RawBatchedClient, type BenchClient } from '../clients/index.js'
import { drive } from '../drive.js'
import { settleHeap } from '../heap.js'
import { measured, text, type Row, type Scenario, type ScenarioContext, type ScenarioResult } from '../report.js'
import type { RunwareSocketEvents } from '../../lib/index.js'

const EVENTS: readonly (keyof RunwareSocketEvents)[] = ['state', 'task', 'progress', 'error', 'orphan']

interface Listeners {
  client: Record<string, number>
  socket: Record<string, number>
  /** The process's active Node timers (`Timeout` resources): the client's are among them. */
  timers: number
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length
}

function listenersOf(client: OursClient): Listeners {
  const socket = client.sockets.at(-1)
  return {
    client: Object.fromEntries(EVENTS.map((event) => [event, client.socket.listenerCount(event)])),
    socket: socket === undefined ? {} : Object.fromEntries(socket.eventNames().map((event) => [String(event), socket.listenerCount(event)])),
    timers: activeTimers(),
  }
}

function sameListeners(a: Listeners, b: Listeners): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function describeListeners(listeners: Listeners): string {
  const client = Object.values(listeners.client).reduce((sum, n) => sum + n, 0)
  const socket = Object.values(listeners.socket).reduce((sum, n) => sum + n, 0)
  return `client ${client}, socket ${socket}, timers ${listeners.timers}`
}

interface ChurnRun {
  start: number
  after: number[]
  growthPercent: number[]
  listenersStart?: Listeners
  listenersAfter?: Listeners[]
  pendingAfter?: number[]
  socketsOpened?: number
}

async function churnOnce(kind: 'rawBatched' | 'ours', context: ScenarioContext): Promise<ChurnRun> {
  const { sim, config, log } = context
  const { tasks, batches, concurrency, warmupTasks } = config.churn
  // The floor server: a million answers cost it little, so the batches are the client's time.
  const url = await sim.start({ floor: true })
  const client: BenchClient = kind === 'rawBatched' ? new RawBatchedClient(url) : new OursClient(url)
  await client.connect()
  await drive(client, { total: warmupTasks, concurrency })
  const start = await settleHeap()
  const run: ChurnRun = { start, after: [], growthPercent: [] }
  if (client instanceof OursClient) {
    run.listenersStart = listenersOf(client)
    run.listenersAfter = []
    run.pendingAfter = []
  }
  for (let batch = 0; batch < batches; batch++) {
    const result = await drive(client, { total: tasks, concurrency })
    if (result.failed > 0) throw new Error(`${kind}: ${result.failed} tasks failed (${result.firstError})`)
    const after = await settleHeap()
    run.after.push(after)
    run.growthPercent.push(((after - start) / start) * 100)
    if (client instanceof OursClient) {
      run.listenersAfter?.push(listenersOf(client))
      run.pendingAfter?.push(client.socket.pending + client.socket.inFlight)
    }
    log(
      `  ${kind} batch ${batch + 1}/${batches}: heap ${(start / 1e6).toFixed(2)} → ${(after / 1e6).toFixed(2)} MB ` +
        `(${run.growthPercent.at(-1)?.toFixed(2)} %)`,
    )
  }
  if (client instanceof OursClient) run.socketsOpened = client.sockets.length
  await client.close()
  return run
}

export const churn: Scenario = {
  name: 'churn',
  async run(context: ScenarioContext): Promise<ScenarioResult> {
    const { tasks, batches, concurrency, withRaw } = context.config.churn
    const raw = withRaw ? await churnOnce('rawBatched', context) : undefined
    const ours = await churnOnce('ours', context)
    await context.sim.stop()
    const worst = Math.max(...ours.growthPercent.map(Math.abs))
    const listenersStart = ours.listenersStart!
    const listenersKept = (ours.listenersAfter ?? []).every((after) => sameListeners(after, listenersStart))
    const pendingLeft = Math.max(...(ours.pendingAfter ?? [0]))
    const rows: Row[] = [
      {
        scenario: 'churn',
        metric:
          `heap after ${(tasks * batches).toLocaleString('en-US')} tasks vs start` +
          (batches > 1 ? ` (${batches} batches of ${tasks.toLocaleString('en-US')}, each vs start)` : ''),
        cells: {
          rawBatched: raw === undefined ? text('not run (--quick)') : measured(raw.growthPercent, 'percent'),
          ours: measured(ours.growthPercent, 'percent'),
          sdk: text('n/a'),
        },
        ratio: { key: 'churn.ours.heapGrowthPercent.worst', value: worst, text: `worst batch ${worst.toFixed(2)} %` },
        target: { key: 'churn.ours.heap', text: 'within 5 %', pass: worst <= 5, measured: worst },
      },
      {
        scenario: 'churn',
        metric: 'listeners and active timers after vs start; tasks left pending',
        cells: {
          rawBatched: text('n/a'),
          ours: text(`${describeListeners(listenersStart)} → ${describeListeners(ours.listenersAfter?.at(-1) ?? listenersStart)}; ${pendingLeft} pending`),
          sdk: text('n/a'),
        },
        target: { key: 'churn.ours.listeners', text: 'unchanged, 0 pending', pass: listenersKept && pendingLeft === 0, measured: pendingLeft },
      },
    ]
    return {
      rows,
      data: { tasks, batches, concurrency, rawBatched: raw ?? null, ours },
      notes: [
        `churn: ${tasks.toLocaleString('en-US')} tasks per batch at concurrency ${concurrency.toLocaleString('en-US')}, after ` +
          `a warm-up; heapUsed after full GCs, each batch against the same start. Listener counts: every RunwareSocket event, ` +
          `and every event of its ws socket (reached through the injectable WebSocket constructor); timers: the process's active ` +
          `Timeout resources (process.getActiveResourcesInfo()), checked after every batch. Against the floor server. raw is ` +
          `the yardstick for the heap's own noise; sdk-js is not measured.`,
      ],
    }
  },
}
