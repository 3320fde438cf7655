/**
 * OpenTelemetry, with the SDK's in-memory span exporter and a metric reader (real SDK parts, real
 * sockets to the simulator): one CLIENT span per task with its attributes, a failed task's status
 * and code, a retried task's events, counts after a dropped socket, `telemetry: false` and the
 * global providers, a tracer that throws.
 */
import { readFileSync } from 'node:fs'
import { metrics, trace } from '@opentelemetry/api'
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics'
import { afterEach, describe, expect, it } from 'vitest'
import { INSTRUMENTATION_VERSION } from '../../lib/telemetry/names.js'
import { untyped } from '../../lib/api/task-types.js'
import { API_KEY, record, useHarness } from '../helpers/harness.js'
import { ASYNC_VIDEO, fastRecovery, IMAGE } from '../fixtures/tasks.js'
import { eventually, failure, until } from '../helpers/wait.js'
import { points, providers } from '../helpers/otel.js'

const harness = useHarness()

const sum = (found: DataPoint<unknown>[]): number => found.reduce((total, point) => total + (point.value as number), 0)

afterEach(() => {
  trace.disable()
  metrics.disable()
})

describe('spans and metrics per task', () => {
  it('one CLIENT span per task, named by operation and model, with its attributes; the duration recorded once; counts back to 0', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const { exporter, reader, tracerProvider, meterProvider } = providers()
    const client = harness.client(sim.url, { telemetry: { tracerProvider, meterProvider } })
    const taskUUID = crypto.randomUUID()
    await client.run({ ...IMAGE, taskUUID })
    await client.run({ taskType: 'promptEnhance', prompt: 'a heron', promptMaxLength: 64 })
    const spans = exporter.getFinishedSpans()
    expect(spans.map((span) => span.name)).toEqual(['generate_content runware:101@1', 'text_completion promptEnhance'])
    const [image] = spans
    expect(image?.kind).toBe(2)
    expect(image?.attributes).toEqual({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.request.model': 'runware:101@1',
      'runware.task.type': 'imageInference',
      'runware.task.uuid': taskUUID,
      'runware.task.attempts': 1,
    })
    expect(image?.status.code).toBe(0)
    const durations = (await points(reader, 'gen_ai.client.operation.duration')) as DataPoint<Histogram>[]
    expect(durations.map((point) => point.value.count)).toEqual([1, 1])
    expect(durations[0]?.attributes).toEqual({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.request.model': 'runware:101@1',
      'runware.task.type': 'imageInference',
    })
    expect(sum(await points(reader, 'runware.client.tasks.in_flight'))).toBe(0)
    expect(sum(await points(reader, 'runware.client.tasks.queued'))).toBe(0)
  })

  it('each type and model keeps its own attributes, past the 1,024 kinds the client remembers and again after', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const { exporter, reader, tracerProvider, meterProvider } = providers()
    const client = harness.client(sim.url, { telemetry: { tracerProvider, meterProvider } })
    const models = Array.from({ length: 1_030 }, (_, i) => `kinds:${i + 1}@1`)
    for (const model of [...models, 'kinds:1@1']) await client.run({ ...IMAGE, model })
    await client.run({ taskType: 'promptEnhance', prompt: 'a heron', promptMaxLength: 64 })
    const spans = exporter.getFinishedSpans()
    expect(spans).toHaveLength(1_032)
    for (const span of spans) expect(span.name).toBe([span.attributes['gen_ai.operation.name'], span.attributes['gen_ai.request.model']].join(' '))
    expect(spans.at(-2)?.name).toBe('generate_content kinds:1@1')
    expect(spans.at(-1)?.attributes['runware.task.type']).toBe('promptEnhance')
    const durations = (await points(reader, 'gen_ai.client.operation.duration')) as DataPoint<Histogram>[]
    const byModel = new Map(durations.map((point) => [point.attributes['gen_ai.request.model'], point.value.count]))
    expect(byModel.size).toBe(1_031)
    expect(byModel.get('kinds:1@1')).toBe(2)
    expect(
      models.every((model) =>
        durations.some((point) => point.attributes['gen_ai.request.model'] === model && point.attributes['runware.task.type'] === 'imageInference'),
      ),
    ).toBe(true)
  })

  it('a failed task: status ERROR, error.type the code, the errors counter by code and category', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const { exporter, reader, tracerProvider, meterProvider } = providers()
    const client = harness.client(sim.url, { telemetry: { tracerProvider, meterProvider } })
    sim.failNext(1, 'insufficientCredits')
    expect((await failure(client.run(IMAGE))).code).toBe('insufficientCredits')
    const [span] = exporter.getFinishedSpans()
    expect(span?.status).toMatchObject({ code: 2 })
    expect(span?.attributes['error.type']).toBe('insufficientCredits')
    const errors = await points(reader, 'runware.client.errors')
    expect(errors.map((point) => [point.attributes, point.value])).toEqual([
      [{ 'error.type': 'insufficientCredits', 'runware.error.category': 'quota', 'gen_ai.request.model': 'runware:101@1' }, 1],
    ])
    const [duration] = (await points(reader, 'gen_ai.client.operation.duration')) as DataPoint<Histogram>[]
    expect(duration?.attributes['error.type']).toBe('insufficientCredits')
  })

  it('a retried task: a retry event with its code, attempts 2', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const { exporter, tracerProvider } = providers()
    const client = harness.client(sim.url, { telemetry: { tracerProvider }, retry: { initialDelayMs: 5, maxDelayMs: 5 } })
    sim.failNext(1, 'timeoutProvider')
    await client.run(IMAGE)
    const [span] = exporter.getFinishedSpans()
    expect(span?.events.map((event) => [event.name, event.attributes?.['runware.error.code']])).toEqual([['retry', 'timeoutProvider']])
    expect(span?.attributes['runware.task.attempts']).toBe(2)
  })

  it('a dropped socket: a reconcile event on the task in flight, one reconnect, one session resumed; getResponse polls counted', async () => {
    const sim = await harness.simulator()
    const { exporter, reader, tracerProvider, meterProvider } = providers()
    const client = harness.client(sim.url, { ...fastRecovery(3), telemetry: { tracerProvider, meterProvider }, poll: { initialDelayMs: 20 } })
    await client.connect()
    sim.holdResults()
    const sync = client.run(IMAGE)
    const polled = client.run(untyped({ ...ASYNC_VIDEO }))
    await until(() => sim.stats.executions.size === 2, 'both tasks run')
    sim.dropAll()
    sim.releaseResults()
    await Promise.all([sync, polled])
    const spans = exporter.getFinishedSpans()
    expect(spans.find((span) => span.attributes['runware.task.type'] === 'imageInference')?.events.map((event) => event.name)).toEqual(['reconcile'])
    expect(sum(await points(reader, 'runware.client.reconnects'))).toBe(1)
    expect(sum(await points(reader, 'runware.client.session.resumes'))).toBe(1)
    expect(sum(await points(reader, 'runware.client.polls'))).toBeGreaterThanOrEqual(1)
    expect(sum(await points(reader, 'runware.client.tasks.in_flight'))).toBe(0)
  })
})

