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
import { QUEUE_WAIT_CODE, type Capacity } from './capacity.js'

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
  /** Per-model slots and queues (capacity.ts); models it does not manage run at once. */
  capacity: Capacity
}

export class Engine {
  private ready: AcceptedTask[] = []
  private held: AcceptedTask[] = []
  private holding = false

  constructor(private readonly deps: EngineDeps) {}

  /**
   * Starts an accepted task (it now counts as executed). A `dryRun` one (async delivery) is known
   * at once with one `{dryRun: true}` placeholder per result, for getResponse: never executed,
   * no slot, no fault.
   */
  accept(task: Task, taskUUID: string, plan: TaskPlan, session: Session, dryRun = false): void {
    const { stats, faults, clock, registry } = this.deps
    const failure = dryRun ? undefined : faults.failureFor(task)
    const managed = !dryRun && this.deps.capacity.managed(task.model)
    const base = managed || dryRun ? 0 : (plan.deliveryMethod === 'async' ? this.deps.asyncDurationMs : this.latency()) + this.queueing()
    const now = clock.now()
    const record: AcceptedTask = {
      taskUUID,
      taskType: task.taskType,
      request: task,
      doneAt: 0,
      plan: dryRun ? { ...plan, cost: undefined, build: () => ({ dryRun: true }) } : plan,
      session,
      startedAt: now,
      dueAt: managed ? Infinity : dryRun ? now : now + base + faults.delayFor(),
      failure,
      state: 'running',
      items: [],
      ...(dryRun ? { dryRun: true as const } : {}),
    }
    registry.add(record, now)
    if (!dryRun) stats.executions.set(taskUUID, (stats.executions.get(taskUUID) ?? 0) + 1)
    if (managed) this.queue(record, task.model as string)
    else if (record.dueAt <= now) this.due(record)
    else
      this.deps.alarms.at(record.dueAt, () => {
        this.due(record)
      })
  }

  /** A task of a model with finite capacity: it runs when a slot is free, for the model's service time. */
  private queue(record: AcceptedTask, model: string): void {
    const { clock, faults, alarms, capacity, stats } = this.deps
    const fallback = (): number => (record.plan.deliveryMethod === 'async' ? this.deps.asyncDurationMs : this.latency())
    const start = (serviceMs: number): void => {
      record.slot = model
      record.dueAt = clock.now() + serviceMs + faults.delayFor()
      alarms.at(record.dueAt, () => {
        this.due(record)
      })
    }
    const expire = (): void => {
      stats.queueWaitTimeouts++
      record.failure = { code: QUEUE_WAIT_CODE, message: `waited past the model's maximum queue time (${model})`, afterItems: 0 }
      this.due(record)
    }
    capacity.enter(model, fallback, start, expire)
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
    if (record.slot !== undefined) this.deps.capacity.leave(record.slot)
    record.slot = undefined
    this.deps.registry.finish(record, this.deps.clock.now())
    if (record.dryRun !== true) this.deps.stats.itemsProduced += successes
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
