/**
 * `stream(task)`: an async iterator over one task's result items, built on `run` alone. Items are
 * pushed by `onResult`; the loop waits on a promise the next item (or the settlement) resolves.
 * Leaving the loop early (break, return, a throw in the consumer) aborts the task. A streamed
 * text's pieces (`onDelta`) come through the same queue, before its result item.
 */
import type { RunwareError } from './support/errors.js'
import type { RunOptions } from './api/options.js'
import type { ResultItem, Task } from './protocol/protocol.js'
import type { TextDelta } from './api/result-types.js'

type Run<R extends ResultItem> = (task: Task, options: RunOptions<R>) => Promise<R[]>

export async function* streamOf<R extends ResultItem>(
  run: Run<R>,
  task: Task,
  options: Omit<RunOptions<R>, 'onResult' | 'onDelta'>,
): AsyncGenerator<R | TextDelta, void, undefined> {
  const controller = new AbortController()
  const outer = options.signal
  const forward = (): void => controller.abort(outer?.reason)
  if (outer?.aborted === true) forward()
  else outer?.addEventListener('abort', forward, { once: true })
  const arrived: (R | TextDelta)[] = []
  // Written by the callbacks below, read by the loop: one object so both see the same fields.
  const sink: { settled: boolean; failure: RunwareError | undefined; wake: (() => void) | undefined } = { settled: false, failure: undefined, wake: undefined }
  const push = (chunk: R | TextDelta): void => {
    arrived.push(chunk)
    sink.wake?.()
  }
  run(task, {
    ...options,
    signal: controller.signal,
    onResult: push,
    onDelta: push,
  }).then(
    () => {
      sink.settled = true
      sink.wake?.()
    },
    (error: unknown) => {
      sink.settled = true
      sink.failure = error as RunwareError
      sink.wake?.()
    },
  )
  try {
    for (;;) {
      const item = arrived.shift()
      if (item !== undefined) {
        yield item
        continue
      }
      if (sink.settled) {
        if (sink.failure !== undefined) throw sink.failure
        return
      }
      await new Promise<void>((resolve) => (sink.wake = resolve))
      sink.wake = undefined
    }
  } finally {
    outer?.removeEventListener('abort', forward)
    if (!sink.settled) controller.abort()
  }
}
