/**
 * The shape every turn-taking scenario shares: warm each client up once per process, then rounds
 * in which the clients take turns (the order rotates each round, so none always goes first).
 */
import { createClient, type BenchClient, type ClientName } from './clients/index.js'
import { drive } from './drive.js'
import { collect } from './heap.js'
import type { SimControl } from './sim-control.js'

/** Clients already warmed up in this process: V8 needs ~400k tasks to settle (allocation sites, pretenuring). */
const warmed = new Set<ClientName>()

/**
 * Runs `tasks` tasks through each client once per process, before anything is measured; the
 * first ~400k tasks in a process run at about half the speed of later ones.
 */
export async function warmUp(sim: SimControl, names: readonly ClientName[], tasks: number, log: (line: string) => void): Promise<void> {
  const cold = names.filter((name) => name !== 'sdk' && !warmed.has(name))
  if (cold.length === 0 || tasks <= 0) return
  const url = await sim.start({ floor: true })
  for (const name of cold) {
    const client = createClient(name, url)
    await client.connect()
    const begin = performance.now()
    await drive(client, { total: tasks, concurrency: 1000 })
    await client.close()
    warmed.add(name)
    log(`  warm-up: ${name} ran ${tasks.toLocaleString('en-US')} tasks in ${((performance.now() - begin) / 1000).toFixed(1)} s`)
  }
}

/** The order of round `round`: rotated so each client takes each place in turn. */
export function turnOrder(names: readonly ClientName[], round: number): ClientName[] {
  const shift = round % names.length
  return [...names.slice(shift), ...names.slice(0, shift)]
}

/** One turn: a fresh, connected client, a full GC before it starts, closed afterwards. */
export async function withClient<T>(name: ClientName, url: string, use: (client: BenchClient) => Promise<T>): Promise<T> {
  const client = createClient(name, url)
  await client.connect()
  collect()
  try {
    return await use(client)
  } finally {
    await client.close()
  }
}
