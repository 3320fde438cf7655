/**
 * `npm run bench [-- --quick] [-- --only <scenario>[,<scenario>]]`
 *
 * First compiles lib/ as shipped (build-lib.ts; BENCH_LIB selects another source, see
 * lib-under-test.ts). The heap figures need full collections on demand, so the bench runs under
 * --expose-gc: without it this launcher starts the bench again with it (extra node flags may come
 * from BENCH_NODE_FLAGS, e.g. "--cpu-prof"), and otherwise hands over to main.ts.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { buildLib, libChoice, libRevision } from './build-lib.js'

async function compile(): Promise<void> {
  process.env.BENCH_LIB_REVISION = libRevision()
  const choice = libChoice()
  if (choice === 'source') return
  await buildLib(...(choice === 'build' ? [] : [choice]))
}

if (typeof globalThis.gc === 'function') {
  if (process.env.BENCH_BUILT !== '1') await compile()
  const { main } = await import('./main.js')
  process.exitCode = await main(process.argv.slice(2))
} else {
  await compile()
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '')
  const self = fileURLToPath(import.meta.url)
  const child = spawnSync(process.execPath, ['--expose-gc', ...extra, '--import', 'tsx', self, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_BUILT: '1' },
  })
  process.exitCode = child.status ?? 1
}
