/**
 * Where the bench gets runware-socket and its simulator. BENCH_LIB picks:
 *   (unset)     lib/ compiled as shipped (see build-lib.ts)
 *   source      lib/'s TypeScript through tsx (to see what tsx's keepNames costs)
 *   <directory> another copy of lib/ (a candidate fix), compiled the same way
 * The launcher (run.ts) compiles before the bench starts; this module only loads.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as Lib from '../lib/index.js'
import type * as Simulator from '../lib/simulator/index.js'
import { BUILD, libChoice } from './build-lib.js'

async function load<T>(path: string): Promise<T> {
  if (libChoice() === 'source') return (await import(new URL(`../lib/${path}.js`, import.meta.url).href)) as T
  return (await import(pathToFileURL(join(BUILD, `${path}.js`)).href)) as T
}

export const lib = await load<typeof Lib>('index')
export const simulator = await load<typeof Simulator>('simulator/index')
