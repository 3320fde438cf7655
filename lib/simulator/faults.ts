/**
 * Fault injection: scripted faults (the control methods, consumed in order) and seeded chaos
 * (rates from the options). Every decision that injects something also counts it in the stats, so
 * a test can check its client against exactly what was injected.
 */
import type { Task } from '../protocol/protocol.js'
import type { ResolvedChaos } from './options.js'
import type { Random } from './random.js'
import { messageFor } from './replies.js'
import type { SimulatorStats } from './stats.js'

export interface FailOptions {
  /** Error message. @default a per-code text */
  message?: string
  /** Successful items delivered before the error (partial results). @default 0 */
  afterItems?: number
}

export interface FailTasksRule {
  /** Fail this seeded-random share of the (matching) tasks. @default 1 */
  fraction?: number
  /** Only tasks for which this returns true. @default every task */
  match?: (task: Task) => boolean
  /** Stop after failing this many. @default unlimited */
  count?: number
}

export interface InjectedFailure {
  code: string
  message: string
  afterItems: number
}

export type FrameFault = 'drop' | 'silence'

/** Rotated in order: not JSON, a JSON array, a number, data that is a string, items that are not objects. */
export const MALFORMED_FRAMES: readonly string[] = [
  '{"data":[{"taskType":',
  '[{"taskType":"imageInference"}]',
  '42',
  '{"data":"not a list"}',
  '{"data":[1,"two",null]}',
]

interface Scripted {
  remaining: number
  code: string
}

interface ScriptedFailure extends Scripted {
  options: FailOptions
}

interface Rule {
  fraction: number
  match: ((task: Task) => boolean) | undefined
  remaining: number
  code: string
}

