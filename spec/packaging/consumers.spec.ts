/**
 * The package as a user gets it (#11): `npm pack`, installed from the tarball into a fresh project
 * with nothing else but typescript, then used from an ES module, from CommonJS, from TypeScript
 * under `module: nodenext` (ESM and CommonJS) and `moduleResolution: bundler` with
 * `skipLibCheck: false`, and through the installed bin. Each does real work against the simulator
 * from `runware-socket/simulator`. The TypeScript cases run under the TypeScript this repository
 * builds with (6) and under TypeScript 7, what `npm i -D typescript` installs now.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const typescriptVersion =
  (JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(root, 'package.json'), 'utf8'))) as { devDependencies: Record<string, string> })
    .devDependencies.typescript ?? '~6.0'

/** The work every consumer does; `load` is how it gets the two entries. */
function program(load: string, header = ''): string {
  return `${header}${load}
async function main() {
  const sim = await startSimulator()
  const client = new RunwareSocket({ apiKey: 'consumer-key-0123456789', url: sim.url })
  const images = await client.run({ taskType: 'imageInference', model: 'runware:101@1', positivePrompt: 'a fox', width: 512, height: 512, numberResults: 2 })
  const texts = await client.run({ taskType: 'promptEnhance', prompt: 'a castle', promptVersions: 2 })
  let rejected = 'none'
  try {
    await client.run({ taskType: 'imageInference', model: 'runware:101@1', positivePrompt: 'a fox', width: 5, height: 5 })
  } catch (error) {
    rejected = error instanceof RunwareError ? error.code : String(error)
  }
  const other = await client.run(untyped({ taskType: 'imageInference', model: 'runware:101@1', positivePrompt: 'untyped path', width: 512, height: 512 }))
  await client.close()
  await sim.close()
  console.log(JSON.stringify({ images: images.length, first: images[0]?.imageUUID.length, texts: texts.length, rejected, other: other.length }))
}
void main()
`
}

const EXPECTED = { images: 2, first: 36, texts: 2, rejected: 'invalidWidth', other: 1 }
const ESM = "import { RunwareError, RunwareSocket, untyped } from 'runware-socket'\nimport { startSimulator } from 'runware-socket/simulator'\n"

/** TypeScript 7 goes in a folder of its own inside the consumer: the projects resolve the package from the consumer's node_modules either way. */
const TYPESCRIPT_7 = '7'

let work = ''
let modules = ''
let packed: string[] = []
const compilers: Record<string, string> = {}

async function node(args: readonly string[], cwd: string): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd, timeout: 60_000 })
  return stdout
}

async function tsc(project: string, version: string): Promise<void> {
  const compiler = compilers[version]
  if (compiler === undefined) throw new Error(`no TypeScript ${version} installed`)
  await node([compiler, '-p', project], project)
}

