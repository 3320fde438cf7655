/**
 * A worker the crash spec kills and restarts: it runs tasks 0..TOTAL-1 that are not yet in the
 * results file, appending each outcome to it synchronously in the promise's continuation. With
 * JOURNAL set it first drains recover() (what the last process left in flight); with MODE=keys it
 * has no journal and gives each task the idempotency key `task-<index>`.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { RunwareSocket } from '../../../lib/client.js'
import { fileJournal } from '../../../lib/durable/file-journal.js'
import type { ResultItem, Task } from '../../../lib/protocol/protocol.js'
import { untyped } from '../../../lib/api/task-types.js'

const env = process.env
const total = Number(env.TOTAL ?? '300')
const results = env.RESULTS ?? ''
const keys = env.MODE === 'keys'

function ids(items: readonly ResultItem[]): string[] {
  return items.map((item) => JSON.stringify(item.imageUUID ?? item.videoUUID ?? null))
}

function save(index: number, taskUUID: string, items: readonly ResultItem[] | undefined, error: { code: string } | undefined, via: string): void {
  appendFileSync(results, `${JSON.stringify({ index, taskUUID, ids: items === undefined ? undefined : ids(items), error: error?.code, via })}\n`)
  process.stdout.write(`saved ${index}\n`)
}

function done(): Set<number> {
  const seen = new Set<number>()
  if (!existsSync(results)) return seen
  for (const line of readFileSync(results, 'utf8').split('\n')) {
    if (line === '') continue
    try {
      const parsed = JSON.parse(line) as { index: number; error?: string }
      if (parsed.error === undefined) seen.add(parsed.index)
    } catch {
      // A line cut by the kill: its task is not counted as done, and runs (or is collected) again.
    }
  }
  return seen
}

function taskOf(index: number): Task {
  // Every fifth is async (acknowledged, then polled with getResponse).
  if (index % 5 === 0) return { taskType: 'videoInference', model: 'klingai:5@3', positivePrompt: `crash ${index}`, duration: 5, deliveryMethod: 'async' }
  return { taskType: 'imageInference', model: 'runware:101@1', positivePrompt: `crash ${index}`, width: 512, height: 512 }
}

const client = new RunwareSocket({
  apiKey: env.RUNWARE_API_KEY,
  url: env.SIM_URL,
  journal: keys ? undefined : fileJournal(env.JOURNAL ?? ''),
  poll: { initialDelayMs: 30, maxDelayMs: 100, ackTimeoutMs: 500, timeoutMs: 1_000 },
  heartbeat: { intervalMs: 200, timeoutMs: 500 },
  reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
  resumeGraceMs: 100,
  taskTimeoutMs: 60_000,
  // Few at once: a run lasts long enough for the kills to land anywhere in it.
  maxInFlight: Number(env.MAX_IN_FLIGHT ?? '1000'),
})
client.on('error', (error) => process.stderr.write(`error event: ${error.code} ${error.message}\n`))

if (!keys) {
  let recovered = 0
  for await (const task of client.recover()) {
    const index = (task.meta as { index: number }).index
    save(index, task.taskUUID, task.items, task.error, 'recover')
    recovered += 1
  }
  process.stdout.write(`recovered ${recovered}\n`)
}

const finished = done()
const left = Array.from({ length: total }, (_, index) => index).filter((index) => !finished.has(index))
process.stdout.write(`running ${left.length}\n`)
await Promise.all(
  left.map((index) => {
    const options = keys ? { idempotencyKey: `task-${index}` } : { meta: { index } }
    return client.run(untyped(taskOf(index)), options).then(
      (items) => save(index, items[0]?.taskUUID ?? '', items, undefined, 'run'),
      (error: unknown) => {
        const { code, taskUUID } = error as { code: string; taskUUID?: string }
        save(index, taskUUID ?? '', undefined, { code }, 'run')
      },
    )
  }),
)
await client.close()
process.stdout.write('all done\n')
