/**
 * What the journal costs (`npx tsx bench/journal.ts [--quick]`):
 *
 * 1. throughput at 100 tasks in flight (closed loop) on the floor server, with `fileJournal` and
 *    without, taking turns in the same run; the ratio of medians, and the journal's fdatasyncs per
 *    second and entries per append (group commit: one fsync per group, not per task);
 * 2. `recover()` of 10,000 open entries the server has never seen (each asked about with
 *    getResponse, then resent under its own id and run): seconds from the call to the end of the loop.
 *
 * The floor server runs in a process of its own, as in the throughput scenario; the journal lives
 * in the OS's temporary directory, whose file system is printed: fsync cost is the disk's.
 */
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RunwareSocket } from '../lib/client.js'
import { fileJournal, type FileJournal } from '../lib/durable/file-journal.js'
import { startSimulator } from '../lib/simulator/index.js'
import { API_KEY } from './clients/types.js'
import { closedLoop } from './drive.js'
import { SimControl } from './sim-control.js'
import { median } from './stats.js'

const quick = process.argv.includes('--quick')
const TASKS = quick ? 5_000 : 20_000
const TURNS = quick ? 2 : 5
const CONCURRENCY = 100
const task = (i: number) => ({ taskType: 'imageInference', model: 'runware:101@1', positivePrompt: `a heron, take ${i}`, width: 512, height: 512 }) as const

async function throughputTurn(url: string, journal: FileJournal | undefined): Promise<{ perSecond: number; seconds: number }> {
  const client = new RunwareSocket({ apiKey: API_KEY, url, journal })
  await client.connect()
  const seconds = await closedLoop((i) => client.run(task(i)), TASKS, CONCURRENCY)
  await client.close()
  return { perSecond: TASKS / seconds, seconds }
}

async function throughput(): Promise<void> {
  const sim = await SimControl.launch()
  const url = await sim.start({ floor: true })
  const dir = mkdtempSync(join(tmpdir(), 'runware-bench-journal-'))
  const plain: number[] = []
  const journaled: number[] = []
  const syncsPerSecond: number[] = []
  const perAppend: number[] = []
  try {
    // A warm-up of each, not counted.
    await throughputTurn(url, undefined)
    await throughputTurn(url, fileJournal(join(dir, 'warm.journal')))
    const withJournal = async (turn: number): Promise<void> => {
      const journal = fileJournal(join(dir, `turn-${turn}.journal`))
      const run = await throughputTurn(url, journal)
      journaled.push(run.perSecond)
      syncsPerSecond.push(journal.stats.syncs / run.seconds)
      perAppend.push(journal.stats.entries / journal.stats.appends)
    }
    // Taking turns, each going first in every other round.
    for (let turn = 0; turn < TURNS; turn++) {
      if (turn % 2 === 1) await withJournal(turn)
      plain.push((await throughputTurn(url, undefined)).perSecond)
      if (turn % 2 === 0) await withJournal(turn)
    }
  } finally {
    await sim.shutdown()
  }
  const filesystem = execFileSync('df', ['-T', tmpdir()], { encoding: 'utf8' }).trim().split('\n').at(-1)?.split(/\s+/)[1] ?? '?'
  const where = `journal on ${filesystem} in ${tmpdir()}`
  console.log(`throughput, ${TASKS} tasks at ${CONCURRENCY} in flight on the floor server (its own process), ${TURNS} turns each (${where})`)
  console.log('| | tasks/s (median) | turns | fdatasync/s | entries per append |')
  console.log('|---|---|---|---|---|')
  console.log(`| no journal | ${median(plain).toFixed(0)} | ${plain.map((v) => v.toFixed(0)).join(', ')} | | |`)
  const turns = journaled.map((v) => v.toFixed(0)).join(', ')
  console.log(`| fileJournal | ${median(journaled).toFixed(0)} | ${turns} | ${median(syncsPerSecond).toFixed(0)} | ${median(perAppend).toFixed(1)} |`)
  console.log(`ratio (journal / none): ${(median(journaled) / median(plain)).toFixed(2)}× (target ≥ 0.5×)`)
}

async function recoverTenThousand(): Promise<void> {
  const entries = 10_000
  const path = join(mkdtempSync(join(tmpdir(), 'runware-bench-recover-')), 'left.journal')
  const writer = fileJournal(path)
  await writer.open()
  for (let start = 0; start < entries; start += 500) {
    await writer.append(
      Array.from({ length: 500 }, (_, i) => {
        const taskUUID = randomUUID()
        return { taskUUID, task: JSON.stringify({ taskUUID, ...task(start + i) }), meta: String(start + i), openedAt: Date.now() }
      }),
    )
  }
  await writer.release()
  const sim = await startSimulator({ apiKeys: [API_KEY] })
  const client = new RunwareSocket({ apiKey: API_KEY, url: sim.url, journal: fileJournal(path) })
  try {
    const started = performance.now()
    let ok = 0
    for await (const recovered of client.recover()) if (recovered.items?.length === 1) ok += 1
    const seconds = (performance.now() - started) / 1_000
    console.log(
      `recover() of ${entries} open entries the server never saw: ${seconds.toFixed(2)} s (target ≤ 5 s); ${ok} collected with their result; ` +
        `the simulator ran ${sim.stats.executions.size} (${sim.stats.executedTwice().length} twice), answered ${sim.stats.polls} getResponse`,
    )
  } finally {
    await client.close()
    await sim.close()
  }
}

await throughput()
await recoverTenThousand()
