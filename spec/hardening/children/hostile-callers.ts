/**
 * Child process for the caller-code property (spec/hardening/properties.spec.ts), with no
 * uncaughtException or unhandledRejection handler: a throw let into the event loop, or a
 * rejection nobody handles, ends this process with an error.
 *
 * Every piece of caller code the client calls (state, task, progress, error and orphan
 * listeners, the logger, classify, onResult, onProgress) follows a drawn script: do nothing,
 * throw, close the client, run another task, connect, or abort the shared signal. Afterwards
 * every promise has settled exactly once, every admitted task settled once, and once the client
 * and the simulator are closed the process must exit by itself.
 */
import fc from 'fast-check'
import { RunwareSocket, type TaskEvent } from '../../../lib/index.js'
import { startSimulator } from '../../../lib/simulator/index.js'
import { fastRecovery, IMAGE } from '../../fixtures/tasks.js'

const ACTIONS = ['none', 'none', 'throw', 'close', 'run', 'connect', 'abort'] as const
type Action = (typeof ACTIONS)[number]
const SITES = ['state', 'task', 'progress', 'error', 'orphan', 'logger', 'classify', 'onResult', 'onProgress'] as const
type Site = (typeof SITES)[number]

const image = IMAGE
const video = { taskType: 'videoInference', model: 'm', positivePrompt: 'waves', duration: 5, deliveryMethod: 'async' } as const

interface Script {
  seed: number
  tasks: number
  actions: Record<Site, Action[]>
}

const script: fc.Arbitrary<Script> = fc.record({
  seed: fc.nat(),
  tasks: fc.integer({ min: 1, max: 12 }),
  actions: fc.record(
    Object.fromEntries(SITES.map((site) => [site, fc.array(fc.constantFrom(...ACTIONS), { minLength: 1, maxLength: 8 })])) as Record<
      Site,
      fc.Arbitrary<Action[]>
    >,
  ),
})

const sim = await startSimulator({
  latencyMs: { min: 0, max: 5 },
  asyncDurationMs: 20,
  seed: 7,
  chaos: { failRate: 0.2, dropRate: 0.05, duplicateRate: 0.05, malformedRate: 0.05 },
})
let iterations = 0
const taken: Record<string, number> = {}
let tasksSettled = 0

await fc.assert(
  fc.asyncProperty(script, async ({ seed, tasks, actions }) => {
    iterations += 1
    const promises: Promise<unknown>[] = []
    const settledCount = new Map<Promise<unknown>, number>()
    const labels = new Map<Promise<unknown>, string>()
    const track = (promise: Promise<unknown>, label = ''): void => {
      promises.push(promise)
      labels.set(promise, `${label} (state ${client.state})`)
      settledCount.set(promise, 0)
      const count = (): void => void settledCount.set(promise, (settledCount.get(promise) ?? 0) + 1)
      promise.then(count, count)
    }
    const controller = new AbortController()
    const cursor = new Map<Site, number>()
    let extraRuns = 0
    // eslint-disable-next-line prefer-const -- assigned once the callbacks it feeds exist
    let client: RunwareSocket
    const act = (site: Site): void => {
      const list = actions[site]
      const at = cursor.get(site) ?? 0
      cursor.set(site, at + 1)
      const action = list[(at + seed) % list.length] ?? 'none'
      taken[action] = (taken[action] ?? 0) + 1
      switch (action) {
        case 'none':
          return
        case 'throw':
          throw new Error(`caller bug at ${site}`)
        case 'close':
          void client.close()
          return
        case 'run':
          if (extraRuns++ < 10)
            track(
              client.run(extraRuns % 2 === 0 ? image : video, {
                signal: controller.signal,
                onResult: () => act('onResult'),
                onProgress: () => act('onProgress'),
              }),
            )
          return
        case 'connect':
          track(client.connect(), `connect from ${site}`)
          return
        case 'abort':
          controller.abort(new Error('caller aborted'))
          return
      }
    }
    const log = (): void => act('logger')
    client = new RunwareSocket({
      ...fastRecovery(seed),
      url: sim.url,
      taskTimeoutMs: 5_000,
      logger: { debug: log, info: log, warn: log, error: log },
      errorPolicy: {
        classify: () => {
          act('classify')
          return undefined
        },
      },
    })
    // Our own bookkeeping listener first: it never throws.
    const queued = new Set<string>()
    const settled = new Map<string, number>()
    client.on('task', (event: TaskEvent) => {
      if (event.type === 'queued') queued.add(event.taskUUID)
      if (event.type === 'settled') settled.set(event.taskUUID, (settled.get(event.taskUUID) ?? 0) + 1)
    })
    for (const site of ['state', 'task', 'progress', 'error', 'orphan'] as const) client.on(site, () => act(site))
    for (let i = 0; i < tasks; i++) {
      track(client.run(i % 3 === 0 ? video : image, { signal: controller.signal, onResult: () => act('onResult'), onProgress: () => act('onProgress') }))
    }
    // Wait for everything, including what callbacks start meanwhile.
    for (let seen = 0; seen < promises.length; seen = promises.length) await Promise.allSettled(promises.slice(seen))
    await client.close()
    for (const [promise, count] of settledCount) if (count !== 1) throw new Error(`a promise settled ${count} times: ${labels.get(promise) ?? ''}`)
    for (const taskUUID of queued) if (settled.get(taskUUID) !== 1) throw new Error(`task ${taskUUID} settled ${settled.get(taskUUID) ?? 0} times`)
    tasksSettled += settled.size
    if (client.pending !== 0) throw new Error(`${client.pending} tasks still pending after close`)
  }),
  { numRuns: Number(process.env.CALLER_RUNS ?? 100) },
)

await sim.close()
// Nothing else: the spec checks that the process now exits by itself.
process.stdout.write(`${JSON.stringify({ ok: true, iterations, tasksSettled, taken })}\n`)
