/**
 * Durable across process death, tried with real processes: a child runs 300 tasks (a fifth of them
 * async) through the simulator in this process, and is SIGKILLed at seeded moments (a timer from
 * its start; after the k-th task reached the server; after the k-th getResponse; just after the
 * k-th result was saved) and restarted until it finishes. Holds when the simulator executed each
 * of the 300 exactly once (none twice, none again under a fresh id) and every task's result was
 * saved, a result saved twice only under the same taskUUID with the same items.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Simulator } from '../../lib/simulator/index.js'
import { mulberry32 } from '../../lib/simulator/random.js'
import { ROOT } from '../cli/process.js'
import { API_KEY, useHarness } from '../helpers/harness.js'

const harness = useHarness()
const CHILD = join(ROOT, 'spec/durable/children/crash-child.ts')
const TOTAL = 300
const KILLS = 25

type Trigger = 'timer' | 'wire' | 'poll' | 'saved'

interface Saved {
  index: number
  taskUUID: string
  ids?: string[]
  error?: string
  via: string
}

interface Round {
  /** What killed the child: the seeded trigger, or the backstop (its share of the saves reached first); 'none' when it finished. */
  fired: Trigger | 'backstop' | 'none'
  exit: number | null
  recovered: number
}

function readSaved(path: string): Saved[] {
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Saved)
}

/**
 * One child, killed when `trigger` fires or, as a backstop, once it has saved `share` results (so a fast
 * machine cannot finish the 300 in fewer rounds than the kills asked for); left to finish when `trigger` is 'none'.
 */
async function runChild(sim: Simulator, env: Record<string, string>, trigger: Trigger | 'none', k: number, share = Infinity): Promise<Round> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: { ...process.env, RUNWARE_API_KEY: API_KEY, SIM_URL: sim.url, TOTAL: String(TOTAL), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let saved = 0
  let recovered = 0
  let stderr = ''
  const start = { wire: sim.stats.tasksReceived, polls: sim.stats.polls }
  let fired: Round['fired'] = 'none'
  const kill = (why: Trigger | 'backstop'): void => {
    if (fired !== 'none') return
    fired = why
    child.kill('SIGKILL')
  }
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.startsWith('saved ')) saved += 1
      const found = /^recovered (\d+)/.exec(line)
      if (found !== null) recovered = Number(found[1])
      if (trigger === 'saved' && saved >= k) kill('saved')
      if (saved >= share) kill('backstop')
    }
  })
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  // The simulator is in this process: its counters say when the child's tasks and polls arrive.
  const watch = setInterval(() => {
    if (trigger === 'wire' && sim.stats.tasksReceived - start.wire >= k) kill('wire')
    if (trigger === 'poll' && sim.stats.polls - start.polls >= k) kill('poll')
  }, 1)
  const timer = trigger === 'timer' ? setTimeout(() => kill('timer'), k) : undefined
  const exit = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  clearInterval(watch)
  clearTimeout(timer)
  if (trigger === 'none' && exit !== 0) throw new Error(`the last child failed (exit ${String(exit)}): ${stderr}`)
  return { fired: exit === 0 ? 'none' : fired, exit, recovered }
}

async function crashTest(mode: 'journal' | 'keys', seed: number): Promise<void> {
  const sim = await harness.simulator({ apiKeys: [API_KEY], latencyMs: { min: 30, max: 300 }, asyncDurationMs: 400, seed })
  const dir = mkdtempSync(join(tmpdir(), `runware-crash-${mode}-`))
  const results = join(dir, 'results.jsonl')
  const env = { RESULTS: results, JOURNAL: join(dir, 'tasks.journal'), MODE: mode, MAX_IN_FLIGHT: '10' }
  const random = mulberry32(seed)
  const triggers: Trigger[] = ['timer', 'wire', 'poll', 'saved']
  const rounds: Round[] = []
  for (let kills = 0; kills < KILLS;) {
    // Each round may save at most its share of what is left, so the kills asked for all land before the work ends.
    const left =
      TOTAL -
      new Set(
        readSaved(results)
          .filter((line) => line.error === undefined)
          .map((line) => line.index),
      ).size
    const share = Math.max(1, Math.floor(left / (KILLS - kills + 1)))
    const trigger = triggers[Math.floor(random() * triggers.length)] ?? 'timer'
    const k = trigger === 'timer' ? 300 + Math.floor(random() * 1_200) : 1 + Math.floor(random() * Math.min(trigger === 'wire' ? 40 : 10, share))
    const round = await runChild(sim, env, trigger, k, share)
    rounds.push(round)
    if (round.exit === 0) break
    kills += 1
  }
  if (rounds.at(-1)?.exit !== 0) rounds.push(await runChild(sim, env, 'none', 0))

  const saved = readSaved(results)
  const byIndex = new Map<number, Saved[]>()
  for (const line of saved) byIndex.set(line.index, [...(byIndex.get(line.index) ?? []), line])
  const kills = rounds.filter((round) => round.exit !== 0)
  const figures = {
    mode,
    kills: kills.length,
    byTrigger: Object.fromEntries([...triggers, 'backstop'].map((t) => [t, kills.filter((round) => round.fired === t).length])),
    restarts: rounds.length - 1,
    savedByRecover: saved.filter((line) => line.via === 'recover').length,
    executions: sim.stats.executions.size,
    executedTwice: sim.stats.executedTwice().length,
    saved: saved.length,
    savedAgain: saved.length - byIndex.size,
  }
  console.log(`crash ${JSON.stringify(figures)}`)
  expect(kills.length).toBeGreaterThanOrEqual(KILLS)
  expect(saved.filter((line) => line.error !== undefined)).toEqual([])
  expect([...byIndex.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: TOTAL }, (_, i) => i))
  // A result delivered again (a kill between the save and the entry's close) is the same task with the same items.
  for (const lines of byIndex.values()) {
    for (const line of lines) expect({ taskUUID: line.taskUUID, ids: line.ids }).toEqual({ taskUUID: lines[0]?.taskUUID, ids: lines[0]?.ids })
  }
  expect(sim.stats.executedTwice()).toEqual([])
  expect(sim.stats.executions.size).toBe(TOTAL)
  // Every saved taskUUID is one the server executed.
  for (const lines of byIndex.values()) expect(sim.stats.executions.get(lines[0]?.taskUUID ?? '')).toBe(1)
}

describe('killed at random moments and restarted', () => {
  it('with a file journal (no caller ids, meta set): 300 executed once each, every result saved', { timeout: 240_000 }, async () => {
    await crashTest('journal', 23)
  })

  it('with idempotency keys and no journal: 300 executed once each, every result saved', { timeout: 240_000 }, async () => {
    await crashTest('keys', 41)
  })
})
