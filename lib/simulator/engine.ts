/**
 * Task execution: accepted tasks run for their latency, then produce their result items (or an
 * injected failure) and hand sync results to the session. Zero-latency tasks complete in the next
 * tick without a timer; due tasks are completed in batches so one frame can carry many.
 */
import type { Clock } from '../support/clock.js'
import type { DataItem, Task } from '../protocol/protocol.js'
import type { Faults } from './faults.js'
import type { Outbound } from './outbound.js'
import type { Random } from './random.js'
import type { AcceptedTask, Registry } from './registry.js'
import { errorItem } from './replies.js'
import type { Alarms, Ticker } from './alarms.js'
import type { Session } from './model.js'
import type { SimulatorStats } from './stats.js'
import type { TaskPlan } from './tasks.js'

export interface EngineDeps {
  clock: Clock
  alarms: Alarms
  ticker: Ticker
  registry: Registry
  faults: Faults
  outbound: Outbound
  stats: SimulatorStats
  /** Stream for result seeds and captions. */
  resultRandom: Random
  /** Stream for latency draws. */
  latencyRandom: Random
  latency: { min: number; max: number }
  /** Load: latency grows by perTaskMs for every task already running, up to maxMs more. */
  load: { perTaskMs: number; maxMs: number }
  asyncDurationMs: number
}

export class Engine {
  private ready: AcceptedTask[] = []
  private held: AcceptedTask[] = []
  private holding = false

  constructor(private readonly deps: EngineDeps) {}

  /** Starts an accepted task (it now counts as executed). */
  accept(task: Task, taskUUID: string, plan: TaskPlan, session: Session): void {
    const { stats, faults, clock, registry } = this.deps
    const failure = faults.failureFor(task)
    const base = (plan.deliveryMethod === 'async' ? this.deps.asyncDurationMs : this.latency()) + this.queueing()
    const now = clock.now()
    const record: AcceptedTask = {
      taskUUID,
      taskType: task.taskType,
      request: task,
      doneAt: 0,
      plan,
      session,
      startedAt: now,
      dueAt: now + base + faults.delayFor(),
      failure,
      state: 'running',
      items: [],
    }
    registry.add(record, now)
    stats.executions.set(taskUUID, (stats.executions.get(taskUUID) ?? 0) + 1)
    if (record.dueAt <= now) this.due(record)
    else
      this.deps.alarms.at(record.dueAt, () => {
        this.due(record)
      })
  }

  /** Results of tasks that finish from now on wait (tasks stay pending) until release(). */
  hold(): void {
    this.holding = true
  }

  release(): void {
    this.holding = false
    if (this.held.length === 0) return
    this.ready = this.held.concat(this.ready)
    this.held = []
    this.deps.ticker.request()
  }

  /** Runs once per tick: completes every task that became due. */
  completeReady(): void {
    if (this.ready.length === 0) return
    const ready = this.ready
    this.ready = []
    if (this.holding) {
      this.held = this.held.concat(ready)
      return
    }
    for (const record of ready) this.complete(record)
  }

  private due(record: AcceptedTask): void {
    this.ready.push(record)
    this.deps.ticker.request()
  }

  /** Under load, work queues: each task waits longer the more are already running (Runware's rate-limit page). */
  private queueing(): number {
    const { perTaskMs, maxMs } = this.deps.load
    return perTaskMs === 0 ? 0 : Math.min(maxMs, perTaskMs * this.deps.registry.inFlight)
  }

  private latency(): number {
    const { min, max } = this.deps.latency
    return min === max ? min : min + this.deps.latencyRandom.next() * (max - min)
  }

  private complete(record: AcceptedTask): void {
    const { plan, failure, session, taskType, taskUUID } = record
    const successes = failure === undefined ? plan.expected : Math.min(failure.afterItems, plan.expected)
    const items: DataItem[] = []
    for (let i = 0; i < successes; i++) items.push(this.item(record, i))
    record.items = items
    this.deps.registry.finish(record, this.deps.clock.now())
    this.deps.stats.itemsProduced += successes
    // Async results are only ever fetched with getResponse (docs/protocol.md §6.2).
    if (plan.deliveryMethod === 'async') return
    const { outbound } = this.deps
    if (plan.streamed) {
      // Stages happen one after another on the real service: a frame each, never merged.
      for (const item of items) {
        outbound.deliver(session, { kind: 'result', data: [item], errors: [], session, framing: 'task' })
        outbound.flushAll()
      }
    } else if (successes > 0) {
      outbound.deliver(session, { kind: 'result', data: items, errors: [], session })
    }
    if (failure !== undefined) {
      const error = errorItem(failure.code, failure.message, { taskType, taskUUID })
      outbound.deliver(session, { kind: 'result', data: [], errors: [error], session })
    }
  }

  private item(record: AcceptedTask, index: number): DataItem {
    const item: DataItem = { taskType: record.taskType, taskUUID: record.taskUUID, ...record.plan.build(index, this.deps.resultRandom) }
    if (record.plan.cost !== undefined) item.cost = record.plan.cost
    return item
  }
}
