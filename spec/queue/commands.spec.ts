/** The fleet's commands from the outside: usage errors, help, a refused key, --no-wait. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseEnqueueArgs, parseWorkerArgs } from '../../lib/cli/fleet-args.js'
import { UsageError } from '../../lib/cli/args.js'
import { RunwareQueue } from '../../lib/queue/index.js'
import { exitOf, spawnCli, useCli } from '../cli/process.js'
import { IMAGE } from '../fixtures/tasks.js'
import { connection, freshQueueName, redisUrl, useClosing } from './fleet-harness.js'
import { API_KEY, useHarness } from '../helpers/harness.js'

const harness = useHarness()
useCli()
const closing = useClosing()

describe('worker and enqueue flags', () => {
  const env = { RUNWARE_API_KEY: API_KEY }

  it.each([
    [['--queue', 'q'], /--redis URL is required/],
    [['--redis', 'http://x'], /--redis must start with redis:\/\//],
    [['--redis', 'redis://h', '--queue', 'a b'], /--queue must be/],
    [['--redis', 'redis://h', '--concurrency', '0'], /--concurrency must be a whole number/],
    [['--redis', 'redis://h', '--lock-ms', '5'], /--lock-ms must be a whole number ≥ 100/],
    [['--redis', 'redis://h', 'extra'], /unexpected argument "extra"/],
    [['--redis', 'redis://h', '--metrics-port', '70000'], /--metrics-port must be a whole number from 0 to 65535/],
    [['--redis', 'redis://h', '--metrics-port', '9464', '--metrics-host', 'a b'], /--metrics-host must be a host name/],
    [['--redis', 'redis://h', '--metrics-host', '127.0.0.1'], /--metrics-host needs --metrics-port/],
  ])('worker %j is a usage error', (args, message) => {
    expect(() => parseWorkerArgs(args, env)).toThrow(message)
  })

  it('worker needs RUNWARE_API_KEY; enqueue does not', () => {
    expect(() => parseWorkerArgs(['--redis', 'redis://h'], {})).toThrow(UsageError)
    expect(parseEnqueueArgs(['tasks.jsonl', '--redis', 'redis://h'])).toMatchObject({ input: 'tasks.jsonl', queue: 'runware', wait: true, attempts: 3 })
  })

  it('worker defaults', () => {
    expect(parseWorkerArgs(['--redis', 'redis://h'], env)).toMatchObject({
      queue: 'runware',
      concurrency: 100,
      drainMs: 30_000,
      lockMs: 30_000,
      url: 'wss://ws-api.runware.ai/v1',
      metricsPort: undefined,
      metricsHost: undefined,
    })
  })

  it('enqueue refuses an output that is its input, and a missing file', () => {
    expect(() => parseEnqueueArgs(['a.jsonl', '--redis', 'redis://h', '--out', 'a.jsonl'])).toThrow(/must not be the input/)
    expect(() => parseEnqueueArgs(['--redis', 'redis://h'])).toThrow(/missing <tasks.jsonl>/)
  })

  it('--help for both lists every flag', async () => {
    const worker = spawnCli(['worker', '--help'])
    expect((await exitOf(worker)).code).toBe(0)
    for (const flag of ['--redis', '--queue', '--concurrency', '--url', '--drain-ms', '--lock-ms', '--redis-timeout-ms', '--metrics-port', '--metrics-host'])
      expect(worker.stdout()).toContain(flag)
    const enqueue = spawnCli(['enqueue', '--help'])
    expect((await exitOf(enqueue)).code).toBe(0)
    for (const flag of ['--redis', '--queue', '--out', '--no-wait', '--timeout-ms', '--attempts', '--keep-completed-s', '--redis-timeout-ms'])
      expect(enqueue.stdout()).toContain(flag)
    const main = spawnCli(['--help'])
    await exitOf(main)
    expect(main.stdout()).toMatch(/worker {5}run a fleet worker/)
  })
})

describe('the commands running', () => {
  it('a worker whose key is refused exits 3 and never prints the key', async () => {
    const sim = await harness.simulator({ apiKeys: ['the-only-good-key-123'] })
    const worker = spawnCli(['worker', '--redis', redisUrl, '--queue', freshQueueName('spec-cmd'), '--url', sim.url], { RUNWARE_API_KEY: API_KEY })
    expect((await exitOf(worker)).code).toBe(3)
    expect(worker.stderr()).toMatch(/cannot connect: invalidApiKey/)
    expect(worker.stderr() + worker.stdout()).not.toContain(API_KEY)
  })

  it('enqueue into an output whose directory is missing stops before anything is enqueued: exit 3, and it says why', async () => {
    const name = freshQueueName('spec-cmd')
    const dir = mkdtempSync(join(tmpdir(), 'runware-enqueue-'))
    const input = join(dir, 'tasks.jsonl')
    writeFileSync(input, `${JSON.stringify(IMAGE)}\n`)
    const enqueue = spawnCli(['enqueue', input, '--redis', redisUrl, '--queue', name, '--out', join(dir, 'nowhere', 'out.jsonl')])
    expect((await exitOf(enqueue)).code).toBe(3)
    expect(enqueue.stderr()).toMatch(/cannot open .*out\.jsonl for appending: its directory does not exist/)
    const queue = new RunwareQueue({ connection, name })
    closing(queue)
    expect(await queue.queue.getJobCountByTypes('waiting', 'active', 'completed')).toBe(0)
  })

  it('enqueue --no-wait adds the jobs and exits 0; a worker then runs them', async () => {
    const sim = await harness.simulator()
    const name = freshQueueName('spec-cmd')
    const dir = mkdtempSync(join(tmpdir(), 'runware-enqueue-'))
    const input = join(dir, 'tasks.jsonl')
    writeFileSync(input, `${Array.from({ length: 5 }, () => JSON.stringify(IMAGE)).join('\n')}\n`)
    const enqueue = spawnCli(['enqueue', input, '--redis', redisUrl, '--queue', name, '--no-wait', '--out', join(dir, 'out.jsonl')])
    expect((await exitOf(enqueue)).code).toBe(0)
    expect(enqueue.stderr()).toMatch(/enqueued 5 job\(s\)/)
    const queue = new RunwareQueue({ connection, name })
    closing(queue)
    expect(await queue.queue.getJobCountByTypes('waiting')).toBe(5)
    const worker = spawnCli(['worker', '--redis', redisUrl, '--queue', name, '--url', sim.url], { RUNWARE_API_KEY: API_KEY })
    await worker.waitFor(/worker: ready/, 'stderr')
    const collect = spawnCli(['enqueue', input, '--redis', redisUrl, '--queue', name, '--out', join(dir, 'out.jsonl')])
    expect((await exitOf(collect)).code).toBe(0)
    expect(collect.stderr()).toMatch(/5 job\(s\) recorded .*: 5 ok, 0 failed/)
    worker.child.kill('SIGTERM')
    expect((await exitOf(worker)).code).toBe(0)
    expect(sim.stats.executions.size).toBe(5)
  })
})
