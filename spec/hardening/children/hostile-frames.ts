/**
 * Child process for the hostile-frames property (spec/hardening/properties.spec.ts). It installs no
 * uncaughtException or unhandledRejection handler, as a worker runs: anything the client lets into
 * the event loop kills this process, and the spec sees the exit code.
 *
 * A scripted server answers every task with its real results, interleaved with hostile frames:
 * random JSON, nesting to 20,000 levels, huge strings, prototype keys, wrong types. Every real task
 * must resolve with exactly its own items, or, when a frame refused as unreadable named it before
 * its last item came (an item nested too deep, an item with a bad taskType), reject at once with
 * protocolError; and Object.prototype must stay untouched.
 */
import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { WebSocketServer, type WebSocket } from 'ws'
import { RunwareSocket } from '../../../lib/index.js'

const deep = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`

/** A frame the client must skip (or report), never deliver to a real task (a refused one named by it fails it). */
function hostile(realUUID: string): fc.Arbitrary<string> {
  const stray = (payload: string): string => `{"data":[{"taskType":"noise","payload":${payload}}]}`
  return fc.oneof(
    // Random JSON, inside a stray item and (when it is no error envelope) as the whole frame.
    fc.json().map(stray),
    fc.json().filter((text) => !/"errors?"\s*:/.test(text)),
    // Deep nesting, in an item of a real task and in an error that names no task.
    fc.integer({ min: 65, max: 20_000 }).map((n) => `{"data":[{"taskType":"imageInference","taskUUID":"${realUUID}","imageUUID":"deep","x":${deep(n)}}]}`),
    fc.integer({ min: 65, max: 20_000 }).map((n) => `{"errors":[{"code":"weird","message":"m","nested":${deep(n)}}]}`),
    // Huge strings.
    fc.integer({ min: 100_000, max: 2_000_000 }).map((n) => stray(JSON.stringify('x'.repeat(n)))),
    // Prototype keys, spelled plainly and with escapes.
    fc.constantFrom(
      `{"__proto__":{"polluted":1},"data":[{"taskType":"imageInference","taskUUID":"${randomUUID()}","imageUUID":"p","__proto__":{"polluted":2}}]}`,
      `{"data":[{"taskType":"noise","\\u005f\\u005fproto\\u005f\\u005f":{"polluted":3},"constructor":{"prototype":{"polluted":4}}}]}`,
      '{"error":{"code":"odd","__proto__":{"polluted":5}}}',
    ),
    // Wrong types, some naming the real task.
    fc.constantFrom(
      '{"data":5}',
      '{"data":"x"}',
      '{"data":[1,null,"two",[]]}',
      '{"errors":"x"}',
      '{"errors":[5]}',
      '{"error":{"code":5,"message":[]}}',
      `{"data":[{"taskType":5,"taskUUID":"${realUUID}","imageUUID":"t"}]}`,
      `{"data":[{"taskType":"imageInference","taskUUID":7}]}`,
      '{}',
      'null',
      '[]',
      '"text"',
      '{"data":[{"taskType":',
      '\u0000\uffff',
    ),
  )
}

interface Plan {
  tasks: number[]
  /** Per task: hostile frames to send, and whether its items go one per frame. */
  noise: { frames: string[]; split: boolean; order: number[] }[]
}

function plan(): fc.Arbitrary<Plan> {
  return fc.integer({ min: 1, max: 4 }).chain((count) =>
    fc.record({
      tasks: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: count, maxLength: count }),
      noise: fc.array(
        fc.record({
          frames: fc.array(hostile('00000000-0000-4000-8000-000000000000'), { maxLength: 6 }),
          split: fc.boolean(),
          order: fc.array(fc.nat(), { maxLength: 12 }),
        }),
        { minLength: count, maxLength: count },
      ),
    }),
  )
}

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
await new Promise<void>((resolve) => server.once('listening', resolve))
const address = server.address()
if (address === null || typeof address === 'string') throw new Error('no port')
let current: Plan | undefined
let served = 0
/** By served index: a refused item named that task before its last real item went out. */
const refusedEarly = new Map<number, boolean>()

/** A frame whose item names the task but is refused as unreadable: the task fails at once. */
const refuses = (frame: string, taskUUID: string): boolean =>
  frame.includes(`"taskUUID":"${taskUUID}"`) && (frame.includes('"imageUUID":"deep"') || frame.includes('"taskType":5'))

server.on('connection', (socket: WebSocket) => {
  socket.on('message', (raw: Buffer) => {
    const tasks = JSON.parse(raw.toString('utf8')) as Record<string, unknown>[]
    for (const task of tasks) {
      if (task.taskType === 'authentication') {
        socket.send(JSON.stringify({ data: [{ taskType: 'authentication', connectionSessionUUID: randomUUID() }] }))
        continue
      }
      if (task.taskType === 'ping') {
        socket.send('{"data":[{"taskType":"ping","pong":true}]}')
        continue
      }
      const plan = current
      const index = served++
      const noise = plan?.noise[index]
      const taskUUID = String(task.taskUUID)
      const count = Number(task.numberResults ?? 1)
      const items = Array.from({ length: count }, (_, i) => ({ taskType: 'imageInference', taskUUID, imageUUID: `${taskUUID}/${i}` }))
      const real = noise?.split === false ? [JSON.stringify({ data: items })] : items.map((item) => JSON.stringify({ data: [item] }))
      // The hostile frames name this task where they name one.
      const bad = (noise?.frames ?? []).map((frame) => frame.replaceAll('00000000-0000-4000-8000-000000000000', taskUUID))
      // Each hostile frame goes before the real frame its drawn position picks (or after the last).
      const before = new Map<number, string[]>()
      bad.forEach((frame, j) => {
        const at = (noise?.order[j] ?? j) % (real.length + 1)
        before.set(at, [...(before.get(at) ?? []), frame])
        if (at < real.length && refuses(frame, taskUUID)) refusedEarly.set(index, true)
      })
      for (let k = 0; k <= real.length; k++) {
        for (const frame of before.get(k) ?? []) socket.send(frame)
        const frame = real[k]
        if (frame !== undefined) socket.send(frame)
      }
    }
  })
})

const client = new RunwareSocket({ apiKey: 'hostile-key-0123456789', url: `ws://127.0.0.1:${address.port}/v1`, taskTimeoutMs: 5_000 })
let errorsReported = 0
client.on('error', () => (errorsReported += 1))

