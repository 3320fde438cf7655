/**
 * The providers telemetry writes to: those given, else the global ones of `@opentelemetry/api`
 * when it is installed. It is required only then (an optional peer): absent, nothing of it is
 * loaded and telemetry is off.
 */
import { createRequire } from 'node:module'
import type {
  ContextLike,
  CounterLike,
  HistogramLike,
  MeterLike,
  MeterProviderLike,
  TelemetryOptions,
  TracerLike,
  TracerProviderLike,
} from '../api/telemetry.js'
import { DURATION_BUCKETS, INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION, METRICS, PONG_BUCKETS } from './names.js'

/** The client's instruments, made once per client. */
export interface Instruments {
  readonly duration: HistogramLike
  readonly reconnects: CounterLike
  readonly resumes: CounterLike
  readonly errors: CounterLike
  readonly polls: CounterLike
  readonly cost: CounterLike
  readonly pong: HistogramLike
}

export interface Telemetry {
  readonly tracer: TracerLike | undefined
  readonly meter: MeterLike | undefined
  readonly instruments: Instruments | undefined
}

/** What `@opentelemetry/api` exports that the library uses. */
export interface OtelApi {
  ROOT_CONTEXT: ContextLike
  context: { active(): ContextLike }
  propagation: {
    inject(context: ContextLike, carrier: Record<string, string>): void
    extract(context: ContextLike, carrier: Record<string, string>): ContextLike
  }
  trace: {
    getTracerProvider(): TracerProviderLike & { getDelegate?(): unknown }
    getSpanContext(context: ContextLike): SpanContextLike | undefined
    setSpanContext(context: ContextLike, spanContext: SpanContextLike): ContextLike
  }
  metrics: { getMeterProvider(): MeterProviderLike }
}

export interface SpanContextLike {
  traceId: string
  spanId: string
  traceFlags: number
  isRemote?: boolean
}

let loaded: OtelApi | null | undefined

/** `@opentelemetry/api`, required once on first use; undefined when it is not installed. */
export function otelApi(): OtelApi | undefined {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('@opentelemetry/api') as OtelApi
    } catch {
      loaded = null
    }
  }
  return loaded ?? undefined
}

/** The API's root context (no span in it), when `@opentelemetry/api` is installed. */
export function rootContext(): ContextLike | undefined {
  return otelApi()?.ROOT_CONTEXT
}

/** The active context, when `@opentelemetry/api` is installed: a task's span parent, read when run() is called. */
export function activeContext(): ContextLike | undefined {
  return otelApi()?.context.active()
}

/** The API's own no-op providers: nothing registered. */
const isNoop = (provider: unknown): boolean =>
  /^Noop(Tracer|Meter)Provider$/.test((provider as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? '')

/**
 * The global providers as registered when the client is made (register the SDK first, as
 * OpenTelemetry advises); a half with nothing registered is off, so a process with the API but no
 * SDK pays nothing per task.
 */
function globalProviders(): TelemetryOptions | undefined {
  const api = otelApi()
  if (api === undefined) return undefined
  const tracerProvider = api.trace.getTracerProvider()
  const meterProvider = api.metrics.getMeterProvider()
  return {
    tracerProvider: isNoop(tracerProvider.getDelegate?.() ?? tracerProvider) ? undefined : tracerProvider,
    meterProvider: isNoop(meterProvider) ? undefined : meterProvider,
  }
}

function instrumentsOf(meter: MeterLike): Instruments {
  const { duration, reconnects, resumes, errors, polls, cost, pong } = METRICS
  const options = (metric: { unit: string; description: string }) => ({ unit: metric.unit, description: metric.description })
  return {
    duration: meter.createHistogram(duration.name, { ...options(duration), advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] } }),
    reconnects: meter.createCounter(reconnects.name, options(reconnects)),
    resumes: meter.createCounter(resumes.name, options(resumes)),
    errors: meter.createCounter(errors.name, options(errors)),
    polls: meter.createCounter(polls.name, options(polls)),
    cost: meter.createCounter(cost.name, options(cost)),
    pong: meter.createHistogram(pong.name, { ...options(pong), advice: { explicitBucketBoundaries: [...PONG_BUCKETS] } }),
  }
}

/** Undefined when telemetry is off: `false`, no providers, or no `@opentelemetry/api` for the default. */
export function loadTelemetry(option: false | TelemetryOptions | undefined): Telemetry | undefined {
  if (option === false) return undefined
  const providers = option ?? globalProviders()
  if (providers === undefined) return undefined
  const tracer = providers.tracerProvider?.getTracer(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION)
  const meter = providers.meterProvider?.getMeter(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION)
  if (tracer === undefined && meter === undefined) return undefined
  return { tracer, meter, instruments: meter === undefined ? undefined : instrumentsOf(meter) }
}
