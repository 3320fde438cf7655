/**
 * Memory: heap bytes per pending task with 100,000 tasks pending (the simulator holds every result
 * back, so all of them stay on the wire, waiting). The tasks' own payload is measured on its own
 * (100,000 task objects, retained) and subtracted: what remains is what the client keeps per task.
 * sdk-js is not measured: each pending request runs its own 100 ms polling interval, so 100,000 of
 * them would be a million timer callbacks a second.
 */
import { benchTask, OursClient, RawBatchedClient } from '../clients/index.js'
import { drive } from '../drive.js'
import { settleHeap } from '../heap.js'
import { measured, text, type Row, type Scenario, type ScenarioContext, type ScenarioResult } from '../report.js'
import { median } from '../stats.js'

interface Reading {
  /** Heap per pending task, all of it. */
  totalPerTask: number
  /** The same, minus the payload's own size. */
  beyondPayload: number
  pending: number
}

async function payloadPerTask(count: number): Promise<number> {
  // The array is allocated before the baseline: only the task objects are measured.
  const tasks = new Array<object | null>(count).fill(null)
  const before = await settleHeap()
  for (let i = 0; i < count; i++) tasks[i] = benchTask()
  const after = await settleHeap()
  if (tasks.length !== count) throw new Error('unreachable: keeps `tasks` alive until measured')
  return (after - before) / count
}

async function measureOnce(
  kind: 'rawBatched' | 'ours',
  url: string,
  count: number,
  warmupTasks: number,
  payload: number,
  sim: ScenarioContext['sim'],
): Promise<Reading> {
  const client = kind === 'rawBatched' ? new RawBatchedClient(url) : new OursClient(url, { maxInFlight: Infinity, maxQueued: Infinity })
  await client.connect()
  // Compile the hot paths first: code the JIT writes during the measurement would count as data.
  await drive(client, { total: warmupTasks, concurrency: 100 })
  await sim.hold()
  const received = (await sim.stats()).tasksReceived
  // Allocated before the baseline: the array holding the promises is the caller's, not the client's.
  const promises = new Array<Promise<unknown> | null>(count).fill(null)
  const before = await settleHeap()
  for (let i = 0; i < count; i++) promises[i] = client.run(benchTask())
  await sim.waitReceived(received + count)
  const after = await settleHeap()
  const pending = client instanceof RawBatchedClient ? client.pending : client.socket.pending
  for (const promise of promises) promise?.catch(() => undefined)
  await client.close()
  await Promise.allSettled(promises.filter((promise) => promise !== null))
  const totalPerTask = (after - before) / count
  return { totalPerTask, beyondPayload: totalPerTask - payload, pending }
}

export const memory: Scenario = {
  name: 'memory',
  async run({ sim, config, log }: ScenarioContext): Promise<ScenarioResult> {
    const repeats = config.memory
    const { pending, warmupTasks } = repeats
    const payloads: number[] = []
    const readings: Record<'rawBatched' | 'ours', Reading[]> = { rawBatched: [], ours: [] }
    for (let round = 0; round < repeats.warmups + repeats.runs; round++) {
      const payload = await payloadPerTask(pending)
      const current: Partial<Record<'rawBatched' | 'ours', Reading>> = {}
      for (const kind of ['rawBatched', 'ours'] as const) {
        const url = await sim.start({ latencyMs: 0 })
        const reading = await measureOnce(kind, url, pending, warmupTasks, payload, sim)
        if (reading.pending !== pending) throw new Error(`${kind}: expected ${pending} pending tasks, found ${reading.pending}`)
        current[kind] = reading
        if (round >= repeats.warmups) readings[kind].push(reading)
      }
      if (round >= repeats.warmups) payloads.push(payload)
      log(
        `  round ${round + 1}/${repeats.warmups + repeats.runs}: payload ${payload.toFixed(0)} B/task, ` +
          `beyond it raw ${current.rawBatched?.beyondPayload.toFixed(0)} ` +
          `B, ours ${current.ours?.beyondPayload.toFixed(0)} B`,
      )
    }
    await sim.stop()
    const beyond = (kind: 'rawBatched' | 'ours'): number[] => readings[kind].map((r) => r.beyondPayload)
    const total = (kind: 'rawBatched' | 'ours'): number[] => readings[kind].map((r) => r.totalPerTask)
    const oursBeyond = median(beyond('ours'))
    const ratio = oursBeyond / median(beyond('rawBatched'))
    const sdkNa = text('n/a (see notes)')
    const rows: Row[] = [
      {
        scenario: 'memory',
        metric: `heap B per pending task beyond payload, ${pending.toLocaleString('en-US')} pending`,
        cells: { rawBatched: measured(beyond('rawBatched'), 'bytes'), ours: measured(beyond('ours'), 'bytes'), sdk: sdkNa },
        ratio: { key: 'memory.bytesPerTask.ours/raw', value: ratio, text: `${ratio.toFixed(2)}× raw` },
        target: { key: 'memory.bytesPerTask.ours', text: '≤ 600 B', pass: oursBeyond <= 600, measured: oursBeyond },
      },
      {
        scenario: 'memory',
        metric: 'heap B per pending task, payload included',
        cells: { rawBatched: measured(total('rawBatched'), 'bytes'), ours: measured(total('ours'), 'bytes'), sdk: sdkNa },
      },
    ]
    return {
      rows,
      data: { pending, payloadBytesPerTask: payloads, readings },
      notes: [
        `memory: heapUsed after full GCs with ${pending.toLocaleString('en-US')} tasks pending (simulator holding results), ` +
          `minus the heap before submitting, divided by the task count; "beyond payload" also subtracts the measured heap of ` +
          `${pending.toLocaleString('en-US')} task objects (median ${median(payloads).toFixed(0)} B each). runware-socket runs ` +
          `with maxInFlight and maxQueued unbounded here, so every task is on the wire. sdk-js: n/a, each pending request polls ` +
          `on its own 100 ms interval (100,000 intervals) and times out after 60 s.`,
      ],
    }
  },
}
