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

export interface RedisSettings {
  /** A fixed port (a restart on the same address); a free one otherwise. */
  readonly port?: number | undefined
  /** The data directory (kept across a restart); a fresh temporary one otherwise. */
  readonly dir?: string | undefined
  /** AOF persistence (appendonly yes). @default false */
  readonly aof?: boolean | undefined
  /** More redis-server flags, e.g. ['--maxmemory-policy', 'allkeys-lru']. */
  readonly args?: readonly string[] | undefined
}

export function freeRedisPort(): Promise<number> {
  return freePort()
}

export async function startRedis(settings: RedisSettings = {}, binary = process.env.REDIS_SERVER ?? 'redis-server'): Promise<RedisServer> {
  const dir = settings.dir ?? mkdtempSync(join(tmpdir(), 'runware-redis-'))
  const owned = settings.dir === undefined
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = settings.port ?? (await freePort())
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      settings.aof === true ? 'yes' : 'no',
      '--protected-mode',
      'no',
      ...(settings.args ?? []),
    ]
    const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    // Redis says when it is ready; its exit says why it is not. No polling.
    const ready = new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve('did not say it was ready within 10 s'), 10_000)
      const seen = (chunk: Buffer): void => {
        output += chunk.toString()
        if (/Ready to accept connections/i.test(output)) {
          clearTimeout(timer)
          resolve(undefined)
        }
      }
      child.stdout?.on('data', seen)
      child.stderr?.on('data', seen)
      child.once('error', (error) => {
        clearTimeout(timer)
        resolve(error.message)
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        resolve(`exited with ${String(code)}: ${output.trim().split('\n').slice(-3).join(' | ')}`)
      })
    })
    const outcome = await ready
    if (outcome === undefined && (await ping(port))) {
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            const gone = new Promise((resolve) => child.once('exit', resolve))
            child.kill('SIGTERM')
            await gone
          }
          if (owned) rmSync(dir, { recursive: true, force: true })
        },
      }
    }
    child.kill('SIGKILL')
    // A port taken between our check and redis's bind: try another; anything else is the answer.
    if (outcome !== undefined && (settings.port !== undefined || !/Address already in use/i.test(outcome))) {
      if (owned) rmSync(dir, { recursive: true, force: true })
      throw new Error(`redis-server could not start (${binary}): ${outcome}. Install it with: apt-get install -y redis-server`)
    }
  }
  if (owned) rmSync(dir, { recursive: true, force: true })
  throw new Error('redis-server could not start on a free port in 5 attempts')
}
