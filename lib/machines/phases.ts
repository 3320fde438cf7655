/**
 * A task's lifecycle as data (the twin of the connection's table in states.ts), read by the
 * ledger, which moves tasks, and by the engine, which releases what a move leaves behind:
 *
 *   journaling  its journal entry is being made durable (a client with a journal): nothing is sent before
 *   queued   waiting in the outbox for the socket (first send, retry, or same-id resend)
 *   waiting  a retry's backoff delay; it re-enters the outbox under a fresh taskUUID
 *   sent     on the wire; results (sync) or an acknowledgement (async) expected
 *   unknown  was on the wire when its socket died: fate unknown until reconciled
 *   polling  the server has it; results are collected with getResponse (and pushes)
 *   settled  resolved or rejected: terminal, it holds nothing
 */

export type TaskPhase = 'journaling' | 'queued' | 'waiting' | 'sent' | 'unknown' | 'polling' | 'settled'

/** The task event an edge stands for (`queued` is reported at admission, by no edge). */
export type PhaseEvent = 'sent' | 'retry' | 'polling' | 'resubmit' | 'settled'

/** Allowed edges, each with the task event it reports (null: none). Anything else is a bug. */
export const EDGES: Readonly<Record<TaskPhase, Readonly<Partial<Record<TaskPhase, PhaseEvent | null>>>>> = {
  journaling: { queued: null, settled: 'settled' },
  queued: { sent: 'sent', waiting: 'retry', polling: 'polling', settled: 'settled' },
  waiting: { queued: null, settled: 'settled' },
  sent: { unknown: null, polling: 'polling', waiting: 'retry', settled: 'settled' },
  unknown: { queued: 'resubmit', polling: 'polling', waiting: 'retry', settled: 'settled' },
  polling: { polling: null, queued: 'resubmit', waiting: 'retry', settled: 'settled' },
  settled: {},
}

/** Phases that count against maxInFlight: the server has (or may have) the task. */
export const ON_WIRE: Readonly<Record<TaskPhase, boolean>> = {
  journaling: false,
  queued: false,
  waiting: false,
  sent: true,
  unknown: true,
  polling: true,
  settled: false,
}

/**
 * What a task may hold besides its place in the ledger: its deadline, the listener on its
 * AbortSignal, its wake timer (a retry's delay, the next poll, an async acknowledgement's
 * deadline), a getResponse question (a probe) and, for a streamed text, the open stream its pieces come on.
 */
export type Holding = 'deadline' | 'signal' | 'wake' | 'probe' | 'stream'

/** What each phase may hold. A move releases what the phase it leaves holds and the next does not. */
export const HOLDS: Readonly<Record<TaskPhase, readonly Holding[]>> = {
  journaling: ['deadline', 'signal'],
  queued: ['deadline', 'signal'],
  waiting: ['deadline', 'signal', 'wake'],
  sent: ['deadline', 'signal', 'wake', 'stream'],
  unknown: ['deadline', 'signal', 'probe'],
  polling: ['deadline', 'signal', 'wake', 'probe'],
  settled: [],
}

const PHASES = Object.keys(HOLDS) as TaskPhase[]

/** For each edge, what it releases: computed once from HOLDS. */
export const RELEASES: Readonly<Record<TaskPhase, Readonly<Record<TaskPhase, readonly Holding[]>>>> = Object.fromEntries(
  PHASES.map((from) => [from, Object.fromEntries(PHASES.map((to) => [to, from === to ? [] : HOLDS[from].filter((held) => !HOLDS[to].includes(held))]))]),
) as unknown as Record<TaskPhase, Record<TaskPhase, readonly Holding[]>>