describe('the task counts', () => {
  it('queued and in flight as they stand when collected; two clients on one meter are summed; a closed client counts nothing', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const { reader, meterProvider } = providers()
    const one = harness.client(sim.url, { telemetry: { meterProvider }, maxInFlight: 1 })
    const two = harness.client(sim.url, { telemetry: { meterProvider } })
    await Promise.all([one.connect(), two.connect()])
    sim.holdResults()
    const runs = [one.run(IMAGE), one.run(IMAGE), one.run(IMAGE), two.run(IMAGE), two.run(IMAGE)]
    await until(() => sim.stats.executions.size === 3, 'three tasks on the wire')
    expect(sum(await points(reader, 'runware.client.tasks.in_flight'))).toBe(3)
    expect(sum(await points(reader, 'runware.client.tasks.queued'))).toBe(2)
    const closedOnes = Promise.allSettled(runs.slice(0, 3))
    await one.close()
    await closedOnes
    expect(sum(await points(reader, 'runware.client.tasks.in_flight'))).toBe(2)
    expect(sum(await points(reader, 'runware.client.tasks.queued'))).toBe(0)
    sim.releaseResults()
    await Promise.all(runs.slice(3))
    expect(sum(await points(reader, 'runware.client.tasks.in_flight'))).toBe(0)
  })
})

describe('the socket', () => {
  it('records each heartbeat pong’s round trip (runware.client.pong.duration, seconds)', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const { reader, meterProvider } = providers()
    const client = harness.client(sim.url, { telemetry: { meterProvider }, heartbeat: { intervalMs: 20, timeoutMs: 2_000 } })
    await client.connect()
    const pongs = async (): Promise<DataPoint<Histogram>[]> => (await points(reader, 'runware.client.pong.duration')) as DataPoint<Histogram>[]
    await eventually(async () => ((await pongs())[0]?.value.count ?? 0) >= 2, 'two pongs recorded')
    const [recorded] = await pongs()
    expect(recorded?.value.min).toBeGreaterThanOrEqual(0)
    // A round trip on loopback, in seconds (a value in milliseconds would read as minutes).
    expect(recorded?.value.max).toBeLessThan(2)
  })
})

describe('which providers', () => {
  it('by default the global ones; telemetry: false records nothing', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const { exporter, reader, tracerProvider, meterProvider } = providers()
    trace.setGlobalTracerProvider(tracerProvider)
    metrics.setGlobalMeterProvider(meterProvider)
    await harness.client(sim.url, { telemetry: false }).run(IMAGE)
    expect(exporter.getFinishedSpans()).toEqual([])
    expect(await points(reader, 'gen_ai.client.operation.duration')).toEqual([])
    await harness.client(sim.url).run(IMAGE)
    expect(exporter.getFinishedSpans()).toHaveLength(1)
    expect(await points(reader, 'gen_ai.client.operation.duration')).toHaveLength(1)
  })

  it('the API with no SDK registered when the client is made: off, nothing per task (register the SDK first)', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const client = harness.client(sim.url)
    const { exporter, tracerProvider } = providers()
    trace.setGlobalTracerProvider(tracerProvider)
    await client.run(IMAGE)
    expect(exporter.getFinishedSpans()).toEqual([])
  })

  it('a tracer that throws is reported (callbackError), and the task completes', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const tracerProvider = {
      getTracer: () => ({
        startSpan: (): never => {
          throw new Error('exporter down')
        },
      }),
    }
    const client = harness.client(sim.url, { telemetry: { tracerProvider } })
    const errors = record(client, 'error')
    expect(await client.run(IMAGE)).toHaveLength(1)
    expect(errors.map((error) => error.code)).toEqual(['callbackError'])
  })

  it('refuses a provider that is not one', () => {
    expect(() => harness.client('ws://127.0.0.1:1', { telemetry: { tracerProvider: {} as never } })).toThrow(/telemetry.tracerProvider.getTracer is required/)
    expect(() => harness.client('ws://127.0.0.1:1', { telemetry: true as never })).toThrow(TypeError)
  })

  it('names its instrumentation with the package’s version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    expect(INSTRUMENTATION_VERSION).toBe(pkg.version)
  })
})
