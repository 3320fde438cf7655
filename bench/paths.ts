/**
 * Which files of lib/ a task's path runs through, measured instead of read: V8's precise coverage
 * (function call counts) is reset just before the step and read just after, and every lib/ file
 * with a function that ran is listed. Two paths (docs/architecture.md: the two walks):
 *
 *   run     one sync task on a ready client, from `run()` to its settlement
 *   drop    a task on the wire when the socket is cut, the frame lost: reconnect, session resume,
 *           the getResponse question, the empty answer, the resend under the same id, the result
 *
 * Files that only declare types never run and are not listed; data tables are listed when read at
 * module level only (they run at import), so they are named apart from the walk.
 *
 *   npx tsx bench/paths.ts
 */
import { Session } from 'node:inspector/promises'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { RunwareSocket } from '../lib/index.js'
import { startSimulator } from '../lib/simulator/index.js'

const lib = resolve(dirname(fileURLToPath(import.meta.url)), '../lib')
const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false })

/** The lib/ files with a function that ran since the last call. */
async function ran(): Promise<string[]> {
  const { result } = await session.post('Profiler.takePreciseCoverage')
  const files = new Set<string>()
  for (const script of result) {
    if (!script.url.startsWith('file://')) continue
    const path = fileURLToPath(script.url)
    if (!path.startsWith(`${lib}/`)) continue
    // The in-process simulator answers the path; it is not on it.
    if (path.startsWith(`${lib}/simulator/`)) continue
    // The module's top level (run at import) is the unnamed function starting at offset 0; after a
    // reset, a snapshot lists only what ran since, so the first entry may be a real function.
    const ranFunction = script.functions.some(
      (fn) => !(fn.functionName === '' && fn.ranges[0]?.startOffset === 0) && fn.ranges.some((range) => range.count > 0),
    )
    if (ranFunction) files.add(relative(lib, path))
  }
  return [...files].sort()
}

const task = { taskType: 'imageInference', model: 'runware:101@1', positivePrompt: 'a path', width: 512, height: 512 } as const

const sim = await startSimulator({ latencyMs: 5 })
const client = new RunwareSocket({ apiKey: 'paths-api-key-0123456789', url: sim.url, reconnect: { initialDelayMs: 10, maxDelayMs: 10 } })
await client.connect()
// Warm: the first task loads and runs what later ones do not (lazy setup).
await client.run(task)
await client.run(task)

await ran()
await client.run(task)
const runPath = await ran()

// The task is written to a socket that discards it; the socket is then cut.
sim.silence()
const pending = client.run(task)
await new Promise<void>((done) => sim.events.once('frame', () => done()))
await ran()
sim.dropAll()
await pending
const dropPath = await ran()

await client.close()
await sim.close()
session.disconnect()

for (const [name, files] of [
  ['run() to settlement', runPath],
  ['a dropped socket, through to the resend and its result', dropPath],
] as const) {
  console.log(`${name}: ${files.length} files`)
  for (const file of files) console.log(`  ${file}`)
}
