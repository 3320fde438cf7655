import { createServer } from 'node:net'
import { RunwareServer } from '@runware/sdk-js'
import { describe, expect, it } from 'vitest'
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
