/**
 * Telemetry across the fleet, with real parts: the producer's trace reaches the worker's task
 * span through the job (W3C trace context, with and without a global propagator; junk in a job
 * costs the link, never the job); and a `worker --metrics-port` process scraped by Debian's
 * Prometheus, its series read back through Prometheus's HTTP API, its probes agreeing.
 */
import { propagation, ROOT_CONTEXT, trace, type Span } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { afterAll, describe, expect, it } from 'vitest'
import { RunwareQueue, startRunwareWorker } from '../../lib/queue/index.js'
import { JOB_NAME } from '../../lib/queue/job-data.js'
import { ATTRIBUTES, METRICS } from '../../lib/telemetry/names.js'
import { readTraceCarrier } from '../../lib/telemetry/propagation.js'
import { exitOf, ROOT, spawnCli, useCli } from '../cli/process.js'
import { API_KEY, useHarness } from '../helpers/harness.js'
import { providers } from '../helpers/otel.js'
import { useContextManager } from '../helpers/otel-context.js'
import { startPrometheus, type Prometheus, type Sample } from '../helpers/prometheus.js'
import { eventually } from '../helpers/wait.js'
import { connection, freshQueueName, redisUrl, useClosing } from './fleet-harness.js'

const harness = useHarness()
const closing = useClosing()
useCli()
const task = (prompt: string) => ({ taskType: 'imageInference' as const, model: 'runware:101@1', positivePrompt: prompt, width: 512, height: 512 })

useContextManager()
afterAll(() => {
  propagation.disable()
})

/** A worker whose client traces into its own in-memory exporter. */
async function tracedWorker(queue: string) {
  const sim = await harness.simulator()
  const otel = providers()
  const telemetry = { tracerProvider: otel.tracerProvider }
  const worker = closing(startRunwareWorker({ connection, name: queue, concurrency: 4, client: { apiKey: API_KEY, url: sim.url, telemetry } }))
  return { otel, worker }
}

