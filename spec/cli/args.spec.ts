import { describe, expect, it } from 'vitest'
import { choiceFlag, integerFlag, latencyFlag, UsageError, urlFlag } from '../../lib/cli/args.js'
import { DEMO_DEFAULTS, parseDemoArgs } from '../../lib/cli/demo.js'
import { EXIT } from '../../lib/cli/io.js'
import { main, version } from '../../lib/cli/main.js'
import { parseEnqueueArgs, parseWorkerArgs } from '../../lib/cli/fleet-args.js'
import { parseRunArgs, RUN_DEFAULTS } from '../../lib/cli/run-args.js'
import { parseSimulateArgs } from '../../lib/cli/simulate.js'
import { fakeIo } from './fake-io.js'

const KEY = { RUNWARE_API_KEY: 'unit-key-0123456789' }

describe('flag values', () => {
  it('integers: whole numbers in range only', () => {
    expect(integerFlag('x', 'n', undefined)).toBeUndefined()
    expect(integerFlag('x', 'n', '42', { min: 1 })).toBe(42)
    for (const bad of ['', '1.5', '1e3', 'ten', '0x10', '-1']) {
      expect(() => integerFlag('x', 'n', bad, { min: 0 }), bad).toThrow(UsageError)
    }
    expect(() => integerFlag('x', 'n', '11', { min: 1, max: 10 })).toThrow('--n must be a whole number from 1 to 10, got "11"')
  })

  it('choices, latencies and URLs', () => {
    expect(choiceFlag('x', 'chaos', 'light', ['off', 'light'])).toBe('light')
    expect(() => choiceFlag('x', 'chaos', 'LIGHT', ['off', 'light'])).toThrow(UsageError)
    expect(latencyFlag('x', '50')).toBe(50)
    expect(latencyFlag('x', '20-200')).toEqual({ min: 20, max: 200 })
    expect(() => latencyFlag('x', '200-20')).toThrow(UsageError)
    expect(() => latencyFlag('x', 'fast')).toThrow(UsageError)
    expect(urlFlag('x', 'ws://127.0.0.1:1/v1')).toBe('ws://127.0.0.1:1/v1')
    expect(() => urlFlag('x', 'https://example.com')).toThrow('--url must start with ws:// or wss://')
    expect(() => urlFlag('x', 'not a url')).toThrow(UsageError)
  })
})

describe('demo flags', () => {
  it('defaults to 1000 tasks under heavy chaos', () => {
    expect(parseDemoArgs([])).toEqual(DEMO_DEFAULTS)
    expect(DEMO_DEFAULTS).toMatchObject({ tasks: 1000, chaos: 'heavy' })
  })

  it('reads --tasks, --seed, --chaos, --concurrency, --transport; --help wins', () => {
    expect(parseDemoArgs(['--tasks', '300', '--seed', '3', '--chaos', 'off', '--concurrency', '8', '--transport', 'http'])).toEqual({
      tasks: 300,
      seed: 3,
      chaos: 'off',
      concurrency: 8,
      transport: 'http',
    })
    expect(parseDemoArgs([])).toMatchObject({ transport: 'websocket' })
    expect(parseDemoArgs(['--transport=auto'])).toMatchObject({ transport: 'auto' })
    expect(parseDemoArgs(['--tasks=5'])).toMatchObject({ tasks: 5 })
    expect(parseDemoArgs(['--tasks', 'x', '--help'])).toBe('help')
  })

  it('refuses unknown flags, stray arguments and bad values', () => {
    expect(() => parseDemoArgs(['--task', '3'])).toThrow(/Unknown option '--task'/)
    expect(() => parseDemoArgs(['now'])).toThrow('unexpected argument "now"')
    expect(() => parseDemoArgs(['--tasks', '0'])).toThrow(UsageError)
    expect(() => parseDemoArgs(['--tasks'])).toThrow(UsageError)
    expect(() => parseDemoArgs(['--transport', 'rest'])).toThrow(UsageError)
  })
})

