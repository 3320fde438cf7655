/**
 * The shape of the house, kept (#10, #22): small modules, imports pointing one way, folders by
 * concern with the rules between them as data, a one-line purpose for each folder.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function sources(folder: string): string[] {
  const found: string[] = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (path.endsWith('.ts')) found.push(path)
    }
  }
  walk(join(root, folder))
  return found
}

/** Relative imports and re-exports, type-only ones included (a circle of types is still a circle). */
function importsOf(file: string, known: ReadonlySet<string>): string[] {
  const text = readFileSync(file, 'utf8')
  const targets = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)].map((match) =>
    resolve(dirname(file), (match[1] ?? '').replace(/\.js$/, '.ts')),
  )
  return targets.filter((target) => known.has(target))
}

function cycles(files: readonly string[]): string[] {
  const known = new Set(files)
  const graph = new Map(files.map((file) => [file, importsOf(file, known)]))
  const found = new Set<string>()
  const onStack: string[] = []
  const done = new Set<string>()
  const visit = (file: string): void => {
    onStack.push(file)
    for (const next of graph.get(file) ?? []) {
      const at = onStack.indexOf(next)
      if (at >= 0)
        found.add(
          onStack
            .slice(at)
            .map((path) => relative(root, path))
            .join(' → '),
        )
      else if (!done.has(next)) visit(next)
    }
    onStack.pop()
    done.add(file)
  }
  for (const file of files) if (!done.has(file)) visit(file)
  return [...found]
}

/**
 * What each folder of lib/ may import from the rest of lib/ (its own files always). A folder not
 * listed (cli/) may import anything; the files at the top (client, stream, index, cli) too, but
 * the main entry never loads the simulator, the fleet or the command (packaging/entry.spec.ts).
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  // The wire format stands alone: types, ids, encoding, parsing.
  protocol: [],
  // The two state tables are data, with nothing to import.
  machines: [],
  // What now: pure decisions over the tables; no I/O, no support code.
  recovery: ['machines'],
  // How many at once: adaptive concurrency limits as pure functions of what was observed.
  capacity: [],
  // The public types.
  api: ['machines', 'protocol', 'recovery', 'support'],
  // Clock, schedule, backoff, errors, the door to caller code, options checking.
  support: ['api', 'protocol', 'recovery'],
  // One socket's lifecycle: never task code.
  connection: ['api', 'machines', 'protocol', 'support'],
  // A task from admission to settlement: the connection only through its port.
  tasks: ['api', 'machines', 'protocol', 'recovery', 'capacity', 'support', 'connection/port.ts'],
  // Durability: the journal's keeper (beside the engine, through its port), the file journal, recover() and drain().
  durable: ['api', 'protocol', 'recovery', 'support', 'tasks'],
  // OpenTelemetry, optional: watches tasks through the engine's observer port; never decides anything.
  telemetry: ['api', 'machines', 'support', 'tasks'],
  // The fleet: the client and its tasks, never the simulator or the command.
  queue: ['api', 'protocol', 'recovery', 'support', 'tasks', 'durable', 'telemetry/propagation.ts', 'client.ts'],
  // The simulator speaks the protocol on its own clock: nothing else of the client.
  simulator: ['protocol', 'support/clock.ts'],
}

/** Packages that do I/O: none of them in the folders that decide or describe. */
const IO_PACKAGES = ['ws', 'bullmq', 'ioredis', 'node:net', 'node:http', 'node:https', 'node:fs', 'node:child_process']
const NO_IO = ['protocol', 'machines', 'recovery', 'capacity', 'api', 'tasks']

/** Whether a file in `folder` may import `to` (a path under lib/). */
function mayImport(folder: string, to: string): boolean {
  const allowed = MAY_IMPORT[folder]
  if (allowed === undefined) return true
  const targetFolder = to.includes('/') ? to.split('/')[0] : undefined
  return targetFolder === folder || allowed.includes(to) || (targetFolder !== undefined && allowed.includes(targetFolder))
}

/** `lib/tasks/engine.ts` → `tasks`; `lib/client.ts` → undefined (the top). */
function folderOf(file: string): string | undefined {
  const parts = relative(join(root, 'lib'), file).split('/')
  return parts.length > 1 ? parts[0] : undefined
}

function violations(): string[] {
  const files = sources('lib')
  const known = new Set(files)
  const found: string[] = []
  for (const file of files) {
    const folder = folderOf(file)
    if (folder !== undefined) {
      for (const target of importsOf(file, known)) {
        const to = relative(join(root, 'lib'), target)
        if (!mayImport(folder, to)) found.push(`${relative(root, file)} imports ${to}`)
      }
    }
    if (folder !== undefined && NO_IO.includes(folder)) {
      const text = readFileSync(file, 'utf8')
      for (const name of IO_PACKAGES) if (text.includes(`from '${name}'`)) found.push(`${relative(root, file)} imports ${name} (I/O)`)
    }
  }
  return found
}

describe('the structure', () => {
  it('every folder imports only what its rule allows (MAY_IMPORT), and the deciding folders do no I/O', () => {
    expect(violations()).toEqual([])
  })

  it('the rule refuses what it should: task code in the connection, I/O-free folders reaching into others', () => {
    expect(mayImport('connection', 'tasks/engine.ts')).toBe(false)
    expect(mayImport('tasks', 'connection/connection.ts')).toBe(false)
    expect(mayImport('tasks', 'connection/port.ts')).toBe(true)
    expect(mayImport('recovery', 'support/errors.ts')).toBe(false)
    expect(mayImport('simulator', 'tasks/engine.ts')).toBe(false)
    expect(mayImport('simulator', 'support/clock.ts')).toBe(true)
    expect(mayImport('cli', 'simulator/index.ts')).toBe(true)
  })

  it('every folder of lib/ says what it is for, in a README.md whose first line is its purpose', () => {
    const folders = readdirSync(join(root, 'lib')).filter((name) => statSync(join(root, 'lib', name)).isDirectory())
    const missing = folders.filter((name) => {
      try {
        return readFileSync(join(root, 'lib', name, 'README.md'), 'utf8').trim() === ''
      } catch {
        return true
      }
    })
    expect(missing).toEqual([])
    expect(folders.filter((name) => !(name in MAY_IMPORT) && name !== 'cli')).toEqual([])
  })

  it('no module under lib/ is over 300 lines', () => {
    const long = sources('lib')
      .map((file) => ({ file: relative(root, file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > 300)
    expect(long).toEqual([])
  })

  it('no line of code in lib/, spec/ or bench/ is over the formatter’s width (160, .prettierrc.json)', () => {
    const width = (JSON.parse(readFileSync(join(root, '.prettierrc.json'), 'utf8')) as { printWidth: number }).printWidth
    const long = [...sources('lib'), ...sources('spec'), ...sources('bench')].flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (Array.from(line).length > width ? [`${relative(root, file)}:${i + 1}`] : [])),
    )
    expect(long).toEqual([])
  })

  it('no import circle in lib/ or bench/', () => {
    expect(cycles([...sources('lib'), ...sources('bench')])).toEqual([])
  })

  it('the check finds a circle when there is one', () => {
    const a = join(root, 'spec/fixtures/cycle-a.ts')
    const b = join(root, 'spec/fixtures/cycle-b.ts')
    expect(cycles([a, b])).toEqual(['spec/fixtures/cycle-a.ts → spec/fixtures/cycle-b.ts'])
  })
})
