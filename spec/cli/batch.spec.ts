/** `run` driven in-process (no child): stdin input, and signals at exact moments with results held back. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { disposition } from '../../lib/cli/disposition.js'
import { main } from '../../lib/cli/main.js'
import { runBatch } from '../../lib/cli/run.js'
import type { RunConfig } from '../../lib/cli/run-args.js'
import { RunwareError } from '../../lib/support/errors.js'
import { startSimulator, type Simulator } from '../../lib/simulator/index.js'
import { fakeIo } from './fake-io.js'
import { until } from '../helpers/wait.js'

const task = (i: number): string =>
  JSON.stringify({ taskType: 'imageInference', model: 'runware:101@1', positivePrompt: `batch ${i}`, width: 512, height: 512, numberResults: 2 })
const INPUT = [task(1), 'oops', task(2), '', task(3), task(4), task(5), task(6)].join('\n')

describe('runBatch in-process', () => {
  let dir: string
  let sim: Simulator
  let config: RunConfig

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runware-batch-'))
    sim = await startSimulator({ latencyMs: 5 })
    config = {
      input: '-',
      output: join(dir, 'out.jsonl'),
      concurrency: 3,
      url: sim.url,
      timeoutMs: undefined,
      drainMs: 0,
      connectTimeoutMs: 5_000,
      allowCleartext: false,
      apiKey: 'batch-key-0123456789',
    }
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
      // The first line names the run; the rest are task records.
      .filter((record) => 'status' in record)

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
    expect(
      records()
        .map((record) => record.line)
        .sort(),
    ).toEqual([1, 2, 3, 5, 6, 7, 8])
    expect(
      records()
        .filter((record) => record.status === 'ok')
        .every((record) => record.results?.length === 2),
    ).toBe(true)
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
    expect(
      records()
        .map((record) => record.line)
        .sort(),
    ).toEqual([1, 2, 3, 5])
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
    expect(
      records()
        .map((record) => record.line)
        .sort(),
    ).toEqual([1, 2, 3, 5, 6, 7, 8])
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

describe('run ids', () => {
  let dir: string
  let sim: Simulator
  let input: string

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runware-runid-'))
    sim = await startSimulator({ latencyMs: 5 })
    input = join(dir, 'tasks.jsonl')
    writeFileSync(input, `${[task(1), task(2), task(3)].join('\n')}\n`)
  })

  afterEach(async () => {
    await sim.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const configFor = (output: string): RunConfig => ({
    input,
    output,
    concurrency: 3,
    url: sim.url,
    timeoutMs: undefined,
    drainMs: 0,
    connectTimeoutMs: 5_000,
    allowCleartext: false,
    apiKey: 'batch-key-0123456789',
  })
  const lines = (output: string): Record<string, unknown>[] =>
    readFileSync(output, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)

  it('a new run of the same file into a new output gets new ids and its own results', async () => {
    const first = join(dir, 'first.jsonl')
    const second = join(dir, 'second.jsonl')
    expect(await runBatch(configFor(first), fakeIo())).toBe(0)
    expect(await runBatch(configFor(second), fakeIo())).toBe(0)
    const [runA, ...a] = lines(first)
    const [runB, ...b] = lines(second)
    expect(runA?.run).not.toBe(runB?.run)
    const ids = (records: Record<string, unknown>[]): unknown[] => records.map((record) => record.taskUUID)
    expect(ids(a).filter((id) => ids(b).includes(id))).toEqual([])
    // Six executions (three per run), none twice: the second run did not collect the first's results.
    expect(sim.stats.executions.size).toBe(6)
    expect(sim.stats.executedTwice()).toEqual([])
    expect(sim.stats.itemsProduced).toBe(12)
  })

  it('a run killed before anything was recorded restarts under the same ids: nothing runs twice', async () => {
    const output = join(dir, 'out.jsonl')
    sim.holdResults()
    const io = fakeIo()
    const running = runBatch(configFor(output), io)
    await until(() => sim.stats.tasksReceived === 3, 'three tasks on the server', { timeoutMs: 20_000, everyMs: 20 })
    io.signal('SIGINT')
    expect(await running).toBe(130)
    // Only the run line: no task settled.
    expect(lines(output)).toEqual([{ run: expect.any(String) as unknown, started: expect.any(String) as unknown }])
    sim.releaseResults()
    expect(await runBatch(configFor(output), fakeIo())).toBe(0)
    expect(sim.stats.executions.size).toBe(3)
    expect(sim.stats.executedTwice()).toEqual([])
  })

  it('an output whose directory is missing stops before anything runs: exit 3, and it says why', async () => {
    const io = fakeIo({ RUNWARE_API_KEY: 'batch-key-0123456789' })
    expect(await main(['run', input, '-o', join(dir, 'nowhere', 'out.jsonl'), '--url', sim.url], io)).toBe(3)
    expect(io.err()).toContain('its directory does not exist')
    expect(sim.stats.tasksReceived).toBe(0)
  })

  it('an output that cannot be opened for writing (a directory) stops before anything runs: exit 3, and it says why', async () => {
    const io = fakeIo({ RUNWARE_API_KEY: 'batch-key-0123456789' })
    expect(await main(['run', input, '-o', dir, '--url', sim.url], io)).toBe(3)
    expect(io.err()).toContain('it is a directory')
    expect(sim.stats.tasksReceived).toBe(0)
  })

  it("the bar knows the file's total from the start (not the lines read so far)", async () => {
    const io = fakeIo()
    const tty = { ...io, stderr: { write: (text: string) => io.stderr.write(text), isTTY: true } }
    expect(await runBatch(configFor(join(dir, 'bar.jsonl')), tty)).toBe(0)
    const bars = io
      .err()
      .split('\r')
      .filter((text) => text.includes('run ['))
    expect(bars[0]).toContain(' 0/3 ')
    expect(bars.at(-1)).toContain(' 3/3 ')
  })
})

describe('what a rejected task leaves in the output', () => {
  const error = (code: string, parameter?: string): RunwareError => new RunwareError({ code, message: `${code} happened`, parameter })

  it('a task-level code is recorded, with its parameter', () => {
    expect(disposition(error('invalidWidth', 'width'), false, 3, 'id', 'imageInference')).toEqual({
      kind: 'record',
      record: {
        line: 3,
        taskUUID: 'id',
        taskType: 'imageInference',
        status: 'error',
        code: 'invalidWidth',
        message: 'invalidWidth happened',
        parameter: 'width',
      },
    })
  })

  it('a timeout or our own close says nothing about the task: left for the restart', () => {
    for (const code of ['taskTimeout', 'connectionClosed', 'aborted']) expect(disposition(error(code), false, 1, 'id', 't')).toEqual({ kind: 'leave' })
  })

  it('an account error is recorded and stops the batch; a failed connection stops it and records nothing', () => {
    expect(disposition(error('insufficientCredits'), false, 1, 'id', 't')).toMatchObject({
      kind: 'record',
      stop: 'the account refused work: insufficientCredits: insufficientCredits happened',
    })
    expect(disposition(error('invalidApiKey'), true, 1, 'id', 't')).toEqual({
      kind: 'fail',
      reason: 'the connection failed: invalidApiKey: invalidApiKey happened',
    })
  })
})
