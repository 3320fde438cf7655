/**
 * Inbound frames: parse, then handle each task of the array on its own (a bad task never spoils
 * its siblings): authentication and resume, ping, getResponse, and work tasks. Replies are queued
 * on the socket; the caller flushes them once the whole frame is processed.
 */
import type { Clock } from '../support/clock.js'
import { isUUID, type ErrorItem, type Task } from '../protocol/protocol.js'
import type { SocketLink } from './model.js'
import type { Engine } from './engine.js'
import type { Faults } from './faults.js'
import type { Outbound } from './outbound.js'
import type { Registry } from './registry.js'
import { authErrorFrame, authSuccessFrame, connectionErrorFrame, errorItem, messageFor, PONG_FRAME, scopeOf, type TaskScope } from './replies.js'
import type { SessionStore } from './sessions.js'
import type { SimulatorStats } from './stats.js'
import { createRandom } from './random.js'
import { isSupportedTaskType, planTask } from './tasks.js'
import { QUEUE_FULL_CODE, type Capacity } from './capacity.js'

/** getTaskDetails' answer draws nothing at random. */
const NO_RANDOM = createRandom(0)

export interface RouterDeps {
  clock: Clock
  /** Per-model slots and queues: a full model refuses work before accepting it. */
  capacity: Capacity
  stats: SimulatorStats
  faults: Faults
  sessions: SessionStore
  registry: Registry
  engine: Engine
  outbound: Outbound
  apiKeys: ReadonlySet<string> | undefined
  authErrorShape: 'errors' | 'error' | 'legacy'
  unknownTaskAnswer: 'empty' | 'error'
  /** A bug while handling one task (or a throwing failTasks predicate): reported, never thrown. */
  onError: (error: unknown) => void
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export class Router {
  constructor(private readonly deps: RouterDeps) {}

  handle(socket: SocketLink, text: string): void {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      this.control(socket, connectionErrorFrame('invalidJSON', 'The message is not valid JSON. Send a JSON array of task objects.'))
      return
    }
    if (!Array.isArray(value)) {
      this.control(socket, connectionErrorFrame('invalidPayload', 'The message must be a JSON array of task objects.'))
      return
    }
    if (value.length === 0) {
      this.control(socket, connectionErrorFrame('invalidPayload', 'The task array is empty.'))
      return
    }
    for (const raw of value) {
      try {
        this.route(socket, raw)
      } catch (error) {
        this.deps.onError(error)
        this.reject(socket, errorItem('internalServerError', 'The simulator failed to process this task.', scopeOf(raw)))
      }
    }
  }

  private route(socket: SocketLink, raw: unknown): void {
    if (!isObject(raw) || typeof raw.taskType !== 'string' || raw.taskType === '') {
      this.reject(
        socket,
        errorItem('missingTaskType', 'Each task must be an object with a string taskType.', scopeOf(raw), { parameter: 'taskType', type: 'string' }),
      )
      return
    }
    const task = raw as Task
    switch (task.taskType) {
      case 'authentication':
        this.authenticate(socket, task)
        return
      case 'ping':
        this.deps.stats.pings++
        this.control(socket, PONG_FRAME)
        return
      case 'getResponse':
        this.poll(socket, task)
        return
      case 'getTaskDetails':
        this.details(socket, task)
        return
      default:
        this.work(socket, task)
    }
  }

  private authenticate(socket: SocketLink, task: Task): void {
    const { faults, stats, sessions, apiKeys } = this.deps
    const apiKey = task.apiKey
    const refusal =
      faults.authFailure(apiKey) ??
      (typeof apiKey !== 'string' || apiKey === '' ? 'missingApiKey' : apiKeys !== undefined && !apiKeys.has(apiKey) ? 'invalidApiKey' : undefined)
    if (refusal !== undefined || typeof apiKey !== 'string') {
      stats.authFailures++
      this.control(socket, authErrorFrame(refusal ?? 'missingApiKey', this.deps.authErrorShape))
      return
    }
    const requested = task.connectionSessionUUID
    const resumed = typeof requested === 'string' ? sessions.resumable(requested, apiKey) : undefined
    const session = resumed ?? sessions.create(apiKey)
    // Naming the session this socket already holds is a repeat, not a resume.
    const isResume = resumed !== undefined && resumed.socket !== socket
    sessions.attach(session, socket)
    stats.authentications++
    this.control(socket, authSuccessFrame(session.uuid))
    if (!isResume) return
    stats.resumes++
    for (const unit of sessions.takeBuffer(session)) {
      stats.replayed += unit.data.length + unit.errors.length
      this.deps.outbound.enqueue(socket, unit)
    }
  }

  private poll(socket: SocketLink, task: Task): void {
    if (!this.requireSession(socket, task)) return
    const taskUUID = this.requireTaskUUID(socket, task)
    if (taskUUID === undefined) return
    this.deps.stats.polls++
    if (this.deps.faults.takeLostAnswer()) return
    const { registry, clock } = this.deps
    const now = clock.now()
    const standing = registry.standing(taskUUID, now)
    if (standing !== 'known' && this.deps.unknownTaskAnswer === 'error') {
      this.reject(socket, this.notFound(task, taskUUID, standing))
      return
    }
    // One frame with every generation of the task; exactly {"data":[]} when unknown (§6.3).
    this.control(socket, JSON.stringify({ data: registry.answer(taskUUID, now) }))
  }

