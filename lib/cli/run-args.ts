/** `runware-socket run`'s command line: flags, defaults, and the checks made before anything runs. */
import { statSync } from 'node:fs'
import { DEFAULTS } from '../api/options.js'
import { apiKeyFromEnv, expectPositionals, integerFlag, outputFlag, outputOf, parseFlags, UsageError, urlFlag } from './args.js'
import type { Io } from './io.js'

export interface RunConfig {
  /** A path, or `-` for stdin. */
  input: string
  /** Undefined: records go to stdout. */
  output: string | undefined
  concurrency: number
  url: string
  timeoutMs: number | undefined
  drainMs: number
  connectTimeoutMs: number
  /** ws:// to a host that is not loopback, knowingly. */
  allowCleartext: boolean
  apiKey: string
}

export const RUN_DEFAULTS = { concurrency: 16, drainMs: 10_000, connectTimeoutMs: 30_000 } as const

export function parseRunArgs(args: readonly string[], env: Io['env']): RunConfig | 'help' {
  const { values, positionals } = parseFlags('run', args, {
    output: { type: 'string', short: 'o' },
    out: { type: 'string' },
    concurrency: { type: 'string' },
    'allow-cleartext': { type: 'boolean' },
    url: { type: 'string' },
    'timeout-ms': { type: 'string' },
    'drain-ms': { type: 'string' },
    'connect-timeout-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  })
  if (values.help === true) return 'help'
  const [input = ''] = expectPositionals('run', positionals, ['tasks.jsonl'])
  const output = outputFlag('run', 'output', outputOf('run', values), input)
  const allowCleartext = values['allow-cleartext'] === true
  const apiKey = apiKeyFromEnv('run', env)
  return {
    input,
    output,
    concurrency: integerFlag('run', 'concurrency', values.concurrency, { min: 1, max: 10_000 }) ?? RUN_DEFAULTS.concurrency,
    url: urlFlag('run', values.url, allowCleartext) ?? DEFAULTS.url,
    timeoutMs: integerFlag('run', 'timeout-ms', values['timeout-ms'], { min: 1 }),
    drainMs: integerFlag('run', 'drain-ms', values['drain-ms'], { min: 0 }) ?? RUN_DEFAULTS.drainMs,
    connectTimeoutMs: integerFlag('run', 'connect-timeout-ms', values['connect-timeout-ms'], { min: 1 }) ?? RUN_DEFAULTS.connectTimeoutMs,
    allowCleartext,
    apiKey,
  }
}

export function checkInput(path: string): void {
  let isFile: boolean
  try {
    isFile = statSync(path).isFile()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${String(code)}`, 'run')
  }
  if (!isFile) throw new UsageError(`not a file: ${path}`, 'run')
}
