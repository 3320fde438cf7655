/** Vitest global setup for the queue specs: one redis-server for the whole run, its URL provided to every spec. */
import type { TestProject } from 'vitest/node'
import { startRedis } from './redis-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedis()
  project.provide('redisUrl', redis.url)
  return () => redis.stop()
}
