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
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as Client from '../lib/client.js'
import type { RunwareSocketOptions } from '../lib/api/options.js'
import { API_KEY } from './clients/types.js'
import { closedLoop } from './drive.js'

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

const { RunwareSocket } = (await import(pathToFileURL(join(libDir, 'client.js')).href)) as typeof Client
const { options, recorded } = await telemetryFor()
const client = new RunwareSocket({ apiKey: API_KEY, url, ...options })
await client.connect()
const loop = (count: number): Promise<number> => closedLoop((i) => client.run(task(i)), count, CONCURRENCY)
// Warm-up in the same process, not counted: the JIT and the heap settle before the clock starts.
await loop(WARM_UP)
const seconds = await loop(TASKS)
await client.close()
console.log(JSON.stringify({ mode, perSecond: TASKS / seconds, apiResolvable, ...(await recorded()) }))
