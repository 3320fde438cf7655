/**
 * One turn of bench/telemetry.ts, in a process of its own: a closed loop of TASKS at CONCURRENCY
 * through the compiled library in `libDir`, with telemetry in one mode; prints one JSON line.
 *   off      telemetry: false
 *   default  the option left out, @opentelemetry/api installed, no SDK registered
 *   metrics  the SDK's MeterProvider only (a reader collecting at the end)
 *   on       the SDK: every span through a BatchSpanProcessor to the in-memory exporter, and the metrics;
 *            the exporter is emptied after each batch it takes (counted first), as an exporter that
 *            sends its batch lets go of it
 *   kept     as `on`, the exporter keeping every span (the heap grows by each one: GC pays for it)
 *   sampled  as `on`, one trace in ten sampled (ParentBased(TraceIdRatio 0.1), the usual setting at volume)
 *   absent   the option left out, @opentelemetry/api not resolvable from `libDir`
 *   sdk      no client: the SDK set up as for `on`, asked per task what the library asks of it
 *            (a span started with the task's attributes, its attempts set, ended; one duration
 *            recorded), in rounds of CONCURRENCY with a turn of the event loop between; what `on`
 *            cannot cost less than
 *
 * Every turn loads the SDK's modules first, whether its mode uses them or not. Loading them changes
 * how V8's garbage collector behaves for the rest of the process: measured on 2026-12-06, a turn
 * with telemetry off ran about twice as fast with `@opentelemetry/resources` merely imported (its
 * scavenges about 0.7 ms each instead of 10 ms, nothing promoted instead of about 3.5 MB each), so
 * without this `off` against `on` measured the heap's state as much as the telemetry.
 *
 * Each turn gives its tasks per second, this process's CPU time per task (it also waits on the
 * server, so the two do not add up the same way) and the tasks per frame it sent.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as Client from '../lib/client.js'
import type { RunwareSocketOptions } from '../lib/api/options.js'
import type * as Names from '../lib/telemetry/names.js'
import { API_KEY } from './clients/types.js'
import { closedLoop } from './drive.js'

if (process.env.BENCH_TELEMETRY_PRELOAD !== '0') {
  await import('@opentelemetry/sdk-trace-base')
  await import('@opentelemetry/sdk-metrics')
}

const [mode = 'off', url = '', tasksText = '20000', concurrencyText = '100', libDir = ''] = process.argv.slice(2)
const TASKS = Number(tasksText)
const CONCURRENCY = Number(concurrencyText)
const WARM_UP = Math.min(TASKS, 10_000)
const task = (i: number) => ({ taskType: 'imageInference', model: 'runware:101@1', positivePrompt: `a heron, take ${i}`, width: 512, height: 512 }) as const

const apiResolvable = ((): boolean => {
  try {
    createRequire(join(libDir, 'client.js')).resolve('@opentelemetry/api')
    return true
  } catch {
    return false
  }
})()

async function telemetryFor(): Promise<{ options: Pick<RunwareSocketOptions, 'telemetry'>; recorded: () => Promise<{ spans: number; durations: number }> }> {
  if (mode === 'off') return { options: { telemetry: false }, recorded: () => Promise.resolve({ spans: 0, durations: 0 }) }
  if (mode === 'default' || mode === 'absent') return { options: {}, recorded: () => Promise.resolve({ spans: 0, durations: 0 }) }
  const { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, ParentBasedSampler, TraceIdRatioBasedSampler } =
    await import('@opentelemetry/sdk-trace-base')
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics')
  const { Reader } = await import('../spec/helpers/otel.js')
  const exporter = new InMemorySpanExporter()
  let exported = 0
  if (mode !== 'kept') {
    const take = exporter.export.bind(exporter)
    exporter.export = (spans, done) => {
      take(spans, done)
      exported += spans.length
      exporter.reset()
    }
  }
  const reader = new Reader()
  // The SDK's production processor; its queue large enough that no span is dropped.
  const processor = new BatchSpanProcessor(exporter, { maxQueueSize: 1 << 20, maxExportBatchSize: 512 })
  const sampler = mode === 'sampled' ? new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }) : undefined
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [processor], ...(sampler === undefined ? {} : { sampler }) })
  const meterProvider = new MeterProvider({ readers: [reader] })
  return {
    options: { telemetry: mode === 'metrics' ? { meterProvider } : { tracerProvider, meterProvider } },
    recorded: async () => {
      const { resourceMetrics } = await reader.collect()
      const durations = resourceMetrics.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .filter((metric) => metric.descriptor.name === 'gen_ai.client.operation.duration')
        .flatMap((metric): { value: unknown }[] => [...metric.dataPoints])
        .reduce((sum: number, point) => sum + ((point.value as { count?: number }).count ?? 0), 0)
      await tracerProvider.forceFlush()
      return { spans: mode === 'kept' ? exporter.getFinishedSpans().length : exported, durations }
    },
  }
}

const { options, recorded } = await telemetryFor()
if (mode === 'sdk') {
  const { perSecond, cpuMicros } = await sdkAlone(options.telemetry)
  console.log(JSON.stringify({ mode, perSecond, cpuMicros, apiResolvable, ...(await recorded()) }))
  process.exit(0)
}
/** Tasks per second the SDK alone could record, doing per task what lib/telemetry/task-telemetry.ts asks of it. */
async function sdkAlone(telemetry: RunwareSocketOptions['telemetry']): Promise<{ perSecond: number; cpuMicros: number }> {
  if (typeof telemetry !== 'object' || telemetry.tracerProvider === undefined || telemetry.meterProvider === undefined) throw new Error('sdk: no providers')
  const names = (await import(pathToFileURL(join(libDir, 'telemetry', 'names.js')).href)) as typeof Names
  const tracer = telemetry.tracerProvider.getTracer(names.INSTRUMENTATION_SCOPE, names.INSTRUMENTATION_VERSION)
  const { duration } = names.METRICS
  const histogram = telemetry.meterProvider
    .getMeter(names.INSTRUMENTATION_SCOPE, names.INSTRUMENTATION_VERSION)
    .createHistogram(duration.name, { unit: duration.unit, advice: { explicitBucketBoundaries: [...names.DURATION_BUCKETS] } })
  const { model, taskType } = task(0)
  const operation = names.operationOf(taskType)
  const shared = names.durationAttributes(operation, model, taskType)
  const spanName = `${operation} ${model}`
  const record = (i: number): void => {
    const startedAt = performance.now()
    const attributes = names.startAttributes(operation, model, taskType, `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
    const span = tracer.startSpan(spanName, { kind: names.SPAN_KIND_CLIENT, attributes })
    span.setAttribute(names.ATTRIBUTES.attempts, 1)
    span.end()
    histogram.record((performance.now() - startedAt) / 1_000, shared)
  }
  const rounds = async (count: number): Promise<number> => {
    const started = performance.now()
    for (let i = 0; i < count; i++) {
      record(i)
      if (i % CONCURRENCY === CONCURRENCY - 1) await new Promise<void>((turned) => setImmediate(turned))
    }
    return (performance.now() - started) / 1_000
  }
  await rounds(WARM_UP)
  const cpu = process.cpuUsage()
  const seconds = await rounds(TASKS)
  return { perSecond: TASKS / seconds, cpuMicros: cpuPerTask(cpu) }
}

/** This process's CPU time (user and system) per task since `from`, in µs. */
function cpuPerTask(from: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(from)
  return (user + system) / TASKS
}

// Frames the client sends (the library's ws is this one: the same package, resolved from the same
// root), so that a mode which changed how tasks are batched would show beside its throughput.
let framesSent = 0
const { WebSocket } = await import('ws')
const prototype = WebSocket.prototype as unknown as { send: (...args: unknown[]) => void }
const send = prototype.send
prototype.send = function counted(this: unknown, ...args: unknown[]): void {
  framesSent += 1
  Reflect.apply(send, this, args)
}
const { RunwareSocket } = (await import(pathToFileURL(join(libDir, 'client.js')).href)) as typeof Client
const client = new RunwareSocket({ apiKey: API_KEY, url, ...options })
await client.connect()
const loop = (count: number): Promise<number> => closedLoop((i) => client.run(task(i)), count, CONCURRENCY)
// Warm-up in the same process, not counted: the JIT and the heap settle before the clock starts.
await loop(WARM_UP)
const cpu = process.cpuUsage()
const framesBefore = framesSent
const seconds = await loop(TASKS)
const cpuMicros = cpuPerTask(cpu)
const tasksPerFrame = TASKS / (framesSent - framesBefore)
await client.close()
console.log(JSON.stringify({ mode, perSecond: TASKS / seconds, cpuMicros, tasksPerFrame, apiResolvable, ...(await recorded()) }))
