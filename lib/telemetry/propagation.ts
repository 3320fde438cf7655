/**
 * A trace through the fleet: the producer's span context goes into the job as W3C trace context
 * (`traceparent`, `tracestate`), and the worker's task span is its child. Through the global
 * propagator when one is registered, else written and read here (a process with a tracer but no
 * propagator still links its traces). `@opentelemetry/api` is required only when a trace is
 * carried: absent, nothing is loaded and nothing is carried.
 *
 * Job data is shared through Redis, so a carrier is read like a server frame: bounded strings in
 * the W3C format, anything else is dropped (the job runs; only the link is lost).
 */
import type { ContextLike } from '../api/telemetry.js'
import { otelApi } from './load.js'

/** What a job carries of its producer's trace. */
export interface TraceCarrier {
  readonly traceparent: string
  readonly tracestate?: string | undefined
}

/** Version 00; a trace id and a span id that are not all zeros (W3C Trace Context, level 1). */
const TRACEPARENT = /^00-(?!0{32})([0-9a-f]{32})-(?!0{16})([0-9a-f]{16})-([0-9a-f]{2})$/
/** The W3C bound on tracestate: 32 members of at most 256 characters; longer is cut by the spec's rules, here dropped. */
const MAX_TRACESTATE = 512

/** A carrier as it was read from a job, or undefined when it is not one. */
export function readTraceCarrier(value: unknown): TraceCarrier | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { traceparent, tracestate } = value as Record<string, unknown>
  if (typeof traceparent !== 'string' || !TRACEPARENT.test(traceparent)) return undefined
  const state = typeof tracestate === 'string' && tracestate.length > 0 && tracestate.length <= MAX_TRACESTATE ? tracestate : undefined
  return state === undefined ? { traceparent } : { traceparent, tracestate: state }
}

/**
 * The trace context of `parent` (default: the active context) to put in a job, or undefined when
 * there is no span to carry. The global propagator is caller code: if it throws, the span context
 * is written here instead.
 */
export function traceCarrierOf(parent?: ContextLike): TraceCarrier | undefined {
  const otel = otelApi()
  if (otel === undefined) return undefined
  const context = parent ?? otel.context.active()
  const carrier: Record<string, string> = {}
  try {
    otel.propagation.inject(context, carrier)
  } catch {
    // the fallback below
  }
  if (carrier.traceparent === undefined) {
    const span = otel.trace.getSpanContext(context)
    if (span === undefined) return undefined
    carrier.traceparent = `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`
  }
  return readTraceCarrier(carrier)
}

function toRecord(carrier: TraceCarrier): Record<string, string> {
  return carrier.tracestate === undefined ? { traceparent: carrier.traceparent } : { traceparent: carrier.traceparent, tracestate: carrier.tracestate }
}

/** The context a worker's task span is a child of: the producer's span, remote. */
export function parentContextOf(carrier: TraceCarrier | undefined): ContextLike | undefined {
  if (carrier === undefined) return undefined
  const otel = otelApi()
  if (otel === undefined) return undefined
  try {
    const extracted = otel.propagation.extract(otel.ROOT_CONTEXT, toRecord(carrier))
    if (otel.trace.getSpanContext(extracted) !== undefined) return extracted
  } catch {
    // the fallback below
  }
  const match = TRACEPARENT.exec(carrier.traceparent)
  if (match === null) return undefined
  const [, traceId = '', spanId = '', flags = '00'] = match
  return otel.trace.setSpanContext(otel.ROOT_CONTEXT, { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true })
}