export function count(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be an integer ≥ 0, got ${n}`)
  return n
}

function taskUUIDOf(task: Task): string {
  return task.taskUUID ?? ''
}

export class Faults {
  private failures: ScriptedFailure[] = []
  private rules: Rule[] = []
  private auths: Scripted[] = []
  /** Keys refused from now on (a key revoked mid-run), with the code they are refused with. */
  private readonly revoked = new Map<string, string>()
  private rateLimits: Scripted[] = []
  private duplicates = 0
  private malformed = 0
  private malformedIndex = 0
  private delayScript: { ms: number; remaining: number } | undefined
  private countdown: number | undefined
  private lostAcks = 0
  private lostAnswers = 0
  private readonly replyRandom: Random
  private readonly taskRandom: Random
  private readonly frameRandom: Random
  private readonly ruleRandom: Random

  constructor(
    public chaos: ResolvedChaos,
    random: Random,
    private readonly stats: SimulatorStats,
  ) {
    this.taskRandom = random.fork('chaos-tasks')
    this.frameRandom = random.fork('chaos-frames')
    this.ruleRandom = random.fork('fail-rules')
    this.replyRandom = random.fork('chaos-replies')
  }

  // ---- scripting (the Simulator control methods) ----

  failNext(n: number, code: string, options: FailOptions = {}): void {
    if (count('n', n) > 0) this.failures.push({ remaining: n, code, options })
  }

  failTasks(rule: FailTasksRule, code: string): void {
    const fraction = rule.fraction ?? 1
    if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction must be in [0, 1], got ${fraction}`)
    const remaining = rule.count === undefined ? Infinity : count('count', rule.count)
    if (remaining > 0) this.rules.push({ fraction, match: rule.match, remaining, code })
  }

  failAuth(code: string, n: number): void {
    if (count('n', n) > 0) this.auths.push({ remaining: n, code })
  }

  revokeKey(apiKey: string, code: string): void {
    this.revoked.set(apiKey, code)
  }

  rateLimit(n: number, code: string): void {
    if (count('n', n) > 0) this.rateLimits.push({ remaining: n, code })
  }

  duplicateNext(n: number): void {
    this.duplicates += count('n', n)
  }

  malformedNext(n: number): void {
    this.malformed += count('n', n)
  }

  delay(ms: number, n?: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ms must be a finite number ≥ 0, got ${ms}`)
    const remaining = n === undefined ? Infinity : count('n', n)
    this.delayScript = ms === 0 || remaining === 0 ? undefined : { ms, remaining }
  }

  loseAcks(n: number): void {
    this.lostAcks += count('n', n)
  }

  loseAnswers(n: number): void {
    this.lostAnswers += count('n', n)
  }

  /** Arms the countdown; n = 0 is "now" and is handled by the caller. */
  dropAfterFrames(n: number): void {
    this.countdown = count('n', n)
  }

  clear(): void {
    this.failures = []
    this.rules = []
    this.auths = []
    this.rateLimits = []
    this.duplicates = 0
    this.malformed = 0
    this.delayScript = undefined
    this.countdown = undefined
    this.lostAcks = 0
    this.lostAnswers = 0
  }

  // ---- decisions ----

  /** The code an authentication must be refused with, if one is scripted or its key was revoked. */
  authFailure(apiKey: unknown): string | undefined {
    const code = take(this.auths) ?? (typeof apiKey === 'string' ? this.revoked.get(apiKey) : undefined)
    if (code !== undefined) this.stats.faults.authFailures++
    return code
  }

  /** The code a task is refused with (not executed), if any. */
  rateLimitFor(task: Task): string | undefined {
    const code = take(this.rateLimits) ?? (this.taskRandom.chance(this.chaos.rateLimitRate) ? this.chaos.rateLimitCode : undefined)
    if (code !== undefined) {
      this.stats.faults.rateLimits++
      this.stats.rateLimitedTasks.set(taskUUIDOf(task), code)
    }
    return code
  }

  /** The runtime failure an accepted task will end with, if any. */
  failureFor(task: Task): InjectedFailure | undefined {
    const failure = this.scriptedFailure() ?? this.ruleFailure(task) ?? this.chaosFailure()
    if (failure !== undefined) {
      const faults = this.stats.faults
      faults.failures++
      faults.byCode[failure.code] = (faults.byCode[failure.code] ?? 0) + 1
      this.stats.failedTasks.set(taskUUIDOf(task), failure.code)
    }
    return failure
  }

  /** Extra latency for an accepted task. */
  delayFor(): number {
    let extra = 0
    const script = this.delayScript
    if (script !== undefined) {
      extra += script.ms
      if (--script.remaining <= 0) this.delayScript = undefined
    }
    if (this.taskRandom.chance(this.chaos.delayRate)) extra += this.chaos.delayMs
    if (extra > 0) this.stats.faults.delays++
    return extra
  }

  /** Chaos for one result frame: drop the socket, or make it half-open, instead of sending. */
  frameFault(): FrameFault | undefined {
    if (this.frameRandom.chance(this.chaos.dropRate)) return 'drop'
    if (this.frameRandom.chance(this.chaos.silenceRate)) return 'silence'
    return undefined
  }

  /** A malformed frame to send before the next result frame, if one is due. */
  takeMalformed(): string | undefined {
    if (this.malformed > 0) this.malformed--
    else if (!this.frameRandom.chance(this.chaos.malformedRate)) return undefined
    this.stats.faults.malformed++
    const frame = MALFORMED_FRAMES[this.malformedIndex++ % MALFORMED_FRAMES.length]
    return frame
  }

  /** Whether the next result frame is sent twice. */
  takeDuplicate(): boolean {
    if (this.duplicates > 0) this.duplicates--
    else if (!this.frameRandom.chance(this.chaos.duplicateRate)) return false
    this.stats.faults.duplicates++
    return true
  }

  /** Whether this async acknowledgement is lost: the task runs, the client never hears of it. */
  takeLostAck(): boolean {
    if (this.lostAcks > 0) this.lostAcks--
    else if (!this.replyRandom.chance(this.chaos.lostAckRate)) return false
    this.stats.faults.lostAcks++
    return true
  }

  /** Whether this getResponse answer is lost. */
  takeLostAnswer(): boolean {
    if (this.lostAnswers > 0) this.lostAnswers--
    else if (!this.replyRandom.chance(this.chaos.lostAnswerRate)) return false
    this.stats.faults.lostAnswers++
    return true
  }

  /** Counts one frame written; true when the dropAfterFrames countdown has just run out. */
  frameWritten(): boolean {
    if (this.countdown === undefined) return false
    if (--this.countdown > 0) return false
    this.countdown = undefined
    return true
  }

  private scriptedFailure(): InjectedFailure | undefined {
    const head = this.failures[0]
    if (head === undefined) return undefined
    if (--head.remaining <= 0) this.failures.shift()
    return failureOf(head.code, head.options)
  }

  private ruleFailure(task: Task): InjectedFailure | undefined {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]
      if (rule === undefined) continue
      if (rule.match !== undefined && !rule.match(task)) continue
      if (!this.ruleRandom.chance(rule.fraction)) continue
      if (--rule.remaining <= 0) this.rules.splice(i, 1)
      return failureOf(rule.code, {})
    }
    return undefined
  }

  private chaosFailure(): InjectedFailure | undefined {
    const chaos = this.chaos
    if (!this.taskRandom.chance(chaos.failRate)) return undefined
    const permanent = this.taskRandom.chance(chaos.permanentShare)
    return failureOf(this.taskRandom.pick(permanent ? chaos.permanentCodes : chaos.retryableCodes), {})
  }
}

function take(queue: Scripted[]): string | undefined {
  const head = queue[0]
  if (head === undefined) return undefined
  if (--head.remaining <= 0) queue.shift()
  return head.code
}

function failureOf(code: string, options: FailOptions): InjectedFailure {
  return { code, message: options.message ?? messageFor(code), afterItems: Math.max(0, Math.floor(options.afterItems ?? 0)) }
}
