/** The OpenTelemetry SDK's real parts for telemetry specs: an in-memory span exporter and a metric reader collected on demand. */
import { AggregationTemporality, MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'

/** A reader that exports nothing by itself: `collect()` reads the cumulative values now. */
export class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve()
  }
}

export function providers(): { exporter: InMemorySpanExporter; reader: Reader; tracerProvider: BasicTracerProvider; meterProvider: MeterProvider } {
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const reader = new Reader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  return { exporter, reader, tracerProvider, meterProvider }
}

/** Every data point of the metric `name`, as collected now. */
export async function points(reader: Reader, name: string): Promise<DataPoint<unknown>[]> {
  const { resourceMetrics } = await reader.collect()
  return resourceMetrics.scopeMetrics.flatMap((scope) =>
    scope.metrics.filter((metric) => metric.descriptor.name === name).flatMap((metric): DataPoint<unknown>[] => [...metric.dataPoints]),
  )
}
