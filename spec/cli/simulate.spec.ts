import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { RunwareServer } from '@runware/sdk-js'
import { describe, expect, it } from 'vitest'
import { parseSimulateArgs, simulatorOptions } from '../../lib/cli/simulate.js'
import { TestClient } from '../helpers/test-client.js'
import { exitOf, spawnCli, useCli } from './process.js'

const LISTENING = /^runware simulator listening on (ws:\/\/127\.0\.0\.1:(\d+)\/v1)$/m

describe('runware-socket simulate', () => {
  useCli()

  it('serves @runware/sdk-js on the port it picked, then closes cleanly on SIGINT (exit 0)', async () => {
    const cli = spawnCli(['simulate', '--port', '0', '--api-key', 'sdk-key-1', '--api-key', 'sdk-key-2', '--latency-ms', '5-20'])
    const [, url = '', port = ''] = await cli.waitFor(LISTENING)
    expect(Number(port)).toBeGreaterThan(0)
    const runware = new RunwareServer({ apiKey: 'sdk-key-2', url, shouldReconnect: false })
    try {
      const images = await runware.imageInference({ positivePrompt: 'a lighthouse at dusk', model: 'runware:101@1', width: 512, height: 512, numberResults: 2 })
      expect(images).toHaveLength(2)
      for (const image of images ?? []) expect(image.imageURL).toMatch(/^https:\/\/example\.invalid\//)
    } finally {
      await runware.disconnect()
    }
    cli.child.kill('SIGINT')
    expect(await exitOf(cli, 10_000)).toEqual({ code: 0, signal: null })
    expect(cli.stderr()).toMatch(/closed after \d+ connection\(s\), 1 task\(s\) executed, 2 item\(s\) produced, 0 executed twice/)
    // Keys are configuration, not output.
    expect(cli.stdout() + cli.stderr()).not.toContain('sdk-key')
  })

  it('refuses a key it was not given', async () => {
    const cli = spawnCli(['simulate', '--port', '0', '--api-key', 'the-only-key'])
    const [, url = ''] = await cli.waitFor(LISTENING)
    const runware = new RunwareServer({ apiKey: 'another-key', url, shouldReconnect: false })
    try {
      const failure: unknown = await runware.imageInference({ positivePrompt: 'a cat', model: 'runware:101@1', width: 512, height: 512 }).then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(failure).toMatchObject({ error: { code: 'invalidApiKey' } })
    } finally {
      await runware.disconnect()
    }
    cli.child.kill('SIGTERM')
    expect((await exitOf(cli, 10_000)).code).toBe(0)
  })

  it('a port in use is exit 3 with the reason', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const address = blocker.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    try {
      const cli = spawnCli(['simulate', '--port', String(port)])
      expect((await exitOf(cli)).code).toBe(3)
      expect(cli.stderr()).toContain(`cannot listen on 127.0.0.1:${port}: address in use`)
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
  })

  it('refuses bad flags with exit 2', async () => {
    const cli = spawnCli(['simulate', '--port', '70000'])
    expect((await exitOf(cli)).code).toBe(2)
    expect(cli.stderr()).toContain('--port must be a whole number from 0 to 65535')
  })
})

describe('runware-socket simulate: the fidelity options (#13)', () => {
  it('--help lists every option', async () => {
    const cli = spawnCli(['simulate', '--help'])
    expect((await exitOf(cli)).code).toBe(0)
    for (const flag of [
      '--port',
      '--host',
      '--seed',
      '--latency-ms',
      '--async-ms',
      '--chaos',
      '--framing',
      '--api-key',
      '--auth-error-shape',
      '--unknown-task',
      '--retention-ms',
      '--load-per-task-ms',
      '--capacity',
    ]) {
      expect(cli.stdout()).toContain(flag)
    }
    expect(cli.stdout()).toMatch(/item \| task \| batch \| mixed/)
  })

  it('parses the new flags into simulator options, and refuses bad values', () => {
    const config = parseSimulateArgs([
      '--framing',
      'mixed',
      '--auth-error-shape',
      'legacy',
      '--unknown-task',
      'error',
      '--retention-ms',
      '1000',
      '--load-per-task-ms',
      '5',
      '--refuse-upgrade',
    ])
    if (config === 'help') throw new Error('help')
    expect(simulatorOptions(config)).toMatchObject({
      framing: 'mixed',
      authErrorShape: 'legacy',
      unknownTaskAnswer: 'error',
      retentionMs: 1000,
      load: { perTaskMs: 5 },
      refuseUpgrade: true,
    })
    expect(() => parseSimulateArgs(['--auth-error-shape', 'xml'])).toThrow(/--auth-error-shape must be one of errors, error, legacy/)
    expect(() => parseSimulateArgs(['--unknown-task', 'maybe'])).toThrow(/--unknown-task must be one of empty, error/)
    expect(() => parseSimulateArgs(['--retention-ms', '-1'])).toThrow(/--retention-ms/)
  })

  it('a standalone simulator with --auth-error-shape error answers a bad key with a singular error object', async () => {
    const cli = spawnCli(['simulate', '--port', '0', '--api-key', 'good-key', '--auth-error-shape', 'error'])
    const url = (await cli.waitFor(LISTENING))[1] ?? ''
    const client = await TestClient.connect(url)
    try {
      client.send([{ taskType: 'authentication', apiKey: 'bad' }])
      expect((await client.next()).body).toMatchObject({ error: { code: 'invalidApiKey' } })
    } finally {
      await client.close()
      cli.child.kill('SIGTERM')
      await exitOf(cli)
    }
  })

  it('a standalone simulator with --capacity runs K at once and refuses past its queue with rateLimitExceeded', async () => {
    const cli = spawnCli(['simulate', '--port', '0', '--capacity', 'sim:tight@1=slots:1,service-ms:2000'])
    const url = (await cli.waitFor(LISTENING))[1] ?? ''
    const client = await TestClient.connect(url)
    try {
      await client.auth('any-key-0123456789')
      const task = (n: number) => ({
        taskType: 'imageInference',
        taskUUID: randomUUID(),
        model: 'sim:tight@1',
        positivePrompt: `tight ${n}`,
        width: 512,
        height: 512,
      })
      const [first, second] = [task(1), task(2)]
      client.send([first, second])
      const refused = await client.next((frame) => frame.errors.length > 0)
      expect(refused.errors[0]).toMatchObject({ code: 'rateLimitExceeded', taskUUID: second.taskUUID })
    } finally {
      await client.close()
      cli.child.kill('SIGTERM')
      await exitOf(cli)
    }
  })
})