describe('a trace through the fleet', () => {
  it("the producer's span is the parent of the worker's task span: from the active context, and from parentContext", async () => {
    const name = freshQueueName('spec-trace')
    const { otel } = await tracedWorker(name)
    const queue = closing(new RunwareQueue({ connection, name }))
    const app = providers().tracerProvider.getTracer('app')
    const active = await app.startActiveSpan('checkout', async (span: Span) => {
      const enqueued = await queue.add(task('traced, active'))
      span.end()
      return { enqueued, span: span.spanContext() }
    })
    const given = app.startSpan('given')
    const explicit = await queue.add(task('traced, given'), { parentContext: trace.setSpan(ROOT_CONTEXT, given) })
    given.end()
    const untraced = await queue.add(task('no span around it'))
    for (const job of [active.enqueued, explicit, untraced]) await queue.result(job.jobId, { timeoutMs: 10_000 })

    const spans = otel.exporter.getFinishedSpans()
    const byTask = (taskUUID: string) => spans.find((span) => span.attributes['runware.task.uuid'] === taskUUID)
    const first = byTask(active.enqueued.taskUUID)
    expect(first?.spanContext().traceId).toBe(active.span.traceId)
    expect(first?.parentSpanContext).toMatchObject({ spanId: active.span.spanId, traceId: active.span.traceId, isRemote: true })
    const second = byTask(explicit.taskUUID)
    expect(second?.parentSpanContext).toMatchObject({ spanId: given.spanContext().spanId, traceId: given.spanContext().traceId })
    const third = byTask(untraced.taskUUID)
    expect(third).toBeDefined()
    expect(third?.parentSpanContext).toBeUndefined()
  })

  it('through a registered W3C propagator, tracestate travels too', async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator())
    try {
      const name = freshQueueName('spec-trace')
      const { otel } = await tracedWorker(name)
      const queue = closing(new RunwareQueue({ connection, name }))
      const span = providers().tracerProvider.getTracer('app').startSpan('with state')
      const withState = trace.setSpanContext(ROOT_CONTEXT, {
        ...span.spanContext(),
        traceState: new (await import('@opentelemetry/core')).TraceState('vendor=abc'),
      })
      const enqueued = await queue.add(task('with tracestate'), { parentContext: withState })
      span.end()
      await queue.result(enqueued.jobId, { timeoutMs: 10_000 })
      const done = otel.exporter.getFinishedSpans().find((s) => s.attributes['runware.task.uuid'] === enqueued.taskUUID)
      expect(done?.parentSpanContext?.spanId).toBe(span.spanContext().spanId)
      expect(done?.spanContext().traceState?.serialize()).toBe('vendor=abc')
    } finally {
      propagation.disable()
    }
  })

  it('junk trace context in a job costs the link, never the job', async () => {
    const name = freshQueueName('spec-trace')
    const { otel, worker } = await tracedWorker(name)
    const raw = closing(new Queue(name, { connection }))
    const junk = [{ traceparent: '00-' + '0'.repeat(32) + '-' + '1'.repeat(16) + '-01' }, { traceparent: 'x'.repeat(100_000) }, 'text', [1, 2]]
    const ids = [
      '8b3c5a1e-0f3b-4c55-9d1a-1a2b3c4d5e60',
      '8b3c5a1e-0f3b-4c55-9d1a-1a2b3c4d5e61',
      '8b3c5a1e-0f3b-4c55-9d1a-1a2b3c4d5e62',
      '8b3c5a1e-0f3b-4c55-9d1a-1a2b3c4d5e63',
    ]
    await raw.addBulk(
      ids.map((taskUUID, i) => ({
        name: JOB_NAME,
        data: { task: { ...task(`junk ${i}`), taskUUID }, taskUUIDs: [taskUUID], trace: junk[i] },
        opts: { jobId: taskUUID },
      })),
    )
    await eventually(() => worker.counts.completed === ids.length, 'the four jobs completed', 15_000)
    const spans = otel.exporter.getFinishedSpans().filter((span) => ids.includes(String(span.attributes['runware.task.uuid'])))
    expect(spans).toHaveLength(4)
    for (const span of spans) expect(span.parentSpanContext).toBeUndefined()
  })

  it('a carrier is read within bounds', () => {
    const id = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`
    expect(readTraceCarrier({ traceparent: id, tracestate: 'k=v' })).toEqual({ traceparent: id, tracestate: 'k=v' })
    expect(readTraceCarrier({ traceparent: id, tracestate: 'k'.repeat(513) })).toEqual({ traceparent: id })
    expect(readTraceCarrier({ traceparent: id.toUpperCase() })).toBeUndefined()
    expect(readTraceCarrier({ traceparent: `01-${'a'.repeat(32)}-${'b'.repeat(16)}-01` })).toBeUndefined()
    expect(readTraceCarrier({ traceparent: `00-${'a'.repeat(32)}-${'0'.repeat(16)}-01` })).toBeUndefined()
    expect(readTraceCarrier(null)).toBeUndefined()
  })
})

/** Each expression of the promql blocks in README.md and docs/telemetry.md (a line, and the indented lines under it). */
function documentedAlerts(): { where: string; expression: string }[] {
  const found: { where: string; expression: string }[] = []
  for (const file of ['README.md', 'docs/telemetry.md']) {
    const blocks = readFileSync(join(ROOT, file), 'utf8')
      .split(/^```promql\n/m)
      .slice(1)
    for (const block of blocks.map((rest) => rest.slice(0, rest.indexOf('```')))) {
      for (const line of block.split('\n')) {
        const last = found.at(-1)
        if (line.startsWith(' ') && last !== undefined) last.expression += ` ${line.trim()}`
        else if (line !== '' && !line.startsWith('#')) found.push({ where: file, expression: line })
      }
    }
  }
  return found
}

