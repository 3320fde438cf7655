/**
 * A private redis-server (Debian's) on a free loopback port with a temporary directory, for one
 * test run or one bench run; stopped and removed afterwards. No redis-server on the PATH is an
 * error, never a skip: `.ci/run` installs it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RedisServer {
  readonly url: string
  readonly port: number
  stop(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** Answers PING with PONG: the server is up. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket()
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

export async function startRedis(binary = process.env.REDIS_SERVER ?? 'redis-server'): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'runware-redis-'))
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const child: ChildProcess = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const failed = new Promise<string>((resolve) => {
      child.once('error', (error) => resolve(error.message))
      child.once('exit', (code) => resolve(`exited with ${String(code)}: ${output.trim().split('\n').slice(-3).join(' | ')}`))
    })
    let outcome: string | undefined
    void failed.then((why) => (outcome = why))
    const deadline = Date.now() + 10_000
    while (outcome === undefined && Date.now() < deadline) {
      if (await ping(port)) {
        return {
          port,
          url: `redis://127.0.0.1:${port}`,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) {
              const gone = new Promise((resolve) => child.once('exit', resolve))
              child.kill('SIGTERM')
              await gone
            }
            rmSync(dir, { recursive: true, force: true })
          },
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    child.kill('SIGKILL')
    // A port taken between our check and redis's bind: try another; anything else is the answer.
    if (outcome !== undefined && !/Address already in use/i.test(outcome)) {
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`redis-server could not start (${binary}): ${outcome}. Install it with: apt-get install -y redis-server`)
    }
  }
  rmSync(dir, { recursive: true, force: true })
  throw new Error('redis-server could not start on a free port in 5 attempts')
}