await fc.assert(
  fc.asyncProperty(plan(), async (drawn) => {
    current = drawn
    served = 0
    refusedEarly.clear()
    const runs = drawn.tasks.map((numberResults) =>
      client.run({ taskType: 'imageInference', model: 'm', positivePrompt: 'p', width: 512, height: 512, numberResults }),
    )
    const settled = await Promise.allSettled(runs)
    const results = settled.map((outcome, i) => {
      if (outcome.status === 'fulfilled') {
        if (refusedEarly.get(i) === true) throw new Error(`task ${i} resolved although a refused item named it first`)
        return outcome.value
      }
      const code = (outcome.reason as { code?: unknown }).code
      if (refusedEarly.get(i) !== true || code !== 'protocolError') throw new Error(`task ${i} rejected with ${String(code)}`)
      return undefined
    })
    results.forEach((items, i) => {
      if (items === undefined) return
      const expected = drawn.tasks[i] ?? 0
      if (items.length !== expected) throw new Error(`task ${i} resolved with ${items.length} items, expected ${expected}`)
      const own = items[0]?.taskUUID
      items.forEach((item, n) => {
        if (item.imageUUID !== `${own}/${n}`) throw new Error(`task ${i} got a foreign item ${JSON.stringify(item).slice(0, 200)}`)
      })
    })
    if (Object.keys(Object.prototype).length !== 0 || ({} as Record<string, unknown>).polluted !== undefined) throw new Error('Object.prototype was polluted')
    if (client.state !== 'ready') throw new Error(`the client is ${client.state}`)
  }),
  { numRuns: Number(process.env.HOSTILE_RUNS ?? 60) },
)

await client.close()
for (const socket of server.clients) socket.terminate()
await new Promise<void>((resolve) => server.close(() => resolve()))
process.stdout.write(`${JSON.stringify({ ok: true, errorsReported })}\n`)
