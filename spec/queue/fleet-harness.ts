/** What every fleet spec opens: Redis from the run's global setup, queues and workers closed after each test. */
import { afterEach, inject } from 'vitest'

export const redisUrl = inject('redisUrl')
export const connection = { url: redisUrl }

/** Closes whatever a test registers, last opened first (workers before the queues they use). */
export function useClosing(): <T extends { close(): Promise<void> }>(thing: T) => T {
  const opened: { close(): Promise<void> }[] = []
  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) await thing.close()
  })
  return (thing) => {
    opened.push(thing)
    return thing
  }
}

let queues = 0
/** A queue name of its own per test (and per process): nothing one test leaves behind reaches another. */
export function freshQueueName(prefix: string): string {
  return `${prefix}-${process.pid}-${++queues}`
}
