/**
 * The journal through the client: an entry durable before any byte of its task is sent, closed
 * only after the caller's continuation ran, kept open when the task's fate is unknown; a held
 * journal, a file that is not one, a store that fails; recover() collecting what a previous client
 * left; drain().
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Journal, JournalContents, JournalEntry, RecoveredTask } from '../../lib/api/journal.js'
import { fileJournal } from '../../lib/durable/file-journal.js'
import type { Simulator } from '../../lib/simulator/index.js'
import { RunwareError } from '../../lib/support/errors.js'
import { ASYNC_VIDEO, IMAGE } from '../fixtures/tasks.js'
import { record, useHarness } from '../helpers/harness.js'
import { afterTick, failure, until } from '../helpers/wait.js'

const harness = useHarness()

function journalPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'runware-journal-')), 'tasks.journal')
}

/** The open entries a journal file holds now (as a later process would read them). */
function openIds(path: string): string[] {
  const open = new Set<string>()
  for (const line of readFileSync(path, 'utf8').split('\n').slice(1)) {
    if (line === '') continue
    const parsed = JSON.parse(line) as { open?: { taskUUID: string }; close?: string[] }
    if (parsed.open !== undefined) open.add(parsed.open.taskUUID)
    for (const id of parsed.close ?? []) open.delete(id)
  }
  return [...open]
}

/** A client on the journal at `path` sends one task, the server holds its result, the client closes: its entry stays open. */
async function leaveOnWire(sim: Simulator, path: string, meta: string): Promise<void> {
  const client = harness.client(sim.url, { journal: fileJournal(path) })
  sim.holdResults()
  const pending = failure(client.run({ ...IMAGE }, { meta }))
  await until(() => sim.stats.tasksReceived === 1, 'the task on the wire')
  await client.close()
  await pending
}

/** Everything `recover()` yields, in order. */
async function recoverAll(client: { recover(): AsyncIterable<RecoveredTask> }): Promise<RecoveredTask[]> {
  const recovered: RecoveredTask[] = []
  for await (const task of client.recover()) recovered.push(task)
  return recovered
}

/** A store whose appends wait until released: what the client does meanwhile is visible. */
function heldJournal(): Journal & { release_(): void; appended: JournalEntry[][]; closed: string[] } {
  let letGo: () => void = () => undefined
  const held = new Promise<void>((resolve) => (letGo = resolve))
  const appended: JournalEntry[][] = []
  const closed: string[] = []
  return {
    name: 'held',
    appended,
    closed,
    release_: () => letGo(),
    open: (): Promise<JournalContents> => Promise.resolve({ entries: [] }),
    append: async (entries) => {
      appended.push([...entries])
      await held
    },
    close: (ids) => {
      closed.push(...ids)
      return Promise.resolve()
    },
    release: () => Promise.resolve(),
  }
}

describe('the journal before the wire', () => {
  it('sends nothing until the entry is durable, then the task runs; one append for a tick of tasks', async () => {
    const sim = await harness.simulator()
    const journal = heldJournal()
    const client = harness.client(sim.url, { journal })
    await client.connect()
    const runs = Array.from({ length: 20 }, (_, i) => client.run({ ...IMAGE, positivePrompt: `t${i}` }, { meta: { index: i } }))
    await until(() => journal.appended.length === 1, 'the entries appended')
    // Held: the socket is ready, yet none has gone out (a flush would have put them in flight at once).
    await afterTick()
    expect(client.inFlight).toBe(0)
    expect(client.pending).toBe(20)
    expect(sim.stats.tasksReceived).toBe(0)
    expect(journal.appended[0]).toHaveLength(20)
    expect(journal.appended[0]?.map((entry) => JSON.parse(entry.meta ?? 'null') as unknown)).toEqual(Array.from({ length: 20 }, (_, i) => ({ index: i })))
    journal.release_()
    const results = await Promise.all(runs)
    expect(results).toHaveLength(20)
    expect(sim.stats.tasksReceived).toBe(20)
  })

  it('closes an entry only after the caller’s continuation of the settled promise has run', async () => {
    const sim = await harness.simulator()
    const journal = heldJournal()
    journal.release_()
    const client = harness.client(sim.url, { journal })
    const order: string[] = []
    const closeOf = journal.close.bind(journal)
    journal.close = (ids) => {
      order.push('close')
      return closeOf(ids)
    }
    await client.run({ ...IMAGE }).then(() => order.push('continuation'))
    await until(() => journal.closed.length === 1, 'the entry closed')
    expect(order).toEqual(['continuation', 'close'])
  })

  it('a store that fails rejects the tasks it could not keep with journalFailed, unsent; an error event says why', async () => {
    const sim = await harness.simulator()
    const journal: Journal = {
      name: 'full-disk',
      open: () => Promise.resolve({ entries: [] }),
      append: () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })),
      close: () => Promise.resolve(),
      release: () => Promise.resolve(),
    }
    const client = harness.client(sim.url, { journal })
    const errors = record(client, 'error')
    const error = await failure(client.run({ ...IMAGE }))
    expect(error).toMatchObject({ code: 'journalFailed', category: 'client', retryable: false })
    expect(error.message).toContain('ENOSPC')
    expect(sim.stats.tasksReceived).toBe(0)
    await until(() => errors.length === 1, 'the error event')
  })
})

