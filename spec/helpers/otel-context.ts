/** The context manager NodeSDK would register, for specs of span parents (kept apart from otel.ts, which benches load). */
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { afterAll, beforeAll } from 'vitest'

/** An active context for the file's specs (as NodeSDK registers one): context.with() and startActiveSpan() work. */
export function useContextManager(): void {
  const manager = new AsyncLocalStorageContextManager()
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable())
  })
  afterAll(() => {
    manager.disable()
    context.disable()
  })
}
