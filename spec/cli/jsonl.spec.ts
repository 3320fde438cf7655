import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseTaskLine, readLines, stableTaskUUID, type Line } from '../../lib/cli/jsonl.js'
import { emptyRecorded, isRecorded, openRecordFile, readRecorded } from '../../lib/cli/records.js'

async function lines(chunks: (string | Buffer)[]): Promise<Line[]> {
  const out: Line[] = []
  for await (const line of readLines(Readable.from(chunks))) out.push(line)
  return out
}

describe('readLines', () => {
  it('splits across chunk boundaries, strips CR and a BOM, numbers blank lines, tracks byte offsets', async () => {
    const result = await lines(['\uFEFFa', 'b\r\n\n', 'é', 'x\nlast'])
    expect(result.map((line) => line.text)).toEqual(['ab', '', 'éx', 'last'])
    expect(result.map((line) => line.number)).toEqual([1, 2, 3, 4])
    expect(result.map((line) => line.terminated)).toEqual([true, true, true, false])
    // Offsets are bytes: BOM 3 + "ab\r\n" 4 = 7, +1 blank = 8, "éx\n" = 4 more.
    expect(result.map((line) => line.end)).toEqual([7, 8, 12, 16])
  })

  it('keeps a multi-byte character split between chunks intact', async () => {
    const bytes = Buffer.from('ünïcode\n', 'utf8')
    const result = await lines([bytes.subarray(0, 1), bytes.subarray(1, 4), bytes.subarray(4)])
    expect(result).toEqual([{ number: 1, text: 'ünïcode', end: bytes.length, terminated: true }])
  })

  it('an empty input has no lines', async () => {
    expect(await lines([])).toEqual([])
    expect(await lines([''])).toEqual([])
  })
})

describe('stableTaskUUID', () => {
  it('is a UUID v4 (version and variant nibbles set) and the same for the same line', () => {
    const id = stableTaskUUID('{"taskType":"imageInference"}', 7)
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(stableTaskUUID('{"taskType":"imageInference"}', 7)).toBe(id)
  })

  it('differs when the text or the line number differs (identical lines stay separate tasks)', () => {
    const ids = new Set([stableTaskUUID('a', 1), stableTaskUUID('a', 2), stableTaskUUID('b', 1), stableTaskUUID('a ', 1)])
    expect(ids.size).toBe(4)
  })
})

describe('parseTaskLine', () => {
  it('skips blank lines', () => {
    expect(parseTaskLine('', 1)).toEqual({ kind: 'blank' })
    expect(parseTaskLine(' \t ', 2)).toEqual({ kind: 'blank' })
  })

  it('gives a task without taskUUID the stable id, and keeps a given one', () => {
    const text = '{"taskType":"caption","inputImage":"x"}'
    expect(parseTaskLine(text, 3)).toEqual({
      kind: 'task',
      taskType: 'caption',
      taskUUID: stableTaskUUID(text, 3),
      task: { taskType: 'caption', inputImage: 'x', taskUUID: stableTaskUUID(text, 3) },
    })
    const own = '6f1c2b0e-4a5d-4c3b-9e8f-0a1b2c3d4e5f'
    expect(parseTaskLine(`{"taskType":"caption","taskUUID":"${own}"}`, 4)).toMatchObject({ kind: 'task', taskUUID: own, task: { taskUUID: own } })
  })

  it('a malformed taskUUID stays on the task (the client refuses it) and names the record', () => {
    expect(parseTaskLine('{"taskType":"caption","taskUUID":"abc"}', 5)).toMatchObject({ kind: 'task', taskUUID: 'abc', task: { taskUUID: 'abc' } })
    const numeric = '{"taskType":"caption","taskUUID":42}'
    expect(parseTaskLine(numeric, 6)).toMatchObject({ kind: 'task', taskUUID: stableTaskUUID(numeric, 6), task: { taskUUID: 42 } })
  })

  it('bad lines: not JSON, not an object, no taskType; each message names the line', () => {
    expect(parseTaskLine('{"taskType":', 7)).toMatchObject({
      kind: 'bad',
      taskUUID: stableTaskUUID('{"taskType":', 7),
      message: expect.stringMatching(/^line 7 is not JSON: /) as unknown,
    })
    expect(parseTaskLine('[1]', 8)).toMatchObject({ kind: 'bad', message: 'line 8 is not a JSON object (got an array)' })
    expect(parseTaskLine('null', 9)).toMatchObject({ kind: 'bad', message: 'line 9 is not a JSON object (got null)' })
    expect(parseTaskLine('{"model":"m"}', 10)).toMatchObject({ kind: 'bad', message: 'line 10 has no taskType' })
    expect(parseTaskLine('{"taskType":""}', 11)).toMatchObject({ kind: 'bad', message: 'line 11 has a taskType that is not a non-empty string (got a string)' })
  })
})

describe('reading an output file back', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runware-jsonl-'))
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  const ok = (line: number, taskUUID: string): string => JSON.stringify({ line, taskUUID, taskType: 'caption', status: 'ok', results: [] })
  const failed = (line: number, taskUUID: string): string => JSON.stringify({ line, taskUUID, status: 'error', code: 'invalidTask', message: 'm' })

  it('a missing file is empty', async () => {
    expect(await readRecorded(join(dir, 'none.jsonl'))).toEqual(emptyRecorded())
  })

  it('collects ids and counts, tolerates and measures a truncated last line', async () => {
    const path = join(dir, 'out.jsonl')
    const complete = `${ok(1, 'a')}\n${failed(2, 'b')}\n${ok(3, 'c')}\n`
    writeFileSync(path, `${complete}{"line":4,"taskUUID":"d","sta`)
    const recorded = await readRecorded(path)
    expect([...recorded.taskUUIDs]).toEqual(['a', 'b', 'c'])
    expect(recorded).toMatchObject({ ok: 2, failed: 1, partialTail: true, validBytes: Buffer.byteLength(complete), unreadable: [] })
    expect(isRecorded(recorded, 99, 'b')).toBe(true)
    expect(isRecorded(recorded, 4, 'd')).toBe(false)
  })

  it('keeps count of lines that are not records, counts a repeated record once, accepts line-only records', async () => {
    const path = join(dir, 'out.jsonl')
    writeFileSync(path, `${ok(1, 'a')}\nnot a record\n${ok(1, 'a')}\n\n{"line":5,"status":"error","code":"x","message":"y"}\n{"status":"maybe"}\n`)
    const recorded = await readRecorded(path)
    expect(recorded).toMatchObject({ ok: 1, failed: 1, partialTail: false, unreadable: [2, 6] })
    expect(isRecorded(recorded, 5, 'unrelated')).toBe(true)
  })

  it('appending cuts the partial tail off first, then writes whole lines', async () => {
    const path = join(dir, 'out.jsonl')
    writeFileSync(path, `${ok(1, 'a')}\n{"line":2,"ta`)
    const recorded = await readRecorded(path)
    const sink = openRecordFile(path, recorded.validBytes)
    sink.write({ line: 2, taskUUID: 'b', taskType: 'caption', status: 'ok', results: [{ text: 'ü' }] })
    sink.close()
    expect(readFileSync(path, 'utf8')).toBe(`${ok(1, 'a')}\n{"line":2,"taskUUID":"b","taskType":"caption","status":"ok","results":[{"text":"ü"}]}\n`)
    expect(() => sink.write({ line: 3, taskUUID: 'c', status: 'error', code: 'x', message: 'y' })).toThrow('closed')
  })
})