describe('run flags', () => {
  it('needs the input file and RUNWARE_API_KEY; help needs neither', () => {
    expect(parseRunArgs(['--help'], {})).toBe('help')
    expect(() => parseRunArgs([], KEY)).toThrow('missing <tasks.jsonl>')
    expect(() => parseRunArgs(['a.jsonl'], {})).toThrow('RUNWARE_API_KEY is not set')
    expect(() => parseRunArgs(['a.jsonl'], { RUNWARE_API_KEY: '  ' })).toThrow('RUNWARE_API_KEY is not set')
    expect(() => parseRunArgs(['a.jsonl', 'b.jsonl'], KEY)).toThrow('unexpected argument "b.jsonl"')
  })

  it('defaults: stdout, concurrency 16, the Runware URL, drain 10 s', () => {
    expect(parseRunArgs(['a.jsonl'], KEY)).toEqual({
      input: 'a.jsonl',
      output: undefined,
      concurrency: RUN_DEFAULTS.concurrency,
      url: 'wss://ws-api.runware.ai/v1',
      timeoutMs: undefined,
      drainMs: 10_000,
      connectTimeoutMs: 30_000,
      allowCleartext: false,
      apiKey: 'unit-key-0123456789',
    })
  })

  it('reads every flag', () => {
    const config = parseRunArgs(
      ['-', '-o', 'out.jsonl', '--concurrency', '4', '--url', 'ws://127.0.0.1:9/v1', '--timeout-ms', '5000', '--drain-ms', '0', '--connect-timeout-ms', '500'],
      KEY,
    )
    expect(config).toMatchObject({
      input: '-',
      output: 'out.jsonl',
      concurrency: 4,
      url: 'ws://127.0.0.1:9/v1',
      timeoutMs: 5000,
      drainMs: 0,
      connectTimeoutMs: 500,
    })
  })

  it('refuses the input as output', () => {
    expect(() => parseRunArgs(['a.jsonl', '-o', './a.jsonl'], KEY)).toThrow('the output file must not be the input file')
  })
})

describe('simulate flags', () => {
  it('defaults to port 8080 on 127.0.0.1, chaos off, any key', () => {
    expect(parseSimulateArgs([])).toEqual({
      port: 8080,
      host: '127.0.0.1',
      seed: 1,
      latencyMs: 0,
      asyncMs: 3000,
      chaos: 'off',
      framing: 'task',
      apiKeys: [],
      authErrorShape: 'errors',
      unknownTask: 'empty',
      retentionMs: 3_600_000,
      loadPerTaskMs: 0,
      capacity: {},
      refuseUpgrade: false,
    })
  })

  it('takes --capacity per model, and refuses what is not one', () => {
    const config = parseSimulateArgs(['--capacity', 'runware:101@1=slots:8,queue:16,service-ms:30-300,max-wait-ms:10000', '--capacity', 'klingai:5@3=slots:2'])
    expect(config !== 'help' && config.capacity).toEqual({
      'runware:101@1': { slots: 8, queue: 16, serviceMs: { min: 30, max: 300 }, maxWaitMs: 10_000 },
      'klingai:5@3': { slots: 2 },
    })
    for (const bad of ['slots:8', '=slots:8', 'm=queue:3', 'm=slots:0', 'm=slots:2,slot:3', 'm=slots:2,slots:3', 'm=slots:x', 'm=slots:2,service-ms:9-1'])
      expect(() => parseSimulateArgs(['--capacity', bad]), bad).toThrow(UsageError)
    expect(() => parseSimulateArgs(['--capacity', 'm=slots:1', '--capacity', 'm=slots:2'])).toThrow(/twice/)
  })

  it('takes --port 0, a latency range and repeated --api-key', () => {
    expect(
      parseSimulateArgs(['--port', '0', '--latency-ms', '10-50', '--api-key', 'a', '--api-key', 'b', '--framing', 'item', '--chaos', 'light']),
    ).toMatchObject({
      port: 0,
      latencyMs: { min: 10, max: 50 },
      apiKeys: ['a', 'b'],
      framing: 'item',
      chaos: 'light',
    })
    expect(() => parseSimulateArgs(['--api-key', ''])).toThrow(UsageError)
    expect(() => parseSimulateArgs(['--framing', 'frame'])).toThrow(UsageError)
  })
})

