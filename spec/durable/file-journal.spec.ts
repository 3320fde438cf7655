/** fileJournal on its own: the format, one fdatasync per append, compaction, the lock, damage. */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { JournalEntry } from '../../lib/api/journal.js'
import { fileJournal } from '../../lib/durable/file-journal.js'
import { RunwareError } from '../../lib/support/errors.js'

function journalPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'runware-file-journal-')), 'tasks.journal')
}

function entry(index: number): JournalEntry {
  const taskUUID = randomUUID()
  return {
    taskUUID,
    task: JSON.stringify({ taskUUID, taskType: 'imageInference', positivePrompt: `p${index} — ü` }),
    meta: JSON.stringify({ index }),
    openedAt: 1,
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return error instanceof RunwareError ? error.code : `not a RunwareError: ${String(error)}`
  }
  return 'resolved'
}

describe('fileJournal', () => {
  it('keeps what is open across a reopen, one fdatasync per append, readable as JSON lines', async () => {
    const path = journalPath()
    const journal = fileJournal(path)
    expect(await journal.open()).toEqual({ entries: [], repaired: undefined })
    const entries = Array.from({ length: 10 }, (_, i) => entry(i))
    await journal.append(entries.slice(0, 5))
    await journal.append(entries.slice(5))
    const created = 2
    expect(journal.stats).toMatchObject({ appends: 2, entries: 10, syncs: created + 2 })
    await journal.close(entries.slice(0, 7).map((e) => e.taskUUID))
    await journal.release()
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines[0]).toMatchObject({ runwareSocketJournal: 1 })
    expect(lines[1]).toMatchObject({ open: { taskUUID: entries[0]?.taskUUID, task: { taskType: 'imageInference' }, meta: { index: 0 } } })
    const again = fileJournal(path)
    const { entries: open } = await again.open()
    expect(open.map((e) => e.taskUUID)).toEqual(entries.slice(7).map((e) => e.taskUUID))
    expect(open.map((e) => JSON.parse(e.task) as unknown)).toEqual(entries.slice(7).map((e) => JSON.parse(e.task) as unknown))
    await again.release()
  })

  it('compacts once closed entries far outnumber open ones; what is open survives it', async () => {
    const path = journalPath()
    const journal = fileJournal(path, { compactAfterLines: 50 })
    await journal.open()
    const kept = entry(-1)
    await journal.append([kept])
    for (let i = 0; i < 100; i++) {
      const e = entry(i)
      await journal.append([e])
      await journal.close([e.taskUUID])
    }
    expect(journal.stats.compactions).toBeGreaterThan(0)
    expect(readFileSync(path, 'utf8').trimEnd().split('\n').length).toBeLessThan(60)
    await journal.release()
    const again = fileJournal(path)
    expect((await again.open()).entries.map((e) => e.taskUUID)).toEqual([kept.taskUUID])
    await again.release()
  })

  it('one live holder: a second journal on the file is journalLocked until the first lets go', async () => {
    const path = journalPath()
    const first = fileJournal(path)
    await first.open()
    expect(existsSync(`${path}.lock`)).toBe(true)
    expect(await codeOf(fileJournal(path).open())).toBe('journalLocked')
    await first.release()
    expect(existsSync(`${path}.lock`)).toBe(false)
    const second = fileJournal(path)
    await second.open()
    await second.release()
  })

  it('a lock left by a dead process is taken over; one held on another host is respected', async () => {
    const path = journalPath()
    // A pid that is not running (pid_max is at most 2^22).
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 2 ** 22 + 7, hostname: (await import('node:os')).hostname(), token: 'dead', since: 'then' }))
    const journal = fileJournal(path)
    await journal.open()
    await journal.release()
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 1, hostname: 'elsewhere.example', token: 'far', since: 'then' }))
    const error = await fileJournal(path)
      .open()
      .catch((caught: unknown) => caught as RunwareError)
    expect(error).toMatchObject({ code: 'journalLocked' })
    expect((error as RunwareError).message).toContain('process 1 on elsewhere.example')
  })

  it('damage before the last line is journalInvalid naming the line; the file is left as it was', async () => {
    const path = journalPath()
    const journal = fileJournal(path)
    await journal.open()
    await journal.append([entry(1), entry(2)])
    await journal.release()
    const lines = readFileSync(path, 'utf8').split('\n')
    lines[1] = '{"open": 42}'
    writeFileSync(path, lines.join('\n'))
    const error = await fileJournal(path)
      .open()
      .catch((caught: unknown) => caught as RunwareError)
    expect(error).toMatchObject({ code: 'journalInvalid' })
    expect((error as RunwareError).message).toContain('line 2 is neither an open nor a close line')
    expect(readFileSync(path, 'utf8')).toBe(lines.join('\n'))
    // The lock was let go with the failure.
    expect(existsSync(`${path}.lock`)).toBe(false)
  })

  it('an append the disk takes only in part (a short write) fails and is cut back to whole lines; the next append goes on', async () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
    const child = join(root, 'spec/durable/children/size-limit-child.ts')
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child], {
      cwd: root,
      env: { ...process.env, JOURNAL: journalPath(), LIMIT: '4096' },
    })
    const seen = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>
    const whole = (open: number) => ({ ok: true, open, torn: null })
    expect(seen.small).toBe('resolved')
    expect(seen.afterSmall).toMatchObject(whole(3))
    // 100 entries are about 14 kB: the kernel writes up to the 4,096-byte limit and says how much.
    expect(seen.crossing).toMatch(/a short write \(\d+ of \d+ bytes\)/)
    expect(seen.afterCrossing).toEqual({ ...whole(3), bytes: (seen.afterSmall as { bytes: number }).bytes })
    expect(seen.again).toBe('resolved')
    expect(seen.afterAgain).toMatchObject(whole(5))
  })
})
