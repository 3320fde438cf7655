/** The main entry is the client alone (#11): importing it loads no simulator or CLI module. */
import { execFile } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const child = resolve(root, 'spec/packaging/children/loaded.ts')

async function urlsLoadedBy(module: string, ...extra: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', child, module, ...extra], { cwd: root, timeout: 30_000 })
  return JSON.parse(stdout) as string[]
}

async function loadedBy(module: string): Promise<string[]> {
  const urls = await urlsLoadedBy(module)
  // Only this project's modules; the dependencies (ws, eventemitter3, nanoid) are expected.
  return urls.filter((url) => url.startsWith(`file://${root}/lib/`)).map((url) => url.slice(`file://${root}/`.length))
}

describe('the main entry', () => {
  it('loads the client and nothing of the simulator or the CLI', async () => {
    const loaded = await loadedBy('./lib/index.ts')
    expect(loaded).toContain('lib/client.ts')
    expect(loaded).toContain('lib/tasks/engine.ts')
    expect(
      loaded.filter((path) => path.startsWith('lib/simulator/') || path.startsWith('lib/cli/') || path.startsWith('lib/queue/') || path === 'lib/cli.ts'),
    ).toEqual([])
    // The count, so a new module shows up here as a conscious change (48: telemetry's four and
    // tasks/costs.ts, #25; 50: connection/http-socket.ts and transport-choice.ts, the HTTP transport, #26;
    // 53: connection/http-stream.ts, streamed text, and tasks/outputs.ts and releases.ts, split out for the 300-line rule, #26;
    // 49: costs.ts into outputs.ts, signals.ts and releases.ts into holdings.ts, poller, probes and reconcile into questions.ts, #22).
    expect(loaded.length).toBeLessThanOrEqual(49)
  })

  it('the check sees the simulator when an entry does load it', async () => {
    const loaded = await loadedBy('./lib/simulator/index.ts')
    expect(loaded.filter((path) => path.startsWith('lib/simulator/')).length).toBeGreaterThan(10)
  })
})

describe('bullmq, an optional peer', () => {
  const bullmq = (urls: readonly string[]): string[] => urls.filter((url) => url.includes('/node_modules/bullmq/') || url.includes('/node_modules/ioredis/'))

  it('is loaded by neither the main entry nor the command line, until a fleet command runs', async () => {
    expect(bullmq(await urlsLoadedBy('./lib/index.ts'))).toEqual([])
    expect(bullmq(await urlsLoadedBy('./lib/cli/main.ts'))).toEqual([])
  })

  it('is loaded by runware-socket/queue (the check sees it when it is there)', async () => {
    expect(bullmq(await urlsLoadedBy('./lib/queue/index.ts')).length).toBeGreaterThan(0)
  })
})

describe('@opentelemetry/api, an optional peer', () => {
  const otel = (urls: readonly string[]): string[] => urls.filter((url) => url.includes('/node_modules/@opentelemetry/'))

  it('is not loaded by importing the main entry', async () => {
    expect(otel(await urlsLoadedBy('./lib/index.ts'))).toEqual([])
  })

  it('is loaded when a client is made with default telemetry (the check sees it when it is there; the consumers spec runs without it)', async () => {
    expect(otel(await urlsLoadedBy('./lib/index.ts', 'client')).length).toBeGreaterThan(0)
  })
})