describe('main', () => {
  it('--help and help <command> print usage with the exit codes, exit 0', async () => {
    const io = fakeIo()
    expect(await main(['--help'], io)).toBe(EXIT.ok)
    expect(io.out()).toContain('Usage: runware-socket <command>')
    expect(io.out()).toMatch(/130 +interrupted by SIGINT/)
    for (const command of ['demo', 'run', 'simulate']) {
      const each = fakeIo()
      expect(await main([command, '--help'], each)).toBe(0)
      expect(each.out()).toContain(`Usage: runware-socket ${command}`)
      const viaHelp = fakeIo()
      expect(await main(['help', command], viaHelp)).toBe(0)
      expect(viaHelp.out()).toBe(each.out())
    }
  })

  it('no command is a usage error that still shows the help', async () => {
    const io = fakeIo()
    expect(await main([], io)).toBe(EXIT.usage)
    expect(io.err()).toContain('Commands:')
    expect(io.out()).toBe('')
  })

  it('an unknown command or flag: exit 2, the problem and where help is, on stderr', async () => {
    const io = fakeIo()
    expect(await main(['deploy'], io)).toBe(2)
    expect(io.err()).toBe('runware-socket: unknown command "deploy"\nTry \'runware-socket --help\'.\n')
    const flag = fakeIo()
    expect(await main(['simulate', '--prot', '1'], flag)).toBe(2)
    expect(flag.err()).toContain("runware-socket simulate: Unknown option '--prot'")
  })

  it('--version prints the package version', async () => {
    const io = fakeIo()
    expect(await main(['--version'], io)).toBe(0)
    expect(io.out()).toMatch(/^\d+\.\d+\.\d+/)
    expect(io.out().trim()).toBe(version())
  })
})

describe('the output flag and cleartext, spelled alike across commands', () => {
  it('run takes -o, --output or --out; enqueue the same; two different files are refused', () => {
    expect(parseRunArgs(['a.jsonl', '--out', 'r.jsonl'], KEY)).toMatchObject({ output: 'r.jsonl' })
    expect(parseRunArgs(['a.jsonl', '-o', 'r.jsonl'], KEY)).toMatchObject({ output: 'r.jsonl' })
    expect(parseEnqueueArgs(['a.jsonl', '--redis', 'redis://h', '--output', 'r.jsonl'])).toMatchObject({ output: 'r.jsonl' })
    expect(parseEnqueueArgs(['a.jsonl', '--redis', 'redis://h', '--out', 'r.jsonl'])).toMatchObject({ output: 'r.jsonl' })
    expect(() => parseRunArgs(['a.jsonl', '--out', 'r.jsonl', '-o', 's.jsonl'], KEY)).toThrow('--output and --out name two files')
  })

  it('a ws:// URL to another host needs --allow-cleartext, and says so in the command’s own words', () => {
    expect(() => parseRunArgs(['a.jsonl', '--url', 'ws://10.0.0.5:8080/v1'], KEY)).toThrow('use wss://, or pass --allow-cleartext')
    expect(() => parseWorkerArgs(['--redis', 'redis://h', '--url', 'ws://10.0.0.5:8080/v1'], KEY)).toThrow('use wss://, or pass --allow-cleartext')
    expect(parseRunArgs(['a.jsonl', '--url', 'ws://10.0.0.5:8080/v1', '--allow-cleartext'], KEY)).toMatchObject({
      allowCleartext: true,
      url: 'ws://10.0.0.5:8080/v1',
    })
    expect(parseWorkerArgs(['--redis', 'redis://h', '--url', 'ws://10.0.0.5:8080/v1', '--allow-cleartext'], KEY)).toMatchObject({ allowCleartext: true })
    expect(parseRunArgs(['a.jsonl', '--url', 'ws://127.0.0.1:8080/v1'], KEY)).toMatchObject({ allowCleartext: false })
  })
})
