// Child process for spec/packaging/entry.spec.ts: imports one module and prints every module URL
// the import loaded, as a JSON array. A loader hook (Node's module.register) sees each load; it
// runs on its own thread, so it appends to a file the main thread reads once the import is done.
import { mkdtempSync, readFileSync } from 'node:fs'
import { register } from 'node:module'
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
await import(target.startsWith('.') || target.startsWith('/') ? pathToFileURL(target).href : target)
const urls = readFileSync(log, 'utf8')
  .split('\n')
  .filter((line) => line !== '')
process.stdout.write(`${JSON.stringify(urls)}\n`)