describe('fileJournal through the client', () => {
  it('a resolved task’s entry is closed; one on the wire when the client closes stays open', async () => {
    const sim = await harness.simulator()
    const path = journalPath()
    const client = harness.client(sim.url, { journal: fileJournal(path) })
    await client.run({ ...IMAGE })
    sim.holdResults()
    const pending = failure(client.run({ ...IMAGE }))
    await until(() => sim.stats.tasksReceived === 2, 'the second task on the wire')
    await client.close()
    expect((await pending).code).toBe('connectionClosed')
    expect(openIds(path)).toHaveLength(1)
  })

  it('a second live client on the same file fails with journalLocked, at connect() and at run()', async () => {
    const sim = await harness.simulator()
    const path = journalPath()
    const first = harness.client(sim.url, { journal: fileJournal(path) })
    await first.connect()
    const second = harness.client(sim.url, { journal: fileJournal(path) })
    const error = await failure(second.connect())
    expect(error).toBeInstanceOf(RunwareError)
    expect(error.code).toBe('journalLocked')
    expect(error.message).toContain(`process ${process.pid}`)
    expect((await failure(second.run({ ...IMAGE }))).code).toBe('journalLocked')
    await first.close()
    // Let go: a third client takes it.
    const third = harness.client(sim.url, { journal: fileJournal(path) })
    await expect(third.connect()).resolves.toBeUndefined()
  })

  it('a file that is not a journal is journalInvalid, and left untouched', async () => {
    const sim = await harness.simulator()
    const path = journalPath()
    writeFileSync(path, 'name,price\nheron,3\n')
    const client = harness.client(sim.url, { journal: fileJournal(path) })
    const error = await failure(client.connect())
    expect(error.code).toBe('journalInvalid')
    expect(error.message).toContain('not a runware-socket journal')
    expect(readFileSync(path, 'utf8')).toBe('name,price\nheron,3\n')
  })
})

