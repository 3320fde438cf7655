/** `run` driven in-process (no child): stdin input, and signals at exact moments with results held back. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { disposition } from '../../lib/cli/disposition.js'
import { runBatch } from '../../lib/cli/run.js'
import type { RunConfig } from '../../lib/cli/run-args.js'
import { RunwareError } from '../../lib/errors.js'
import { startSimulator, type Simulator } from '../../lib/simulator/index.js'
import { fakeIo } from './fake-io.js'
import { } from './process.js'
import { until } from '../helpers/wait.js'

const task = (i: number): string => JSON.stringify({ taskType: 'imageInference', model: 'runware:101@1', positivePrompt: `batch ${i}`, width: 512, height: 512, numberResults: 2 })
const INPUT = [task(1), 'oops', task(2), '', task(3), task(4), task(5), task(6)].join('\n')

describe('runBatch in-process', () => {
  let dir: string
  let sim: Simulator
  let config: RunConfig

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runware-batch-'))
    sim = await startSimulator({ latencyMs: 5 })
    config = { input: '-', output: join(dir, 'out.jsonl'), concurrency: 3, url: sim.url, timeoutMs: undefined, drainMs: 0, connectTimeoutMs: 5_000, apiKey: 'batch-key' }
  })

  afterEach(async () => {
    await sim.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const records = (): { line: number; status: string; results?: unknown[] }[] =>
    readFileSync(config.output ?? '', 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { line: number; status: string })

  it('reads stdin; SIGINT with no drain leaves tasks in flight unrecorded (exit 130), and a rerun collects them without running them twice', async () => {
    sim.holdResults()
    const io = fakeIo({}, INPUT)
    const running = runBatch(config, io)
    await until(() => sim.stats.tasksReceived === 3, 'three tasks on the server', { timeoutMs: 20_000, everyMs: 20 })
    io.signal('SIGINT')
    expect(await running).toBe(130)
    expect(io.err()).toContain('3 in flight left unrecorded')
    // Only the bad line (line 2) was settled.
    expect(records().map((record) => record.line)).toEqual([2])

    sim.releaseResults()
    const again = fakeIo({}, INPUT)
    expect(await runBatch(config, again)).toBe(1)
    expect(records().map((record) => record.line).sort()).toEqual([1, 2, 3, 5, 6, 7, 8])
    expect(records().filter((record) => record.status === 'ok').every((record) => record.results?.length === 2)).toBe(true)
    expect(sim.stats.executedTwice()).toEqual([])
    expect(sim.stats.itemsProduced).toBe(12)
  })

  it('SIGTERM drains: tasks in flight that settle within --drain-ms are recorded (exit 143)', async () => {
    sim.holdResults()
    const io = fakeIo({}, INPUT)
    const running = runBatch({ ...config, drainMs: 10_000 }, io)
    await until(() => sim.stats.tasksReceived === 3, 'three tasks on the server', { timeoutMs: 20_000, everyMs: 20 })
    io.signal('SIGTERM')
    sim.releaseResults()
    expect(await running).toBe(143)
    expect(io.err()).not.toContain('left unrecorded')
    expect(records().map((record) => record.line).sort()).toEqual([1, 2, 3, 5])
    // Lines 6-8 were never sent.
    expect(sim.stats.tasksReceived).toBe(3)
  })

  it('a timed-out task is not recorded (its fate is unknown): exit 1, and a rerun collects it under the same id', async () => {
    sim.holdResults()
    const io = fakeIo({}, INPUT)
    expect(await runBatch({ ...config, timeoutMs: 200 }, io)).toBe(1)
    expect(io.err()).toContain('6 task(s) timed out and are not recorded')
    expect(records().map((record) => record.line)).toEqual([2])
    sim.releaseResults()
    expect(await runBatch(config, fakeIo({}, INPUT))).toBe(1)
    expect(records().map((record) => record.line).sort()).toEqual([1, 2, 3, 5, 6, 7, 8])
    // Every task ran once, in the first run; the rerun only collected (conflictTaskUUID → getResponse).
    expect(sim.stats.executions.size).toBe(6)
    expect(sim.stats.executedTwice()).toEqual([])
    expect(sim.stats.itemsProduced).toBe(12)
  })

  it('a second signal stops the drain at once', async () => {
    sim.holdResults()
    const io = fakeIo({}, INPUT)
    const running = runBatch({ ...config, drainMs: 60_000 }, io)
    await until(() => sim.stats.tasksReceived === 3, 'three tasks on the server', { timeoutMs: 20_000, everyMs: 20 })
    io.signal('SIGINT')
    io.signal('SIGINT')
    expect(await running).toBe(130)
    expect(io.err()).toContain('3 in flight left unrecorded')
  })
})

describe('what a rejected task leaves in the output', () => {
  const error = (code: string, parameter?: string): RunwareError => new RunwareError({ code, message: `${code} happened`, parameter })

  it('a task-level code is recorded, with its parameter', () => {
    expect(disposition(error('invalidWidth', 'width'), false, 3, 'id', 'imageInference')).toEqual({
      kind: 'record',
      record: { line: 3, taskUUID: 'id', taskType: 'imageInference', status: 'error', code: 'invalidWidth', message: 'invalidWidth happened', parameter: 'width' },
    })
  })

  it('a timeout or our own close says nothing about the task: left for the restart', () => {
    for (const code of ['taskTimeout', 'connectionClosed', 'aborted']) expect(disposition(error(code), false, 1, 'id', 't')).toEqual({ kind: 'leave' })
  })

  it('an account error is recorded and stops the batch; a failed connection stops it and records nothing', () => {
    expect(disposition(error('insufficientCredits'), false, 1, 'id', 't')).toMatchObject({ kind: 'record', stop: 'the account refused work: insufficientCredits: insufficientCredits happened' })
    expect(disposition(error('invalidApiKey'), true, 1, 'id', 't')).toEqual({ kind: 'fail', reason: 'the connection failed: invalidApiKey: invalidApiKey happened' })
  })
})