function project(name: string, files: Record<string, unknown>): string {
  const dir = join(work, name)
  mkdirSync(dir, { recursive: true })
  for (const [file, content] of Object.entries(files))
    writeFileSync(join(dir, file), typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`)
  return dir
}

const strict = { strict: true, skipLibCheck: false, outDir: 'out', rootDir: '.', noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true }

describe('a fresh consumer project', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'runware-socket-consumer-'))
    // prepare builds dist/ first, as it does for a git install.
    await run('npm', ['pack', '--pack-destination', work], { cwd: root, timeout: 120_000 })
    const tarball = readdirSync(work).find((file) => file.endsWith('.tgz'))
    if (tarball === undefined) throw new Error('npm pack made no tarball')
    packed = (await run('tar', ['-tzf', join(work, tarball)])).stdout.split('\n').filter((line) => line !== '')
    writeFileSync(
      join(work, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, dependencies: { 'runware-socket': `file:./${tarball}`, typescript: typescriptVersion } }),
    )
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: work, timeout: 170_000 })
    modules = join(work, 'node_modules')
    const seven = join(work, 'typescript-7')
    mkdirSync(seven)
    writeFileSync(join(seven, 'package.json'), JSON.stringify({ name: 'typescript-7', private: true, dependencies: { typescript: TYPESCRIPT_7 } }))
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: seven, timeout: 170_000 })
    compilers['6'] = join(modules, 'typescript/bin/tsc')
    compilers['7'] = join(seven, 'node_modules/typescript/bin/tsc')
  }, 400_000)

  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true })
  })

  it('ships dist/ as built from lib/ now: every module has its source, no map, nothing left from an earlier layout', () => {
    const dist = packed.filter((path) => path.startsWith('package/dist/')).map((path) => path.slice('package/dist/'.length))
    expect(dist.filter((path) => path.endsWith('.map'))).toEqual([])
    const modulesShipped = dist.filter((path) => path.endsWith('.js'))
    expect(modulesShipped.length).toBeGreaterThan(50)
    expect(modulesShipped.filter((path) => !existsSync(join(root, 'lib', path.replace(/\.js$/, '.ts'))))).toEqual([])
    expect(dist.filter((path) => !path.endsWith('.js') && !path.endsWith('.d.ts'))).toEqual([])
    expect(packed.filter((path) => !path.startsWith('package/dist/')).sort()).toEqual(['package/LICENSE', 'package/README.md', 'package/package.json'])
  })

  it('installs nothing but the package, its three dependencies and typescript', () => {
    const installed = readdirSync(modules).filter((name) => !name.startsWith('.'))
    expect(installed.sort()).toEqual(['eventemitter3', 'nanoid', 'runware-socket', 'typescript', 'ws'])
  })

  it('an ES module imports both entries and runs tasks', async () => {
    const dir = project('esm', { 'package.json': { type: 'module' }, 'index.js': program(ESM) })
    expect(JSON.parse(await node(['index.js'], dir))).toEqual(EXPECTED)
  })

  it('a CommonJS module requires both entries and runs tasks', async () => {
    const load = "const { RunwareError, RunwareSocket, untyped } = require('runware-socket')\nconst { startSimulator } = require('runware-socket/simulator')\n"
    const dir = project('cjs', { 'package.json': { type: 'commonjs' }, 'index.js': program(load) })
    expect(JSON.parse(await node(['index.js'], dir))).toEqual(EXPECTED)
  })

  describe.each(['6', '7'])('under TypeScript %s', (version) => {
    it('reports the compiler it is', async () => {
      const { stdout } = await run(process.execPath, [compilers[version] ?? '', '--version'])
      expect(stdout).toMatch(new RegExp(`Version ${version}\\.`))
    })

    it('TypeScript, module nodenext, an ES module package: type-checks strictly (skipLibCheck false) and runs', async () => {
      const dir = project(`ts${version}-nodenext-esm`, {
        'package.json': { type: 'module' },
        'tsconfig.json': { compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext' } },
        'index.ts': program(ESM),
      })
      await tsc(dir, version)
      expect(JSON.parse(await node(['out/index.js'], dir))).toEqual(EXPECTED)
    })

    it('TypeScript, module nodenext, a CommonJS package: type-checks strictly and runs (require of the ES build)', async () => {
      const dir = project(`ts${version}-nodenext-cjs`, {
        'package.json': { type: 'commonjs' },
        'tsconfig.json': { compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext' } },
        'index.ts': program(ESM),
      })
      await tsc(dir, version)
      expect(JSON.parse(await node(['out/index.js'], dir))).toEqual(EXPECTED)
    })

    it('TypeScript, moduleResolution bundler: type-checks strictly and runs', async () => {
      const dir = project(`ts${version}-bundler`, {
        'package.json': { type: 'module' },
        'tsconfig.json': { compilerOptions: { ...strict, module: 'esnext', moduleResolution: 'bundler', target: 'es2022' } },
        'index.ts': program(ESM),
      })
      await tsc(dir, version)
      expect(JSON.parse(await node(['out/index.js'], dir))).toEqual(EXPECTED)
    })

    it('the published types need no DOM, Node or ws typings (lib ES2022 only, no @types at all)', async () => {
      const uses = `${ESM}
export async function work(client: RunwareSocket, signal: AbortSignalLike): Promise<number> {
  const sim = await startSimulator({ latencyMs: 1 })
  const items = await client.run({ taskType: 'imageInference', model: 'm', positivePrompt: 'p' }, { signal, onResult: (item) => item.imageUUID })
  await sim.close()
  return items.length
}
export const failed = (error: unknown): string | undefined => (error instanceof RunwareError ? error.code : undefined)
export const hatch = untyped
`.replace(
        "import { RunwareError, RunwareSocket, untyped } from 'runware-socket'",
        "import { RunwareError, RunwareSocket, untyped, type AbortSignalLike } from 'runware-socket'",
      )
      const dir = project(`ts${version}-no-lib`, {
        'package.json': { type: 'module' },
        'tsconfig.json': { compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', lib: ['ES2022'], types: [], noEmit: true } },
        'index.ts': uses,
      })
      await tsc(dir, version)
    })

    it('a misspelt field does not compile, and the message names the field it meant', async () => {
      const dir = project(`ts${version}-typo`, {
        'package.json': { type: 'module' },
        'tsconfig.json': { compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', noEmit: true } },
        'index.ts':
          "import { RunwareSocket } from 'runware-socket'\n" +
          "const client = new RunwareSocket({ apiKey: 'consumer-key-0123456789' })\n" +
          "void client.run({ taskType: 'imageInference', model: 'm', positivePrompt: 'p', widht: 512 })\n",
      })
      const failure = await tsc(dir, version).then(
        () => ({ stdout: 'compiled' }),
        (error: unknown) => error as { stdout: string },
      )
      // TypeScript 7 explains a failed overloaded call by its last overload only: the typed one must be it.
      expect(failure.stdout).toContain("'widht' does not exist")
      expect(failure.stdout).toContain("Did you mean to write 'width'?")
    })
  })

  it('the installed bin runs the demo on the packaged simulator', async () => {
    const bin = join(modules, '.bin', 'runware-socket')
    const { stdout } = await run(bin, ['demo', '--tasks', '40', '--chaos', 'light', '--concurrency', '10'], { cwd: work, timeout: 60_000 })
    expect(stdout).toContain('OK: nothing lost, nothing ran twice')
    const version = await run(bin, ['--version'], { cwd: work })
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })
})
