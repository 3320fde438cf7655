import { randomUUID } from 'node:crypto'
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { stableTaskUUID } from '../../lib/cli/jsonl.js'
import { startSimulator, type Simulator } from '../../lib/simulator/index.js'
import { exitOf, spawnCli, useCli } from './process.js'
import { until } from '../helpers/wait.js'

const API_KEY = 'run-spec-key-7f3a9c1e5b'

interface InputLine {
  number: number
  text: string
  kind: 'task' | 'bad' | 'blank'
  /** Its own taskUUID, if the line has one; else its record carries the one derived from the run. */
  own: string | undefined
  expected: number
}

interface Record_ {
  run?: string
  line: number
  taskUUID: string
  taskType?: string
  status: 'ok' | 'error'
  results?: { taskUUID: string }[]
  code?: string
  message?: string
}

/**
 * ~200 lines: image and prompt tasks (a third with their own taskUUID), bad lines of every kind,
 * blank lines, a task the server refuses and one the client refuses.
 */
function makeInput(salt: string): InputLine[] {
  const lines: InputLine[] = []
  const add = (text: string, kind: InputLine['kind'], expected = 0, own?: string): void => {
    const number = lines.length + 1
    lines.push({ number, text, kind, own, expected })
  }
  for (let i = 0; i < 190; i++) {
    if (i % 37 === 5) add('{"taskType": "imageInference", "positivePrompt": ', 'bad')
    else if (i % 41 === 7) add(JSON.stringify({ model: 'runware:101@1', positivePrompt: 'no type' }), 'bad')
    else if (i === 50) add('[1, 2, 3]', 'bad')
    else if (i % 29 === 3) add(i % 2 === 0 ? '' : '   ', 'blank')
    else if (i === 60) add(JSON.stringify({ taskType: 'imageInference', model: 'runware:101@1', positivePrompt: 'bad width', width: 500, height: 512 }), 'task')
    else if (i === 70) add(JSON.stringify({ taskType: 'ping' }), 'task')
    else if (i % 5 === 0) add(JSON.stringify({ taskType: 'promptEnhance', prompt: `idea ${i} ${salt}`, promptVersions: 2 }), 'task', 2)
    else if (i % 3 === 0) {
      const own = randomUUID()
      add(
        JSON.stringify({ taskType: 'imageInference', taskUUID: own, model: 'runware:101@1', positivePrompt: `own id ${i} ${salt}`, width: 512, height: 512 }),
        'task',
        1,
        own,
      )
    } else {
      const count = 1 + (i % 3)
      add(
        JSON.stringify({
          taskType: 'imageInference',
          model: 'runware:101@1',
          positivePrompt: `prompt ${i} ${salt}`,
          width: 512,
          height: 512,
          numberResults: count,
        }),
        'task',
        count,
      )
    }
  }
  return lines
}

function readRecords(path: string): Record_[] {
  if (!existsSync(path)) return []
  const text = readFileSync(path, 'utf8')
  // The first line names the run; the rest are task records.
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record_)
    .filter((record) => 'status' in record)
}

/** Complete lines only: what a reader of the file can rely on while the batch runs. */
function countRecords(path: string): number {
  if (!existsSync(path)) return 0
  return readFileSync(path, 'utf8').split('\n').length - 2
}

