// Child process for spec/packaging/entry.spec.ts: imports one module and prints every module URL
// the import loaded, as a JSON array; with a second argument `client`, it also makes a
// RunwareSocket of that module first, and adds what CommonJS `require` loaded (no hook sees that). A loader hook (Node's module.register) sees each load; it
// runs on its own thread, so it appends to a file the main thread reads once the import is done.
import { mkdtempSync, readFileSync } from 'node:fs'
import { createRequire, register } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const log = join(mkdtempSync(join(tmpdir(), 'loaded-')), 'urls.txt')
const hook = `
import { appendFileSync } from 'node:fs'
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(log)}, url + '\\n')
  return next(url, context)
}
`
register(`data:text/javascript,${encodeURIComponent(hook)}`)
const target = process.argv[2]
if (target === undefined) throw new Error('usage: loaded.ts <module>')
const imported = (await import(target.startsWith('.') || target.startsWith('/') ? pathToFileURL(target).href : target)) as {
  RunwareSocket?: new (options: { apiKey: string; url: string }) => { close(): Promise<void> }
}
if (process.argv[3] === 'client' && imported.RunwareSocket !== undefined) {
  await new imported.RunwareSocket({ apiKey: 'child-key-0123456789', url: 'ws://127.0.0.1:1' }).close()
}
const urls = readFileSync(log, 'utf8')
  .split('\n')
  .filter((line) => line !== '')
  .concat(Object.keys(createRequire(import.meta.url).cache).map((path) => pathToFileURL(path).href))
process.stdout.write(`${JSON.stringify(urls)}\n`)
