/**
 * Every TypeScript or JavaScript block in README.md, CONTRIBUTING.md and docs/ compiles as it is
 * written, against the library's own source (`runware-socket` and its two other entries mapped to
 * lib/), with the settings of a strict consumer project. A block is a whole module: it imports
 * what it uses.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../cli/process.js'

interface Block {
  /** `docs/api.md block 2 (line 40)` */
  name: string
  file: string
}

const LANGUAGES = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs'])
const SOURCES = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`),
]
const OUT = join(ROOT, '.scratch', 'doc-blocks')

function blocksOf(source: string): { line: number; language: string; code: string }[] {
  const lines = readFileSync(join(ROOT, source), 'utf8').split('\n')
  const found: { line: number; language: string; code: string }[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)\s*$/.exec(lines[i] ?? '')
    if (open === null) continue
    const start = i
    const body: string[] = []
    for (i += 1; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i] ?? '')
    found.push({ line: start + 1, language: open[1] ?? '', code: body.join('\n') })
  }
  return found
}

const BLOCKS: Block[] = []
rmSync(OUT, { recursive: true, force: true })
mkdirSync(OUT, { recursive: true })
for (const source of SOURCES) {
  blocksOf(source)
    .filter((block) => LANGUAGES.has(block.language))
    .forEach((block, index) => {
      const file = join(OUT, `${source.replace(/[/.]/g, '_')}_${index + 1}.${block.language.startsWith('j') || block.language === 'mjs' ? 'mjs' : 'ts'}`)
      // `export {}`: a block with no import is still a module (top-level await, its own scope).
      writeFileSync(file, `${block.code}\nexport {}\n`)
      BLOCKS.push({ name: `${source} block ${index + 1} (line ${block.line})`, file })
    })
}

let diagnostics = new Map<string, string[]>()

beforeAll(() => {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    allowJs: true,
    checkJs: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    paths: {
      'runware-socket': [join(ROOT, 'lib/index.ts')],
      'runware-socket/simulator': [join(ROOT, 'lib/simulator/index.ts')],
      'runware-socket/queue': [join(ROOT, 'lib/queue/index.ts')],
    },
    allowImportingTsExtensions: true,
  }
  const program = ts.createProgram(
    BLOCKS.map((block) => block.file),
    options,
  )
  diagnostics = new Map(BLOCKS.map((block) => [block.file, [] as string[]]))
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file?.fileName
    if (file === undefined || !diagnostics.has(file)) continue
    const at = diagnostic.start === undefined ? '' : `:${(diagnostic.file?.getLineAndCharacterOfPosition(diagnostic.start).line ?? 0) + 1}`
    diagnostics.get(file)?.push(`${relative(ROOT, file)}${at}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`)
  }
}, 120_000)

describe('code blocks in the docs', () => {
  it('there are blocks to check', () => {
    expect(BLOCKS.length).toBeGreaterThanOrEqual(6)
  })

  it.each(BLOCKS.map((block) => [block.name, block.file] as const))('%s compiles', (_name, file) => {
    expect(diagnostics.get(file)).toEqual([])
  })
})
