/**
 * Dispatch: `runware-socket <command> [options]` → an exit code. Usage errors print the problem and
 * where to find help (exit 2); anything unexpected prints one line (exit 3), never a key.
 */
import { readFileSync } from 'node:fs'
import { UsageError } from './args.js'
import { demo, parseDemoArgs } from './demo.js'
import { DEMO_HELP, ENQUEUE_HELP, MAIN_HELP, RUN_HELP, SIMULATE_HELP, WORKER_HELP } from './help.js'
import { parseEnqueueArgs, parseWorkerArgs } from './fleet-args.js'
import { EXIT, scrubbedIo, type Io } from './io.js'
import { runBatch } from './run.js'
import { parseRunArgs } from './run-args.js'
import { parseSimulateArgs, simulate } from './simulate.js'

const HELP: Readonly<Record<string, string>> = { demo: DEMO_HELP, run: RUN_HELP, simulate: SIMULATE_HELP, worker: WORKER_HELP, enqueue: ENQUEUE_HELP }

/** The package version, read from package.json beside lib/ (sources) or dist/ (the build). */
export function version(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
    const parsed = JSON.parse(text) as { version?: unknown }
    return typeof parsed.version === 'string' ? parsed.version : 'unknown'
  } catch {
    return 'unknown'
  }
}

export async function main(argv: readonly string[], given: Io): Promise<number> {
  const io = scrubbedIo(given, given.env.RUNWARE_API_KEY)
  const [command, ...rest] = argv
  try {
    switch (command) {
      case undefined:
        // No command is a usage error: the help goes where errors go.
        io.stderr.write(MAIN_HELP)
        return EXIT.usage
      case '-h':
      case '--help':
        io.stdout.write(MAIN_HELP)
        return EXIT.ok
      case 'help': {
        const topic = rest[0]
        const text = topic === undefined ? MAIN_HELP : HELP[topic]
        if (text === undefined) throw new UsageError(`unknown command ${JSON.stringify(topic)}`)
        io.stdout.write(text)
        return EXIT.ok
      }
      case '-v':
      case '--version':
        io.stdout.write(`${version()}\n`)
        return EXIT.ok
      case 'demo': {
        const config = parseDemoArgs(rest)
        if (config === 'help') return help(io, DEMO_HELP)
        return await demo(config, io)
      }
      case 'run': {
        const config = parseRunArgs(rest, io.env)
        if (config === 'help') return help(io, RUN_HELP)
        return await runBatch(config, io)
      }
      case 'simulate': {
        const config = parseSimulateArgs(rest)
        if (config === 'help') return help(io, SIMULATE_HELP)
        return await simulate(config, io)
      }
      case 'worker': {
        const config = parseWorkerArgs(rest, io.env)
        if (config === 'help') return help(io, WORKER_HELP)
        // Loaded on use: bullmq is an optional peer, and no other command needs it.
        const { runWorker } = await import('./worker.js')
        return await runWorker(config, io)
      }
      case 'enqueue': {
        const config = parseEnqueueArgs(rest)
        if (config === 'help') return help(io, ENQUEUE_HELP)
        const { runEnqueue } = await import('./enqueue.js')
        return await runEnqueue(config, io)
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`)
    }
  } catch (error) {
    if (error instanceof UsageError) {
      const where = error.command === undefined ? '' : ` ${error.command}`
      io.stderr.write(`runware-socket${where}: ${error.message}\nTry 'runware-socket${where} --help'.\n`)
      return EXIT.usage
    }
    const message = error instanceof Error ? error.message : String(error)
    io.stderr.write(`runware-socket${command === undefined ? '' : ` ${command}`}: ${message}\n`)
    return EXIT.fatal
  }
}

function help(io: Io, text: string): number {
  io.stdout.write(text)
  return EXIT.ok
}
