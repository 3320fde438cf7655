import { describe, expect, it } from 'vitest'
import { demoPassed, formatDemoSummary, verdict, type DemoReport } from '../../lib/cli/demo-report.js'
import { useColor } from '../../lib/cli/io.js'
import { makeTasks } from '../../lib/cli/mix.js'
import { formatBar, formatLine } from '../../lib/cli/progress.js'
import { seededRandom } from '../../lib/cli/random.js'
import { formatCounts, formatDuration, formatRate, percentile, table } from '../../lib/cli/summary.js'
import { ANSI } from './process.js'

describe('percentile (nearest rank)', () => {
  it('picks the value at rank ceil(p/100 × n)', () => {
    const values = [50, 10, 40, 20, 30]
    expect(percentile(values, 50)).toBe(30)
    expect(percentile(values, 99)).toBe(50)
    expect(percentile(values, 100)).toBe(50)
    expect(percentile(values, 0)).toBe(10)
    expect(percentile(values, 20)).toBe(10)
    expect(percentile(values, 21)).toBe(20)
    expect(values).toEqual([50, 10, 40, 20, 30])
  })

  it('p99 of 1..1000 is 990; nothing for no values; p outside [0, 100] throws', () => {
    expect(
      percentile(
        Array.from({ length: 1000 }, (_, i) => i + 1),
        99,
      ),
    ).toBe(990)
    expect(percentile([], 50)).toBeUndefined()
    expect(() => percentile([1], 101)).toThrow(RangeError)
  })
})

describe('formatting', () => {
  it('durations, rates and counts', () => {
    expect(formatDuration(12.4)).toBe('12 ms')
    expect(formatDuration(1_450)).toBe('1.4 s')
    expect(formatDuration(125_000)).toBe('2 min 5 s')
    expect(formatDuration(undefined)).toBe('–')
    expect(formatRate(50, 2_000)).toBe('25.0/s')
    expect(formatRate(5_000, 2_000)).toBe('2500/s')
    expect(
      formatCounts(
        new Map([
          ['b', 1],
          ['a', 3],
          ['z', 0],
        ]),
      ),
    ).toBe('a 3, b 1')
    expect(formatCounts({})).toBe('none')
  })

  it('table: labels padded, values right-aligned, notes after', () => {
    expect(
      table([
        ['completed', 977, 'note'],
        ['lost', 0],
      ]),
    ).toBe('  completed  977   note\n  lost         0')
  })

  it('progress: plain lines and an uncoloured bar carry no escape codes', () => {
    const snapshot = { done: 5, total: 10, totalKnown: false, ok: 4, failed: 1, note: '2 reconnects' }
    expect(formatLine('run', snapshot, 2_000)).toBe('run: 5/10+ settled, 4 ok, 1 failed, 2.5/s, 2.0 s, 2 reconnects')
    expect(formatBar('run', { ...snapshot, totalKnown: true }, 2_000, false)).toBe(
      'run [████████████░░░░░░░░░░░░] 5/10  ok 4  failed 1  2.5/s  2.0 s  2 reconnects',
    )
    expect(formatBar('run', snapshot, 2_000, false)).not.toMatch(ANSI)
    expect(formatBar('run', snapshot, 2_000, true)).toMatch(ANSI)
  })

  it('colour only on a terminal, and never with NO_COLOR or TERM=dumb', () => {
    const tty = { write: () => true, isTTY: true }
    expect(useColor(tty, {})).toBe(true)
    expect(useColor(tty, { NO_COLOR: '1' })).toBe(false)
    expect(useColor(tty, { NO_COLOR: '' })).toBe(true)
    expect(useColor(tty, { TERM: 'dumb' })).toBe(false)
    expect(useColor({ write: () => true, isTTY: false }, {})).toBe(false)
  })
})

describe('demo accounting', () => {
  const spec = { task: { taskType: 'imageInference' }, taskType: 'imageInference', expected: 2 }
  const injected = new Map([['wire-2', 'contentPolicyViolation']])
  const lookup = (id: string): string | undefined => injected.get(id)

  it('completed only with every expected item', () => {
    expect(verdict({ spec, wireUUIDs: ['a'], outcome: { kind: 'resolved', items: 2 } }, lookup)).toBe('completed')
    expect(verdict({ spec, wireUUIDs: ['a'], outcome: { kind: 'resolved', items: 1 } }, lookup)).toBe('lost')
    expect(verdict({ spec, wireUUIDs: ['a'] }, lookup)).toBe('lost')
  })

  it('a rejection counts only with the code injected for one of its wire ids (retries included)', () => {
    expect(verdict({ spec, wireUUIDs: ['a', 'wire-2'], outcome: { kind: 'rejected', code: 'contentPolicyViolation', message: '' } }, lookup)).toBe('rejected')
    expect(verdict({ spec, wireUUIDs: ['a', 'wire-2'], outcome: { kind: 'rejected', code: 'taskTimeout', message: '' } }, lookup)).toBe('lost')
    expect(verdict({ spec, wireUUIDs: ['a'], outcome: { kind: 'rejected', code: 'contentPolicyViolation', message: '' } }, lookup)).toBe('lost')
  })

  it('the summary says FAILED when anything is lost, ran twice or items differ', () => {
    const faults = {
      drops: 1,
      silences: 0,
      failures: 1,
      authFailures: 0,
      rateLimits: 0,
      duplicates: 0,
      malformed: 0,
      delays: 0,
      lostAcks: 0,
      lostAnswers: 0,
      resets: 0,
      streamCuts: 0,
      statuses: 0,
      byCode: {},
    }
    const report: DemoReport = {
      tasks: 2,
      completed: 1,
      rejectedByCode: new Map([['insufficientCredits', 1]]),
      lost: [],
      executedTwice: 0,
      resolvedItems: 3,
      itemsProduced: 3,
      retriedTasks: 0,
      retries: 0,
      retryCodes: new Map(),
      resubmits: 0,
      reconnects: 1,
      reconnectReasons: new Map([['socketClosed', 1]]),
      resumes: 1,
      simulatorResumes: 1,
      protocolErrors: 0,
      p50: 12,
      p99: 40,
      wallMs: 100,
      faults,
    }
    expect(demoPassed(report)).toBe(true)
    const text = formatDemoSummary(report, false)
    expect(text).toMatch(/^ {2}lost\s+0$/m)
    expect(text).toMatch(/^ {2}rejected by code +1 {3}insufficientCredits 1 \(injected by the simulator\)$/m)
    expect(text).toContain('OK: nothing lost')
    expect(text).not.toMatch(ANSI)
    expect(demoPassed({ ...report, executedTwice: 1 })).toBe(false)
    expect(demoPassed({ ...report, itemsProduced: 4 })).toBe(false)
    expect(formatDemoSummary({ ...report, itemsProduced: 4 }, false)).toContain('FAILED')
  })

  it('the task mix is seeded, mixed, and asks for what it expects', () => {
    const a = makeTasks(seededRandom(3), 500)
    expect(makeTasks(seededRandom(3), 500)).toEqual(a)
    expect(new Set(a.map((task) => task.taskType))).toEqual(
      new Set(['imageInference', 'promptEnhance', 'caption', 'removeBackground', 'upscale', 'videoInference']),
    )
    for (const { task, expected } of a) {
      const asked = task.taskType === 'promptEnhance' ? task.promptVersions : (task.numberResults ?? 1)
      expect(asked).toBe(expected)
    }
    expect(a.filter((task) => task.taskType === 'videoInference').every((task) => task.task.deliveryMethod === 'async')).toBe(true)
  })
})
