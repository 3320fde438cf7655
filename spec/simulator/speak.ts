/** Talking the wire protocol to the simulator in specs: a task's items, its refusal, a poll. */
import { expect } from 'vitest'
import type { DataItem } from '../../lib/protocol/protocol.js'
import { is, type Received, type TestClient } from '../helpers/test-client.js'

/** Sends a task and collects `expected` result items (throws on an error frame). */
export async function run(client: TestClient, task: Record<string, unknown> & { taskUUID: string }, expected = 1): Promise<DataItem[]> {
  client.send([task])
  const items: DataItem[] = []
  while (items.length < expected) {
    const frame = await client.next(is.task(task.taskUUID))
    if (frame.errors.length > 0) throw new Error(frame.text)
    items.push(...frame.data)
  }
  return items
}

/** Sends a task that must be refused; the one error item. */
export async function rejection(client: TestClient, task: Record<string, unknown> & { taskUUID: string }): Promise<Record<string, unknown>> {
  client.send([task])
  const frame = await client.next(is.task(task.taskUUID))
  expect(frame.body).toMatchObject({ data: [] })
  expect(frame.errors).toHaveLength(1)
  return frame.errors[0] as Record<string, unknown>
}

/** One getResponse for `taskUUID`: its answer frame (items, an empty list, or an error naming it). */
export function poll(client: TestClient, taskUUID: string): Promise<Received> {
  client.send([{ taskType: 'getResponse', taskUUID }])
  return client.next(
    (f) =>
      (f.data.length === 0 && f.errors.length === 0) ||
      f.errors.some((e) => e.taskUUID === taskUUID) ||
      f.data.some((i) => i.taskUUID === taskUUID && 'status' in i),
  )
}