describe('recover()', () => {
  it('a recovered task the server never finishes times out after taskTimeoutMs, like any other', async () => {
    const sim = await harness.simulator()
    const path = journalPath()
    await leaveOnWire(sim, path, 'stuck')
    const next = harness.client(sim.url, { journal: fileJournal(path), taskTimeoutMs: 100 })
    const recovered = await recoverAll(next)
    expect(recovered).toHaveLength(1)
    expect(recovered[0]).toMatchObject({ meta: 'stuck', error: { code: 'taskTimeout' } })
  })

  it('collects what a closed client left on the wire, once, with its meta; the server ran it once', async () => {
    const sim = await harness.simulator({ asyncDurationMs: 100 })
    const path = journalPath()
    const first = harness.client(sim.url, { journal: fileJournal(path) })
    sim.holdResults()
    const sync = first.run({ ...IMAGE }, { meta: { order: 1 } }).catch((error: unknown) => error)
    const video = first.run({ ...ASYNC_VIDEO }, { meta: { order: 2 } }).catch((error: unknown) => error)
    await until(() => sim.stats.tasksReceived === 2, 'both on the wire')
    await first.close()
    await Promise.all([sync, video])
    sim.releaseResults()
    const second = harness.client(sim.url, { journal: fileJournal(path), poll: { initialDelayMs: 20, maxDelayMs: 50 } })
    const recovered = await recoverAll(second)
    expect(recovered.map((task) => task.meta).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([{ order: 1 }, { order: 2 }])
    for (const task of recovered) expect(task.items).toHaveLength(1)
    expect(sim.stats.executedTwice()).toEqual([])
    expect(sim.stats.executions.size).toBe(2)
    await until(() => openIds(path).length === 0, 'every entry closed')
    // A second call yields nothing: the entries were taken.
    const again = await recoverAll(second)
    expect(again).toEqual([])
  })
})

describe('drain()', () => {
  it('under load: new work is refused with draining, every pending task finishes, then the client closes', async () => {
    const sim = await harness.simulator({ latencyMs: { min: 20, max: 120 }, seed: 5 })
    const client = harness.client(sim.url, { journal: fileJournal(journalPath()) })
    const runs = Array.from({ length: 200 }, (_, i) => client.run({ ...IMAGE, positivePrompt: `d${i}` }))
    await until(() => sim.stats.tasksReceived > 0, 'work on the wire')
    const draining = client.drain({ timeoutMs: 10_000 })
    const refused = await failure(client.run({ ...IMAGE }))
    expect(refused).toMatchObject({ code: 'draining', category: 'client', retryable: false })
    expect((await failure(client.connect())).code).toBe('draining')
    expect(await draining).toEqual({ finished: 200, left: 0 })
    expect((await Promise.all(runs)).every((items) => items.length === 1)).toBe(true)
    expect(client.state).toBe('closed')
  })

  it('with nothing pending it closes at once', async () => {
    const sim = await harness.simulator()
    const client = harness.client(sim.url, { journal: fileJournal(journalPath()) })
    await client.run({ ...IMAGE })
    expect(await client.drain({ timeoutMs: 60_000 })).toEqual({ finished: 0, left: 0 })
    expect(client.state).toBe('closed')
  })

  it('past its bound: what is left rejects with connectionClosed, stays journaled, and the next client recovers it', async () => {
    const sim = await harness.simulator()
    const path = journalPath()
    const client = harness.client(sim.url, { journal: fileJournal(path) })
    await client.run({ ...IMAGE })
    sim.holdResults()
    const left = Array.from({ length: 3 }, (_, i) => failure(client.run({ ...IMAGE }, { meta: i })))
    await until(() => sim.stats.tasksReceived === 4, 'three on the wire')
    expect(await client.drain({ timeoutMs: 50 })).toEqual({ finished: 0, left: 3 })
    expect((await Promise.all(left)).map((error) => error.code)).toEqual(['connectionClosed', 'connectionClosed', 'connectionClosed'])
    expect(openIds(path)).toHaveLength(3)
    sim.releaseResults()
    const next = harness.client(sim.url, { journal: fileJournal(path) })
    const recovered = await recoverAll(next)
    expect(recovered.map((task) => task.meta).sort()).toEqual([0, 1, 2])
    expect(recovered.every((task) => task.items?.length === 1)).toBe(true)
    expect(sim.stats.executedTwice()).toEqual([])
    expect(sim.stats.executions.size).toBe(4)
  })
})

describe('a torn journal', () => {
  it('a last line cut by a power loss is dropped and reported once; the entries before it are recovered', async () => {
    const sim = await harness.simulator()
    const path = journalPath()
    await leaveOnWire(sim, path, 'kept')
    // Half an entry, as a write cut by the power going: never acknowledged, so never sent.
    const whole = readFileSync(path, 'utf8')
    writeFileSync(path, `${whole}{"open":{"taskUUID":"0b1c`)
    sim.releaseResults()
    const next = harness.client(sim.url, { journal: fileJournal(path) })
    const errors = record(next, 'error')
    const recovered = await recoverAll(next)
    expect(recovered.map((task) => [task.meta, task.items?.length])).toEqual([['kept', 1]])
    await until(() => errors.length > 0, 'the repair reported')
    expect(errors).toHaveLength(1)
    expect(errors[0]?.message).toMatch(/repaired: a torn last line \(\d+ bytes without an end\) was dropped/)
    expect(readFileSync(path, 'utf8').startsWith(whole)).toBe(true)
    expect(readFileSync(path, 'utf8')).not.toContain('"0b1c')
  })
})