  /** getTaskDetails names an existing task by its taskUUID: never a conflict, never executed. */
  private details(socket: SocketLink, task: Task): void {
    if (!this.requireSession(socket, task)) return
    const taskUUID = this.requireTaskUUID(socket, task)
    if (taskUUID === undefined) return
    const { registry, clock } = this.deps
    const now = clock.now()
    const standing = registry.standing(taskUUID, now)
    if (standing !== 'known') {
      this.reject(socket, this.notFound(task, taskUUID, standing))
      return
    }
    const outcome = planTask(task, taskUUID, { details: (uuid) => registry.details(uuid, now) })
    if (!outcome.ok) {
      this.reject(socket, outcome.error)
      return
    }
    this.deps.outbound.enqueue(socket, { kind: 'reply', data: [{ taskType: task.taskType, taskUUID, ...outcome.plan.build(0, NO_RANDOM) }], errors: [] })
  }

  /** `taskNotFound`, or `taskExpired` for a task forgotten after its retention: codes of the simulator's. */
  private notFound(task: Task, taskUUID: string, standing: 'expired' | 'unknown'): ErrorItem {
    const scope = { taskType: task.taskType, taskUUID }
    return standing === 'expired'
      ? errorItem('taskExpired', `The task ${taskUUID} finished too long ago; its results are no longer kept.`, scope, {
          parameter: 'taskUUID',
          type: 'string',
        })
      : errorItem('taskNotFound', `No task with taskUUID ${taskUUID} is known to this account.`, scope, { parameter: 'taskUUID', type: 'string' })
  }

  private work(socket: SocketLink, task: Task): void {
    const { stats, registry, faults, engine } = this.deps
    stats.tasksReceived++
    const session = this.requireSession(socket, task)
    if (session === undefined) return
    const scope = scopeOf(task)
    if (!isSupportedTaskType(task.taskType)) {
      this.reject(socket, errorItem('unsupportedTaskType', `Unsupported task type '${task.taskType}'.`, scope, { parameter: 'taskType', type: 'string' }))
      return
    }
    const taskUUID = this.requireTaskUUID(socket, task)
    if (taskUUID === undefined) return
    const known = registry.get(taskUUID)
    if (known !== undefined) {
      const context = { taskType: known.taskType, taskUUID, deliveryMethod: known.plan.deliveryMethod }
      this.reject(
        socket,
        errorItem('conflictTaskUUID', `A task with taskUUID ${taskUUID} already exists.`, scope, { parameter: 'taskUUID', type: 'string', context }),
      )
      return
    }
    const outcome = planTask(task, taskUUID)
    if (!outcome.ok) {
      this.reject(socket, outcome.error)
      return
    }
    if (task.dryRun === true || socket.dryRun) {
      // Validated, not run (docs/protocol.md §2.1): one placeholder per result it would have had.
      // The reply's shape is the simulator's: Runware documents the flag, not the answer. Async
      // delivery keeps its shape: acknowledged, the placeholders collected with getResponse.
      this.deps.stats.dryRuns++
      if (outcome.plan.deliveryMethod === 'async') {
        engine.accept(task, taskUUID, outcome.plan, session, true)
        this.deps.outbound.enqueue(socket, { kind: 'reply', data: [{ taskType: task.taskType, taskUUID }], errors: [] })
        return
      }
      const data = Array.from({ length: outcome.plan.expected }, () => ({ taskType: task.taskType, taskUUID, dryRun: true }))
      this.deps.outbound.enqueue(socket, { kind: 'reply', data, errors: [] })
      return
    }
    const refusal = faults.rateLimitFor(task)
    if (refusal !== undefined) {
      this.reject(socket, errorItem(refusal, messageFor(refusal), scope))
      return
    }
    if (this.deps.capacity.full(task.model)) {
      // The model's slots and queue are full: refused before it is accepted (never executed).
      this.deps.stats.capacityRefusals++
      this.reject(socket, errorItem(QUEUE_FULL_CODE, `the model's queue is full (${String(task.model)})`, scope))
      return
    }
    engine.accept(task, taskUUID, outcome.plan, session)
    if (outcome.plan.deliveryMethod === 'async' && !faults.takeLostAck()) {
      // One acknowledgement per task, whatever numberResults is (§6.2).
      this.deps.outbound.enqueue(socket, { kind: 'reply', data: [{ taskType: task.taskType, taskUUID }], errors: [] })
    }
  }

  private requireSession(socket: SocketLink, task: Task): SocketLink['session'] {
    if (socket.session === undefined) {
      this.reject(socket, errorItem('authenticationRequired', 'Authenticate first: send an authentication task with your API key.', scopeOf(task)))
    }
    return socket.session
  }

  private requireTaskUUID(socket: SocketLink, task: Task): string | undefined {
    const value = task.taskUUID as unknown
    const scope: TaskScope = scopeOf(task)
    if (value === undefined || value === null || value === '') {
      this.reject(socket, errorItem('missingTaskUUID', "Missing required parameter 'taskUUID'.", scope, { parameter: 'taskUUID', type: 'string' }))
      return undefined
    }
    if (!isUUID(value)) {
      this.reject(
        socket,
        errorItem('invalidTaskUUID', "Invalid value for 'taskUUID' parameter. It must be a UUID.", scope, { parameter: 'taskUUID', type: 'string' }),
      )
      return undefined
    }
    return value
  }

  private reject(socket: SocketLink, error: ErrorItem): void {
    this.deps.outbound.enqueue(socket, { kind: 'reply', data: [], errors: [error] })
  }

  private control(socket: SocketLink, raw: string): void {
    this.deps.outbound.enqueue(socket, { kind: 'control', raw })
  }
}
