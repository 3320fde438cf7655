/** The shape of the house, kept (#10): small modules, imports pointing one way. */
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

describe('the structure', () => {
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
