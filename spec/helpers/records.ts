/** A bare task record for unit specs of the task machinery (no client, no socket): count-completed, one result (run's options and async as given). */
import type { RunwareError } from '../../lib/support/errors.js'
import { kindOf } from '../../lib/tasks/admit.js'
import { TaskRecord } from '../../lib/tasks/ledger.js'
import type { RecordInit } from '../../lib/tasks/task-record.js'

let next = 0

export function bareRecord(taskType = 'imageInference', stream = false, run: RecordInit['run'] = {}, async = false): TaskRecord {
  next += 1
  const id = `00000000-0000-4000-8000-${String(next).padStart(12, '0')}`
  const task = {
    taskUUID: id,
    taskType,
    async,
    stream,
    generated: false,
    wire: { taskUUID: id },
    model: taskType,
    completion: { kind: 'count', count: 1 },
    kind: kindOf(taskType),
  } as const
  return new TaskRecord(task, {
    timeoutMs: 1_000,
    run,
    resolve: () => undefined,
    reject: (_error: RunwareError) => undefined,
    owner: { deadlineReached: () => undefined, woken: () => undefined },
  })
}
