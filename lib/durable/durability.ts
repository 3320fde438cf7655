/**
 * What the client does across process death, in one place beside it: the journal's keeper (when
 * there is a journal), `recover()` and `drain()`. The client's public methods delegate here.
 */
import type { DrainOptions, DrainResult, Journal, RecoveredTask } from '../api/journal.js'
import { libraryError, type RunwareError } from '../support/errors.js'
import { prepareTask } from '../tasks/admit.js'
import type { TaskEngine } from '../tasks/engine.js'
import { JournalKeeper, type KeeperHooks } from './keeper.js'
import { recoverEntries } from './recover.js'

export class Durability {
  readonly #keeper: JournalKeeper | undefined
  #draining = false

  constructor(
    journal: Journal | undefined,
    private readonly engine: TaskEngine,
    private readonly hooks: KeeperHooks & {
      /** Enters library work from a public call (the monitor): deferred if caller code is running. */
      enter(work: () => void): void
      /** Opens the socket if nothing has yet (recovered tasks are asked about on it). */
      connect(): void
    },
  ) {
    if (journal === undefined) return
    this.#keeper = new JournalKeeper(journal, engine, hooks)
    engine.useJournal(this.#keeper)
  }

  /** drain() was called: nothing new is admitted. */
  get draining(): boolean {
    return this.#draining
  }

  drainingError(taskUUID?: string, taskType?: string): RunwareError {
    return libraryError('draining', 'the client is draining: it admits no new task', { taskUUID, taskType })
  }

  /** Opens the journal, if there is one (connect() does this first, so a held journal fails early). */
  get journaled(): boolean {
    return this.#keeper !== undefined
  }

  async open(): Promise<void> {
    await this.#keeper?.open()
  }

  recover(): AsyncGenerator<RecoveredTask, void, undefined> {
    const keeper = this.#keeper
    const engine = this.engine
    return recoverEntries({
      take: () => (keeper === undefined ? Promise.resolve([]) : keeper.takeLeftover()),
      prepare: (task, entry) =>
        prepareTask(task, (id) => engine.ledger.has(id), { taskUUID: entry.taskUUID, meta: entry.meta, idempotencyKey: entry.idempotencyKey }),
      adopt: (prepared, resolve, reject) => {
        let cancel: ((error: RunwareError) => void) | undefined
        this.hooks.enter(() => {
          cancel = engine.adopt(prepared, resolve, reject)
          this.hooks.connect()
        })
        return () =>
          this.hooks.enter(() =>
            cancel?.(libraryError('aborted', 'recover() was left before this task was yielded: it stays in the journal', { taskUUID: prepared.taskUUID })),
          )
      },
      close: (taskUUID) => keeper?.closeEntry(taskUUID),
    })
  }

  /**
   * Admits nothing new, waits for what is pending (or `timeoutMs`), then closes the client with
   * `close`: what is left rejects with `connectionClosed` and, with a journal, stays in it.
   */
  async drain(options: DrainOptions | undefined, pending: () => number, close: () => Promise<void>): Promise<DrainResult> {
    const timeoutMs = options?.timeoutMs ?? 30_000
    if (!(typeof timeoutMs === 'number' && timeoutMs >= 0)) throw new RangeError(`drain({ timeoutMs }) must be a non-negative number, got ${String(timeoutMs)}`)
    this.#draining = true
    const before = pending()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.engine.whenIdle(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.min(timeoutMs, 2 ** 31 - 1))
      }),
    ])
    clearTimeout(timer)
    const left = pending()
    await close()
    return { finished: Math.max(0, before - left), left }
  }

  /** After close(): the keeper writes what waits and lets the journal go. */
  release(): Promise<void> {
    return this.#keeper?.release() ?? Promise.resolve()
  }
}