/** Every documented alert is PromQL that Prometheus evaluates, and names only series and labels the worker serves. */
async function theDocumentedAlertsHold(prometheus: Prometheus, exposition: string): Promise<void> {
  const served = new Set<string>()
  for (const line of exposition.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
    served.add(line.split(/[{ ]/)[0] ?? '')
    for (const [, label = ''] of line.matchAll(/[{,]([a-z_]+)=/g)) served.add(label)
  }
  // Series not written yet (a counter appears at its first add: cost without includeCost) are named from telemetry/names.ts as the exporter names them.
  for (const [key, metric] of Object.entries(METRICS)) {
    const name = metric.name.replaceAll('.', '_')
    if (key === 'duration' || key === 'pong') for (const suffix of ['_bucket', '_count', '_sum']) served.add(name + suffix)
    else served.add(key === 'inFlight' || key === 'queued' ? name : `${name}_total`)
  }
  for (const label of [...Object.values(ATTRIBUTES), 'runware.job.outcome']) served.add(label.replaceAll('.', '_'))
  const alerts = documentedAlerts()
  expect(alerts.length).toBeGreaterThanOrEqual(10)
  for (const { where, expression } of alerts) {
    await expect(prometheus.query(expression), `${where}: ${expression}`).resolves.toBeInstanceOf(Array)
    for (const [name] of expression.matchAll(/\b(?:runware|gen_ai|error)_[a-z_]+\b/g)) expect(served, `${where}: ${name} in ${expression}`).toContain(name)
  }
}

describe('the worker, watched by Prometheus', () => {
  let prometheus: Prometheus | undefined
  afterAll(async () => prometheus?.stop())

  const one = async (promql: string): Promise<number | undefined> => {
    const rows: Sample[] = (await prometheus?.query(promql)) ?? []
    return rows.length === 1 ? rows[0]?.value : undefined
  }

  it('scrapes /metrics: jobs, task durations and the socket; /healthz and /readyz agree with the status', async () => {
    const sim = await harness.simulator()
    const name = freshQueueName('spec-prom')
    const worker = spawnCli(['worker', '--redis', redisUrl, '--queue', name, '--url', sim.url, '--metrics-port', '0', '--metrics-host', '127.0.0.1'], {
      RUNWARE_API_KEY: API_KEY,
    })
    const [, base = ''] = await worker.waitFor(/metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics/, 'stderr', 20_000)
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    await worker.waitFor(/ready on queue/, 'stderr', 20_000)
    const ready = await fetch(`${base}/readyz`)
    expect([ready.status, await ready.text()]).toEqual([200, 'ready: socket ready; redis ok\n'])
    expect((await fetch(`${base}/nothing`)).status).toBe(404)
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405)

    const queue = closing(new RunwareQueue({ connection, name }))
    sim.failNext(1, 'invalidPositivePrompt')
    const jobs = await queue.addBulk(
      [1, 2, 3, 4, 5, 6].map((i) => task(`scraped ${i}`)),
      { attempts: 1 },
    )
    const settled = await Promise.allSettled(jobs.map((job) => queue.result(job.jobId, { timeoutMs: 15_000 })))
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(5)

    prometheus = await startPrometheus([new URL(base).host])
    await eventually(async () => (await one('up{job="runware-worker"}')) === 1, 'Prometheus scraped the worker', 20_000, 100)
    await eventually(async () => (await one('runware_worker_jobs_total{runware_job_outcome="completed"}')) === 5, '5 completed jobs in Prometheus', 20_000, 100)
    expect(await one('runware_worker_jobs_total{runware_job_outcome="failed"}')).toBe(1)
    expect(await one('sum(gen_ai_client_operation_duration_count)')).toBe(6)
    expect(await one('sum(gen_ai_client_operation_duration_count{error_type="invalidPositivePrompt"})')).toBe(1)
    expect(await one('sum(runware_client_errors_total{error_type="invalidPositivePrompt", runware_error_category="validation"})')).toBe(1)
    expect(await one('sum(runware_client_tasks_in_flight)')).toBe(0)
    expect(await one('runware_worker_ready')).toBe(1)

    // The socket lost and kept out: not ready, in the probe, the gauge and the reconnect count alike.
    sim.failAuth('serverError', 1_000)
    sim.dropAll()
    await eventually(async () => (await fetch(`${base}/readyz`)).status === 503, '/readyz 503', 10_000, 50)
    expect(await (await fetch(`${base}/readyz`)).text()).toMatch(/^not ready: socket (reconnecting|connecting|authenticating); redis ok\n$/)
    await eventually(async () => (await one('runware_worker_ready')) === 0, 'runware_worker_ready 0 in Prometheus', 20_000, 100)
    expect(await one('sum(runware_client_reconnects_total)')).toBeGreaterThanOrEqual(1)
    await theDocumentedAlertsHold(prometheus, await (await fetch(`${base}/metrics`)).text())
    expect(worker.stderr()).not.toContain(API_KEY)

    worker.child.kill('SIGTERM')
    expect((await exitOf(worker)).code).toBe(0)
    expect(await fetch(`${base}/healthz`).catch(() => 'closed')).toBe('closed')
  })

  it('a port in use stops the worker at start: exit 3, and it says why', async () => {
    const sim = await harness.simulator()
    const first = spawnCli(['worker', '--redis', redisUrl, '--queue', freshQueueName('spec-prom'), '--url', sim.url, '--metrics-port', '0'], {
      RUNWARE_API_KEY: API_KEY,
    })
    const [, port = ''] = await first.waitFor(/metrics on http:\/\/[^\s]+:(\d+)\/metrics/, 'stderr', 20_000)
    const second = spawnCli(['worker', '--redis', redisUrl, '--queue', freshQueueName('spec-prom'), '--url', sim.url, '--metrics-port', port], {
      RUNWARE_API_KEY: API_KEY,
    })
    expect((await exitOf(second)).code).toBe(3)
    expect(second.stderr()).toMatch(new RegExp(`cannot start: --metrics-port ${port}: cannot listen \\(.*EADDRINUSE`))
    first.child.kill('SIGTERM')
    expect((await exitOf(first)).code).toBe(0)
  })
})
