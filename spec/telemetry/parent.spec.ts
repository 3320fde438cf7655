/**
 * The parent of a task's span: the context active when run() is called (even when run() is called
 * from a listener and the task is admitted after it returns), or `parentContext` when given; a
 * parentContext that is not a Context is refused before anything is sent.
 */
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import type { RunOptions } from '../../lib/api/options.js'
import { API_KEY, useHarness } from '../helpers/harness.js'
import { IMAGE } from '../fixtures/tasks.js'
import { failure } from '../helpers/wait.js'
import { providers } from '../helpers/otel.js'
import { useContextManager } from '../helpers/otel-context.js'

const harness = useHarness()
useContextManager()

async function traced() {
  const sim = await harness.simulator({ apiKeys: [API_KEY] })
  const { exporter, tracerProvider } = providers()
  const client = harness.client(sim.url, { telemetry: { tracerProvider } })
  const app = providers().tracerProvider.getTracer('app')
  const parentOf = (taskUUID: string) => exporter.getFinishedSpans().find((span) => span.attributes['runware.task.uuid'] === taskUUID)?.parentSpanContext
  return { sim, client, app, parentOf }
}

describe("a task span's parent", () => {
  it('the context active when run() is called; parentContext when given', async () => {
    const { client, app, parentOf } = await traced()
    const outer = app.startSpan('outer')
    const given = app.startSpan('given')
    const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()]
    await context.with(trace.setSpan(ROOT_CONTEXT, outer), () =>
      Promise.all([client.run({ ...IMAGE, taskUUID: a }), client.run({ ...IMAGE, taskUUID: b }, { parentContext: trace.setSpan(ROOT_CONTEXT, given) })]),
    )
    await client.run({ ...IMAGE, taskUUID: c })
    expect(parentOf(a)?.spanId).toBe(outer.spanContext().spanId)
    expect(parentOf(b)?.spanId).toBe(given.spanContext().spanId)
    expect(parentOf(c)).toBeUndefined()
  })

  it('run() from a listener, inside its own span: admitted after the listener returns, still that span’s child', async () => {
    const { client, app, parentOf } = await traced()
    const inner = app.startSpan('in the listener')
    const second = crypto.randomUUID()
    let started: Promise<unknown> | undefined
    client.on('task', (event) => {
      if (event.type !== 'settled' || started !== undefined) return
      started = context.with(trace.setSpan(ROOT_CONTEXT, inner), () => client.run({ ...IMAGE, taskUUID: second }))
    })
    await client.run(IMAGE)
    await started
    expect(parentOf(second)?.spanId).toBe(inner.spanContext().spanId)
  })

  it('a parentContext that is not a Context is refused (invalidTask), nothing sent', async () => {
    const { sim, client } = await traced()
    const error = await failure(client.run(IMAGE, { parentContext: { traceparent: 'x' } } as unknown as RunOptions))
    expect(error.code).toBe('invalidTask')
    expect(error.message).toMatch(/options.parentContext must be an OpenTelemetry Context/)
    expect(sim.stats.tasksReceived).toBe(0)
  })
})