describe('runware-socket run', () => {
  useCli()
  let dir: string
  let sim: Simulator
  let input: InputLine[]
  let inputPath: string
  let outputPath: string

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runware-cli-'))
    // Latency so the batch takes a few seconds at concurrency 4; some permanent failures to record
    // (task-level codes only: an account-level one stops the batch, see below).
    sim = await startSimulator({
      latencyMs: { min: 20, max: 120 },
      apiKeys: [API_KEY],
      seed: 11,
      chaos: { failRate: 0.05, permanentShare: 1, permanentCodes: ['contentPolicyViolation', 'invalidPositivePrompt'] },
    })
    input = makeInput(randomUUID())
    inputPath = join(dir, 'tasks.jsonl')
    outputPath = join(dir, 'results.jsonl')
    writeFileSync(inputPath, `${input.map((line) => line.text).join('\n')}\n`)
  })

  afterEach(async () => {
    await sim.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const run = (...extra: string[]) => spawnCli(['run', inputPath, '-o', outputPath, '--url', sim.url, ...extra], { RUNWARE_API_KEY: API_KEY })

  /** Every non-blank line recorded exactly once, under the right id, and nothing paid twice. */
  function checkComplete(): Record_[] {
    const records = readRecords(outputPath)
    // One run: every record carries its id, and the derived task ids come from it.
    const runs = new Set(records.map((record) => record.run))
    expect(runs.size).toBe(1)
    const runId = [...runs][0] ?? ''
    expect(runId).toMatch(/^[0-9a-f-]{36}$/)
    const byLine = new Map<number, Record_[]>()
    for (const record of records) byLine.set(record.line, [...(byLine.get(record.line) ?? []), record])
    const expectedLines = input.filter((line) => line.kind !== 'blank')
    expect([...byLine.keys()].sort((a, b) => a - b)).toEqual(expectedLines.map((line) => line.number))
    for (const line of expectedLines) {
      const [record, ...more] = byLine.get(line.number) ?? []
      expect(more, `line ${line.number} recorded twice`).toEqual([])
      expect(record?.taskUUID).toBe(line.own ?? stableTaskUUID(line.text, line.number, runId))
      if (line.kind === 'bad') {
        expect(record).toMatchObject({ status: 'error', code: 'invalidTask' })
        expect(record?.message).toContain(`line ${line.number} `)
      } else if (record?.status === 'ok') {
        expect(record.results).toHaveLength(line.expected)
      } else {
        expect(record?.code).toMatch(/^(contentPolicyViolation|insufficientCredits|invalidPositivePrompt|invalidWidth|invalidTask)$/)
      }
    }
    expect(byLine.get(61)?.[0]).toMatchObject({ status: 'error', code: 'invalidWidth' })
    expect(byLine.get(71)?.[0]).toMatchObject({ status: 'error', code: 'invalidTask' })
    expect(sim.stats.executedTwice()).toEqual([])
    const recordedItems = records.reduce((sum, record) => sum + (record.results?.length ?? 0), 0)
    // Every item the server produced (and would bill) is in the file, once.
    expect(sim.stats.itemsProduced).toBe(recordedItems)
    return records
  }

  it('completes a batch, records bad lines with their numbers, and skips everything on a rerun', async () => {
    const first = run('--concurrency', '16')
    expect((await exitOf(first)).code, first.stderr()).toBe(1)
    const records = checkComplete()
    expect(records.some((record) => record.status === 'ok')).toBe(true)
    expect(first.stderr()).toMatch(/run: done: \d+ task\(s\) recorded/)
    const again = run()
    expect((await exitOf(again)).code).toBe(1)
    expect(again.stderr()).toMatch(/resuming: \d+ task\(s\) already recorded/)
    expect(readRecords(outputPath)).toEqual(records)
    for (const cli of [first, again]) expect(cli.stdout() + cli.stderr()).not.toContain(API_KEY)
  }, 60_000)

  it('SIGINT: stops taking lines, records what is in flight, exits 130; a restart completes the batch', async () => {
    const first = run('--concurrency', '4')
    await until(() => countRecords(outputPath) >= 30, '30 records', { timeoutMs: 20_000, everyMs: 20 })
    first.child.kill('SIGINT')
    const exit = await exitOf(first)
    expect(exit.code, first.stderr()).toBe(130)
    expect(first.stderr()).toMatch(/interrupted by SIGINT/)
    // Consistent at once: complete lines, no line twice, tasks in flight settled and recorded.
    const partial = readRecords(outputPath)
    expect(readFileSync(outputPath, 'utf8').endsWith('\n')).toBe(true)
    expect(new Set(partial.map((record) => record.line)).size).toBe(partial.length)
    expect(partial.length).toBeLessThan(input.filter((line) => line.kind !== 'blank').length)
    expect(first.stderr()).not.toMatch(/left unrecorded/)

    const second = run('--concurrency', '16')
    expect((await exitOf(second)).code, second.stderr()).toBe(1)
    expect(second.stderr()).toContain(`resuming: ${partial.length} task(s) already recorded`)
    checkComplete()
    for (const cli of [first, second]) expect(cli.stdout() + cli.stderr()).not.toContain(API_KEY)
  }, 60_000)

  it('SIGKILL mid-write: the partial last record is cut off, tasks in flight are collected under the same ids, nothing runs twice', async () => {
    const first = run('--concurrency', '4')
    await until(() => countRecords(outputPath) >= 30, '30 records', { timeoutMs: 20_000, everyMs: 20 })
    first.child.kill('SIGKILL')
    expect((await exitOf(first)).signal).toBe('SIGKILL')
    const before = readRecords(outputPath)
    // What a kill in the middle of a write leaves behind.
    appendFileSync(outputPath, '{"line":999,"taskUUID":"0000')
    const pollsBefore = sim.stats.polls

    const second = run('--concurrency', '16')
    expect((await exitOf(second)).code, second.stderr()).toBe(1)
    expect(second.stderr()).toContain('cut off a partial last record')
    expect(second.stderr()).toContain(`resuming: ${before.length} task(s) already recorded`)
    checkComplete()
    expect(readRecords(outputPath).slice(0, before.length)).toEqual(before)
    // The tasks on the wire when the first run died were sent again under the same ids: the server
    // answered conflictTaskUUID and the client collected them with getResponse (the only polls here).
    expect(pollsBefore).toBe(0)
    expect(sim.stats.polls).toBeGreaterThan(0)
  }, 60_000)

  it('an account error (insufficientCredits) is recorded and stops the batch (exit 3); the restart goes on after it', async () => {
    const victim = input.find((line) => line.number > 60 && line.kind === 'task' && line.text.includes('prompt '))!
    const prompt = (JSON.parse(victim.text) as { positivePrompt: string }).positivePrompt
    sim.failTasks({ match: (task) => task.positivePrompt === prompt, count: 1 }, 'insufficientCredits')
    const first = run('--concurrency', '4')
    expect((await exitOf(first)).code, first.stderr()).toBe(3)
    expect(first.stderr()).toContain('stopped: the account refused work: insufficientCredits')
    const partial = readRecords(outputPath)
    expect(partial.find((record) => record.line === victim.number)).toMatchObject({ status: 'error', code: 'insufficientCredits' })
    expect(partial.length).toBeLessThan(input.filter((line) => line.kind !== 'blank').length)
    const second = run('--concurrency', '16')
    expect((await exitOf(second)).code, second.stderr()).toBe(1)
    checkComplete()
  }, 60_000)

  it('a URL nobody answers: exit 3 once --connect-timeout-ms is up, nothing recorded', async () => {
    const closed = await startSimulator()
    const url = closed.url
    await closed.close()
    const cli = spawnCli(['run', inputPath, '-o', outputPath, '--url', url, '--connect-timeout-ms', '800'], { RUNWARE_API_KEY: API_KEY })
    expect((await exitOf(cli)).code).toBe(3)
    expect(cli.stderr()).toMatch(/stopped: cannot connect within 800 ms \((connecting|reconnecting), \d+ attempts\); check --url and the network/)
    expect(readRecords(outputPath)).toEqual([])
  })

  it('writes records to stdout without -o', async () => {
    writeFileSync(
      inputPath,
      `${input
        .slice(0, 12)
        .map((line) => line.text)
        .join('\n')}\n`,
    )
    const cli = spawnCli(['run', inputPath, '--url', sim.url], { RUNWARE_API_KEY: API_KEY })
    await exitOf(cli)
    const records = cli
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record_)
    expect(records.map((record) => record.line).sort((a, b) => a - b)).toEqual(
      input
        .slice(0, 12)
        .filter((line) => line.kind !== 'blank')
        .map((line) => line.number),
    )
    expect(cli.stderr()).toMatch(/run: done:/)
  })

  it('a refused API key stops before the first line (exit 3), records nothing, and never prints the key', async () => {
    const wrongKey = 'wrong-key-b81d2f9e44'
    const cli = spawnCli(['run', inputPath, '-o', outputPath, '--url', sim.url], { RUNWARE_API_KEY: wrongKey })
    expect((await exitOf(cli)).code).toBe(3)
    expect(cli.stderr()).toContain('stopped: cannot connect: invalidApiKey')
    expect(cli.stdout() + cli.stderr()).not.toContain(wrongKey)
    expect(readRecords(outputPath)).toEqual([])
    expect(sim.stats.tasksReceived).toBe(0)
  })

  it('without RUNWARE_API_KEY: exit 2 with a clear message, nothing sent', async () => {
    const cli = spawnCli(['run', inputPath, '-o', outputPath, '--url', sim.url])
    expect((await exitOf(cli)).code).toBe(2)
    expect(cli.stderr()).toContain('RUNWARE_API_KEY is not set')
    expect(existsSync(outputPath)).toBe(false)
    expect(sim.stats.connections).toBe(0)
  })

  it('a missing input file is a usage error (exit 2)', async () => {
    const cli = spawnCli(['run', join(dir, 'nope.jsonl'), '--url', sim.url], { RUNWARE_API_KEY: API_KEY })
    expect((await exitOf(cli)).code).toBe(2)
    expect(cli.stderr()).toContain('no such file')
  })
})
