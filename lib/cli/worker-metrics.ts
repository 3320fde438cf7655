/**
 * `worker --metrics-port N`: the client's OpenTelemetry metrics (the same instruments as the
 * `telemetry` option, names as in docs/telemetry.md) and the worker's own, in Prometheus text
 * format on /metrics; /healthz (the process answers) and /readyz (the socket is ready, Redis is
 * reachable, the worker is not draining), which say the same as the status line.
 *
 * OpenTelemetry's Prometheus exporter, not prom-client: the series are the very instruments the
 * library records, named once (telemetry/names.ts) and turned into Prometheus names by the
 * exporter's rules, so there is no second metrics layer to keep in step. It and the SDK it brings
 * are loaded only here; the MeterProvider is made from the exporter's own copy of the SDK, so
 * whatever SDK version the application has beside it, the reader and the provider match.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import type { MeterLike, MeterProviderLike, TelemetryAttributes } from '../api/telemetry.js'
import { describeError } from './disposition.js'

/** What the worker is, read when Prometheus scrapes or a probe asks. */
export interface WorkerView {
  readonly socket: string
  readonly redisReachable: boolean
  readonly draining: boolean
  readonly counts: {
    readonly active: number
    readonly completed: number
    readonly failed: number
    readonly retried: number
    readonly givenBack: number
    readonly resumed: number
  }
}

export interface WorkerMetrics {
  /** For the client's `telemetry` option. */
  readonly meterProvider: MeterProviderLike
  /** Where it listens, e.g. http://127.0.0.1:9464 (port 0 asked for a free one). */
  readonly url: string
  close(): Promise<void>
}

interface Observation {
  observe(value: number, attributes?: TelemetryAttributes): void
}
interface ObservableLike {
  addCallback(callback: (result: Observation) => void): void
}
interface SdkMeter extends MeterLike {
  createObservableGauge(name: string, options?: { description?: string; unit?: string }): ObservableLike
  createObservableCounter(name: string, options?: { description?: string; unit?: string }): ObservableLike
}
interface SdkMeterProvider extends MeterProviderLike {
  getMeter(name: string, version?: string): SdkMeter
  shutdown(): Promise<void>
}
interface Exporter {
  getMetricsRequestHandler(request: IncomingMessage, response: ServerResponse): void
}
interface Modules {
  PrometheusExporter: new (config: { preventServerStart: boolean }) => Exporter
  MeterProvider: new (config: { readers: unknown[]; resource: unknown }) => SdkMeterProvider
  resourceFromAttributes(attributes: TelemetryAttributes): unknown
}

/** Ready: the same three facts the status line shows. */
export function readiness(view: WorkerView): { ready: boolean; text: string } {
  const ready = view.socket === 'ready' && view.redisReachable && !view.draining
  const text = `socket ${view.socket}; redis ${view.redisReachable ? 'ok' : 'unreachable'}${view.draining ? '; draining' : ''}`
  return { ready, text }
}

/** The exporter and its SDK, or a sentence saying what to install. */
function load(): Modules | string {
  try {
    const require = createRequire(import.meta.url)
    const exporterPath = require.resolve('@opentelemetry/exporter-prometheus')
    const { PrometheusExporter } = require(exporterPath) as Pick<Modules, 'PrometheusExporter'>
    const near = createRequire(exporterPath)
    const { MeterProvider } = near('@opentelemetry/sdk-metrics') as Pick<Modules, 'MeterProvider'>
    const { resourceFromAttributes } = near('@opentelemetry/resources') as Pick<Modules, 'resourceFromAttributes'>
    return { PrometheusExporter, MeterProvider, resourceFromAttributes }
  } catch (error) {
    const install = 'npm install @opentelemetry/api @opentelemetry/exporter-prometheus'
    return `--metrics-port needs OpenTelemetry's Prometheus exporter: ${install} (${describeError(error)})`
  }
}

const OUTCOMES = ['completed', 'failed', 'retried', 'givenBack', 'resumed'] as const
const OUTCOME_NAMES: Readonly<Record<(typeof OUTCOMES)[number], string>> = {
  completed: 'completed',
  failed: 'failed',
  retried: 'retried',
  givenBack: 'given_back',
  resumed: 'resumed',
}

function observeWorker(meter: SdkMeter, view: () => WorkerView): void {
  meter.createObservableGauge('runware.worker.jobs.active', { unit: '{job}', description: 'Jobs this worker holds now' }).addCallback((result) => {
    result.observe(view().counts.active)
  })
  meter
    .createObservableCounter('runware.worker.jobs', {
      unit: '{job}',
      description: 'Jobs by outcome: completed, failed (for good), retried, given_back, resumed',
    })
    .addCallback((result) => {
      const { counts } = view()
      for (const outcome of OUTCOMES) result.observe(counts[outcome], { 'runware.job.outcome': OUTCOME_NAMES[outcome] })
    })
  meter
    .createObservableGauge('runware.worker.ready', { description: '1 when /readyz answers 200: socket ready, Redis reachable, not draining' })
    .addCallback((result) => {
      const now = view()
      result.observe(readiness(now).ready ? 1 : 0)
    })
  meter.createObservableGauge('runware.worker.redis.reachable', { description: '1 while Redis answers' }).addCallback((result) => {
    result.observe(view().redisReachable ? 1 : 0)
  })
}

function respond(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
  response.end(`${text}\n`)
}

function serve(request: IncomingMessage, response: ServerResponse, exporter: Exporter, view: () => WorkerView): void {
  const path = (request.url ?? '/').split('?')[0]
  if (request.method !== 'GET' && request.method !== 'HEAD') respond(response, 405, 'GET only')
  else if (path === '/metrics') exporter.getMetricsRequestHandler(request, response)
  else if (path === '/healthz') respond(response, 200, 'ok')
  else if (path === '/readyz') {
    const { ready, text } = readiness(view())
    respond(response, ready ? 200 : 503, `${ready ? 'ready' : 'not ready'}: ${text}`)
  } else respond(response, 404, 'not found: /metrics, /healthz, /readyz')
}

/**
 * Starts the exporter's HTTP server on `port` (0: a free one) and `host` (undefined: every
 * interface, as Prometheus exporters do). Rejects with a sentence when it cannot (not installed,
 * port in use).
 */
export async function startWorkerMetrics(port: number, host: string | undefined, view: () => WorkerView): Promise<WorkerMetrics> {
  const modules = load()
  if (typeof modules === 'string') throw new Error(modules)
  const exporter = new modules.PrometheusExporter({ preventServerStart: true })
  // target_info's service_name: OpenTelemetry's variable when set.
  const resource = modules.resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME ?? 'runware-socket-worker' })
  const meterProvider = new modules.MeterProvider({ readers: [exporter], resource })
  observeWorker(meterProvider.getMeter('runware-socket-worker'), view)
  const server: Server = createServer((request, response) => {
    serve(request, response, exporter, view)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`--metrics-port ${port}: cannot listen (${describeError(error)})`)))
    server.listen(port, host, () => resolve())
  })
  server.unref()
  const address = server.address() as AddressInfo
  const shown =
    address.family === 'IPv6' ? `[${address.address === '::' ? '::1' : address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address
  return {
    meterProvider,
    url: `http://${shown}:${address.port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await meterProvider.shutdown().catch(() => undefined)
    },
  }
}
