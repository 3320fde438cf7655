/**
 * The floor: the least a correct client must do, done well. Each `run` puts its task in a pending
 * array (and its waiter in the Map, raw-socket.ts), and the tasks submitted before the next check
 * phase (setImmediate) leave in one frame, one JSON.stringify per frame.
 */
import { randomUUID } from 'node:crypto'
import { RawClient } from './raw-socket.js'
import type { BenchTask } from './types.js'

export class RawBatchedClient extends RawClient {
  readonly name = 'rawBatched'
  #outgoing: (BenchTask & { taskUUID: string })[] = []
  #flushing = false

  run(task: BenchTask): Promise<unknown[]> {
    if (!this.raw.open) return Promise.reject(new Error('not connected'))
    const taskUUID = randomUUID()
    this.#outgoing.push({ ...task, taskUUID })
    if (!this.#flushing) {
      this.#flushing = true
      setImmediate(this.#flush)
    }
    return this.raw.expect(taskUUID, task.numberResults)
  }

  readonly #flush = (): void => {
    this.#flushing = false
    const batch = this.#outgoing
    this.#outgoing = []
    this.raw.send(JSON.stringify(batch))
  }
}
