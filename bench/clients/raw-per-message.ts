/**
 * A raw client that sends one frame per task (its waiter in the Map, raw-socket.ts): no
 * batching. What most hand-written clients do, and about four times weaker than batching
 * (raw-batched.ts is the floor).
 */
import { randomUUID } from 'node:crypto'
import { RawClient } from './raw-socket.js'
import type { BenchTask } from './types.js'

export class RawPerMessageClient extends RawClient {
  readonly name = 'rawPerMessage'

  run(task: BenchTask): Promise<unknown[]> {
    if (!this.raw.open) return Promise.reject(new Error('not connected'))
    const taskUUID = randomUUID()
    this.raw.send(JSON.stringify([{ ...task, taskUUID }]))
    return this.raw.expect(taskUUID, task.numberResults)
  }
}
