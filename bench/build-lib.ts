/**
 * The library as shipped: lib/ compiled to JavaScript the way `npm run build` (tsc) emits it, so
 * the bench measures what users run. Running lib/ through tsx instead would measure tsx: it
 * compiles with esbuild's keepNames, which wraps every named arrow function in a
 * `__name(fn, "…")` call (Object.defineProperty), a property array on each closure created per
 * task, in time and heap that dist/ never pays.
 *
 * Each file goes through TypeScript's own `transpileModule` with the build's compiler options
 * (the project is isolatedModules + verbatimModuleSyntax, so this is tsc's emit, minus type
 * checking). It goes to node_modules/.cache (ignored by git, eslint and tsc), with a package.json
 * saying "module" since Node stops looking for one at node_modules; it is reused while no source
 * changed.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type TypeScript from 'typescript'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const LIB = join(ROOT, 'lib')
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json'].map((name) => join(ROOT, name))
const CACHE = join(ROOT, 'node_modules', '.cache', 'runware-socket-bench')
export const BUILD = join(CACHE, 'lib')
const STAMP = join(CACHE, 'stamp.json')

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
}

/** Path, size and mtime of every input: a new stamp means a new build. */
async function fingerprint(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    [...files, ...CONFIGS].map(async (file) => {
      const info = await stat(file)
      return `${relative(ROOT, file)}:${info.size}:${info.mtimeMs}`
    }),
  )
  return JSON.stringify(parts)
}

function compilerOptions(ts: typeof TypeScript): TypeScript.CompilerOptions {
  const read = ts.readConfigFile(join(ROOT, 'tsconfig.build.json'), (file) => ts.sys.readFile(file))
  if (read.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(read.config as object, ts.sys, ROOT)
  // transpileModule cannot see package.json's "type": "module", so ESM output is asked for outright
  // (what tsc emits for NodeNext in this package).
  return {
    ...parsed.options,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    noEmit: false,
  }
}

/**
 * Compiles lib/ (or another copy of it, e.g. a candidate fix) into the cache unless it is up to
 * date; returns the output directory.
 */
export async function buildLib(from: string = LIB): Promise<string> {
  const files = await sources(from)
  const stamp = `${from}\n${await fingerprint(files)}`
  const previous = await readFile(STAMP, 'utf8').catch(() => '')
  if (previous === stamp) return BUILD
  const ts = (await import('typescript')).default
  const options = compilerOptions(ts)
  await rm(CACHE, { recursive: true, force: true })
  await mkdir(CACHE, { recursive: true })
  await writeFile(join(CACHE, 'package.json'), '{ "type": "module", "private": true }\n')
  for (const file of files) {
    const output = ts.transpileModule(await readFile(file, 'utf8'), { compilerOptions: options, fileName: file, reportDiagnostics: false })
    const target = join(BUILD, relative(from, file)).replace(/\.ts$/, '.js')
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, output.outputText)
  }
  await writeFile(STAMP, stamp)
  return BUILD
}

/** What BENCH_LIB asks for: 'build', 'source', or the directory of a lib/ copy to compile. */
export function libChoice(): string {
  const value = process.env.BENCH_LIB ?? ''
  if (value === '' || value === 'build') return 'build'
  if (value === 'source') return 'source'
  return resolve(value)
}

/**
 * The commit lib/ was compiled from, with "+dirty" when lib/ (the CLI aside: not measured) had
 * uncommitted changes then. Others work in the same tree: a figure must say which code it measured.
 */
export function libRevision(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib', ':!lib/cli'], { cwd: ROOT, encoding: 'utf8' }).trim() !== ''
    return `${head}${dirty ? '+dirty' : ''}`
  } catch {
    return 'unknown'
  }
}
