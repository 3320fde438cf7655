/**
 * `recover()`: what the previous process left in flight, each task reconciled as after a dropped
 * socket (getResponse; collect what the server has; resend under the same taskUUID what it does
 * not know) and yielded once, in the order they settle. An entry is closed only when the consumer
 * asks for the next one (its loop body has run, awaited work included); leaving the loop early
 * leaves the rest open for the next process.
 */
import type { JournalEntry, JsonValue, RecoveredTask } from '../api/journal.js'
import type { ResultItem, Task } from '../protocol/protocol.js'
import { libraryError, RunwareError } from '../support/errors.js'
import type { PreparedTask } from '../tasks/admit.js'

export interface RecoverDeps {
  /** The entries to recover (opens the journal; the first call takes them all). */
  take(): Promise<JournalEntry[]>
  /** Checks and encodes a stored task as `run` would, under its own taskUUID. */
  prepare(task: unknown, entry: JournalEntry): PreparedTask | RunwareError
  /** Hands a task to the engine as one whose fate is unknown; returns how to give it up. */
  adopt(prepared: PreparedTask, resolve: (items: ResultItem[]) => void, reject: (error: RunwareError) => void): () => void
  /** The consumer is done with this entry. */
  close(taskUUID: string): void
}

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

export async function* recoverEntries(deps: RecoverDeps): AsyncGenerator<RecoveredTask, void, undefined> {
  const entries = await deps.take()
  const done: RecoveredTask[] = []
  let wake: (() => void) | undefined
  const giveUp = new Map<string, () => void>()
  const finish = (outcome: RecoveredTask): void => {
    giveUp.delete(outcome.taskUUID)
    done.push(outcome)
    wake?.()
  }
  for (const entry of entries) {
    const task = parse(entry.task)
    const base = { taskUUID: entry.taskUUID, task: task as Task, meta: parse(entry.meta) as JsonValue | undefined, idempotencyKey: entry.idempotencyKey }
    const prepared = deps.prepare(task, entry)
    if (prepared instanceof RunwareError) {
      finish({ ...base, error: libraryError('invalidTask', `the journal's entry cannot be sent again: ${prepared.message}`, { taskUUID: entry.taskUUID }) })
      continue
    }
    const cancel = deps.adopt(
      prepared,
      (items) => finish({ ...base, items }),
      (error) => finish({ ...base, error }),
    )
    giveUp.set(entry.taskUUID, cancel)
  }
  try {
    let yielded = 0
    while (yielded < entries.length) {
      const next = done.shift()
      if (next === undefined) {
        await new Promise<void>((resolve) => (wake = resolve))
        wake = undefined
        continue
      }
      yielded += 1
      yield next
      deps.close(next.taskUUID)
    }
  } finally {
    // Left early: what is not yet yielded stays in the journal for the next process.
    for (const cancel of [...giveUp.values()]) cancel()
  }
}
