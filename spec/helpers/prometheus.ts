/**
 * A private Prometheus (Debian's `prometheus` 2.x) on a free loopback port, scraping the given
 * targets every 250 ms, with a temporary data directory; stopped and removed afterwards. No
 * `prometheus` on the PATH is an error, never a skip: `.ci/run` installs it.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freeRedisPort } from './redis-server.js'
import { eventually } from './wait.js'

export interface Sample {
  readonly metric: Record<string, string>
  readonly value: number
}

export interface Prometheus {
  readonly url: string
  /** An instant query through the HTTP API (/api/v1/query). */
  query(promql: string): Promise<Sample[]>
  stop(): Promise<void>
}

export async function startPrometheus(targets: readonly string[], binary = process.env.PROMETHEUS ?? 'prometheus'): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'runware-prometheus-'))
  const config = join(dir, 'prometheus.yml')
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 250ms',
      '  scrape_timeout: 200ms',
      'scrape_configs:',
      '  - job_name: runware-worker',
      '    static_configs:',
      `      - targets: [${targets.map((target) => JSON.stringify(target)).join(', ')}]`,
      '',
    ].join('\n'),
  )
  const port = await freeRedisPort()
  const child = spawn(
    binary,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let output = ''
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve)
    child.once('error', (error) => reject(new Error(`cannot start ${binary} (install Debian's prometheus): ${error.message}`)))
  })
  await spawned
  const url = `http://127.0.0.1:${port}`
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${output}`)
        return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true
      },
      'prometheus ready',
      20_000,
      100,
    )
  } catch (error) {
    await stop()
    throw error
  }
  return {
    url,
    stop,
    query: async (promql) => {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)
      const body = (await response.json()) as { status: string; data?: { result?: { metric: Record<string, string>; value: [number, string] }[] } }
      if (body.status !== 'success') throw new Error(`query ${promql}: ${JSON.stringify(body)}`)
      return (body.data?.result ?? []).map((row) => ({ metric: row.metric, value: Number(row.value[1]) }))
    },
  }
}
