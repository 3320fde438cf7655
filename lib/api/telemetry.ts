/**
 * The part of OpenTelemetry's API the client uses, as structural types: a real TracerProvider and
 * MeterProvider (`@opentelemetry/api` 1.x, the SDK's or your own) fit them, and these types do not
 * make `@opentelemetry/api` a dependency of yours (docs/telemetry.md).
 */

export type TelemetryAttributes = Record<string, string | number | boolean | undefined>

export interface SpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown
  addEvent(name: string, attributes?: TelemetryAttributes): unknown
  /** `code` 2 is OpenTelemetry's SpanStatusCode.ERROR. */
  setStatus(status: { code: number; message?: string }): unknown
  end(): void
  isRecording(): boolean
}

/** An OpenTelemetry Context (`@opentelemetry/api`): what a span's parent is read from. */
export interface ContextLike {
  getValue(key: symbol): unknown
  setValue(key: symbol, value: unknown): ContextLike
  deleteValue(key: symbol): ContextLike
}

export interface TracerLike {
  /** `kind` 2 is OpenTelemetry's SpanKind.CLIENT; without `context`, the parent is the active context. */
  startSpan(name: string, options?: { kind?: number; attributes?: TelemetryAttributes }, context?: ContextLike): SpanLike
}

export interface TracerProviderLike {
  getTracer(name: string, version?: string): TracerLike
}

export interface HistogramLike {
  record(value: number, attributes?: TelemetryAttributes): void
}

export interface CounterLike {
  add(value: number, attributes?: TelemetryAttributes): void
}

export interface InstrumentOptionsLike {
  description?: string
  unit?: string
  advice?: { explicitBucketBoundaries?: number[] }
}

export interface ObservableResultLike {
  observe(value: number, attributes?: TelemetryAttributes): void
}

export interface ObservableLike {
  addCallback(callback: (result: ObservableResultLike) => void): void
}

export interface MeterLike {
  createHistogram(name: string, options?: InstrumentOptionsLike): HistogramLike
  createCounter(name: string, options?: InstrumentOptionsLike): CounterLike
  createObservableUpDownCounter(name: string, options?: InstrumentOptionsLike): ObservableLike
}

export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike
}

/** Where spans and metrics go. Either may be left out: that half is off. */
export interface TelemetryOptions {
  tracerProvider?: TracerProviderLike | undefined
  meterProvider?: MeterProviderLike | undefined
}
