/**
 * Aborts at scale: 100,000 tasks on the wire (the simulator holds their results), each with an
 * AbortController of its own, aborted in one synchronous loop. Node's own `abort()` (an Event, a
 * DOMException for the reason, the listener call) is a large part of that loop, so it is measured
 * beside it in the same round: the same number of controllers, each with one no-op listener,
 * aborted in one loop. The client's cost per abort is the difference; the target is on it.
 */
import { benchTask, OursClient } from '../clients/index.js'
import { settleHeap } from '../heap.js'
import { measured, text, type Row, type Scenario, type ScenarioContext, type ScenarioResult } from '../report.js'
import { median } from '../stats.js'

const TARGET_US = 5

interface Reading {
  /** µs per abort: the client's tasks. */
  loop: number
  /** µs per abort: bare controllers with one no-op listener each. */
  bare: number
  /** ms from the loop's start until every task's promise rejected. */
  settledMs: number
}

function bareLoop(count: number): number {
  const controllers = Array.from({ length: count }, () => {
    const controller = new AbortController()
    controller.signal.addEventListener('abort', () => undefined, { once: true })
    return controller
  })
  const start = performance.now()
  for (const controller of controllers) controller.abort()
  return ((performance.now() - start) * 1_000) / count
}

async function clientLoop(url: string, count: number, sim: ScenarioContext['sim']): Promise<Omit<Reading, 'bare'>> {
  const client = new OursClient(url, { maxInFlight: Infinity, maxQueued: Infinity })
  await client.connect()
  await sim.hold()
  const received = (await sim.stats()).tasksReceived
  const controllers = Array.from({ length: count }, () => new AbortController())
  let rejected = 0
  let allRejected: () => void = () => undefined
  const done = new Promise<void>((resolve) => (allRejected = resolve))
  for (const controller of controllers) {
    client.socket.run(benchTask(), { signal: controller.signal }).catch(() => {
      if (++rejected === count) allRejected()
    })
  }
  await sim.waitReceived(received + count)
  await settleHeap()
  const start = performance.now()
  for (const controller of controllers) controller.abort()
  const loop = ((performance.now() - start) * 1_000) / count
  await done
  const settledMs = performance.now() - start
  if (client.socket.pending !== 0) throw new Error(`${client.socket.pending} tasks still pending after the aborts`)
  await client.close()
  return { loop, settledMs }
}

export const aborts: Scenario = {
  name: 'aborts',
  async run({ sim, config, log }: ScenarioContext): Promise<ScenarioResult> {
    const { runs, warmups, tasks } = config.aborts
    const readings: Reading[] = []
    for (let round = 0; round < warmups + runs; round++) {
      const url = await sim.start({ latencyMs: 0 })
      // Taking turns: the bare loop first in even rounds, the client's first in odd ones.
      let bare = 0
      if (round % 2 === 0) bare = bareLoop(tasks)
      const ours = await clientLoop(url, tasks, sim)
      if (round % 2 === 1) bare = bareLoop(tasks)
      log(
        `  round ${round + 1}/${warmups + runs}: loop ${ours.loop.toFixed(2)} µs/abort, bare abort() ${bare.toFixed(2)} µs, ` +
          `client ${(ours.loop - bare).toFixed(2)} µs; all settled in ${ours.settledMs.toFixed(0)} ms`,
      )
      if (round >= warmups) readings.push({ ...ours, bare })
    }
    await sim.stop()
    const client = readings.map((r) => r.loop - r.bare)
    const clientMedian = median(client)
    const rows: Row[] = [
      {
        scenario: 'aborts',
        metric: `µs per abort, ${tasks.toLocaleString('en-US')} tasks aborted in one loop (the whole loop)`,
        cells: {
          ours: measured(
            readings.map((r) => r.loop),
            'us',
          ),
          rawBatched: text('n/a'),
          rawPerMessage: text('n/a'),
          sdk: text('n/a (no AbortSignal)'),
        },
      },
      {
        scenario: 'aborts',
        metric: "µs per abort: Node's own abort() with one listener (baseline, same round)",
        cells: {
          ours: measured(
            readings.map((r) => r.bare),
            'us',
          ),
        },
      },
      {
        scenario: 'aborts',
        metric: 'µs per abort: the client (loop − baseline)',
        cells: { ours: measured(client, 'us') },
        target: { key: 'aborts.clientUsPerAbort', text: `≤ ${TARGET_US} µs`, pass: clientMedian <= TARGET_US, measured: clientMedian },
      },
      {
        scenario: 'aborts',
        metric: 'ms until every aborted task has rejected',
        cells: {
          ours: measured(
            readings.map((r) => r.settledMs),
            'ms',
          ),
        },
      },
    ]
    return {
      rows,
      data: { readings },
      notes: [
        "aborts: sdk-js takes no AbortSignal; the raw clients have none. Node's abort() creates an Event and a DOMException per call, the same in both loops.",
      ],
    }
  },
}
