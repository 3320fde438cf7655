/**
 * Capacity that shifts (`npx tsx bench/capacity-shift.ts [--quick]`): does the adaptive limit
 * follow a model whose capacity drops and then returns? One model, `slow` of bench/capacity.ts
 * (8 slots, a queue of 16, 30–300 ms), a backlog of 400 tasks; at `DROP` its capacity falls to 2
 * slots and a queue of 4 (a provider losing machines), at `BACK` it returns to 8 and 16
 * (sim.setCapacity). Beside adaptive, the best fixed `maxInFlight` of the capacity sweep (32) and
 * one tuned to the full capacity (24, its slots + queue) under the same schedule, in turns.
 * Per second: results, capacity codes, and the adaptive limit; per phase: goodput and capacity
 * codes; for adaptive, how long after `BACK` until its limit is back to 80 % of where it stood
 * before the drop.
 */
import { startSimulator } from '../lib/simulator/index.js'
import { API_KEY } from './clients/types.js'
import { capacityClient, SLOW_CAPACITY, SLOW_MODEL } from './capacity-setup.js'

const quick = process.argv.includes('--quick')
const SCALE = quick ? 0.5 : 1
const DROP_S = 30 * SCALE
const BACK_S = 45 * SCALE
const END_S = 90 * SCALE
const BACKLOG = 400
const MODEL = SLOW_MODEL
const FULL = SLOW_CAPACITY
const LOW = { ...FULL, slots: 2, queue: 4 }
const CAPACITY_CODES = new Set(['rateLimitExceeded', 'queueWaitTimeout'])

interface Second {
  results: number
  codes: number
  limit: number | undefined
}

async function run(setting: string, options: { maxInFlight?: number; adaptive?: boolean }): Promise<Second[]> {
  const sim = await startSimulator({ apiKeys: [API_KEY], seed: 11, capacity: { [MODEL]: FULL } })
  const client = capacityClient(sim.url, options)
  const seconds: Second[] = Array.from({ length: Math.ceil(END_S) }, () => ({ results: 0, codes: 0, limit: undefined }))
  const started = performance.now()
  const bucket = (): Second | undefined => seconds[Math.floor((performance.now() - started) / 1_000)]
  let limit: number | undefined
  client.on('limit', (event) => (limit = event.limit))
  client.on('task', (event) => {
    const code = event.type === 'retry' || (event.type === 'settled' && event.outcome === 'rejected') ? event.code : undefined
    if (code !== undefined && CAPACITY_CODES.has(code)) {
      const now = bucket()
      if (now !== undefined) now.codes += 1
    }
  })
  await client.connect()
  let stop = false
  let i = 0
  const one = async (): Promise<void> => {
    while (!stop) {
      try {
        await client.run({ taskType: 'imageInference', model: MODEL, positivePrompt: `shift ${i++}`, width: 512, height: 512 })
        const now = bucket()
        if (now !== undefined) now.results += 1
      } catch {
        // Counted as codes above when it was capacity; anything else is not this bench's subject.
      }
    }
  }
  const feeding = Promise.all(Array.from({ length: BACKLOG }, one))
  const tick = setInterval(() => {
    const now = bucket()
    if (now !== undefined) now.limit = limit
  }, 100)
  const at = (s: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, started + s * 1_000 - performance.now())))
  await at(DROP_S)
  sim.setCapacity(MODEL, LOW)
  await at(BACK_S)
  sim.setCapacity(MODEL, FULL)
  await at(END_S)
  stop = true
  clearInterval(tick)
  await client.close()
  await feeding
  await sim.close()
  console.log(`${setting}: done`)
  return seconds
}

const sum = (seconds: readonly Second[], from: number, to: number, field: 'results' | 'codes'): number =>
  seconds.slice(Math.floor(from), Math.floor(to)).reduce((total, second) => total + second[field], 0)

function phases(setting: string, seconds: readonly Second[]): string {
  const warm = 10 * SCALE
  const rate = (from: number, to: number): string => (sum(seconds, from, to, 'results') / (Math.floor(to) - Math.floor(from))).toFixed(1)
  const settle = 5 * SCALE
  const cells = [
    setting,
    rate(warm, DROP_S),
    rate(DROP_S, BACK_S),
    rate(BACK_S + settle, END_S),
    sum(seconds, warm, DROP_S, 'codes'),
    sum(seconds, DROP_S, BACK_S, 'codes'),
    sum(seconds, BACK_S, END_S, 'codes'),
  ]
  return `| ${cells.join(' | ')} |`
}

console.log(`capacity-shift: ${MODEL} full (8 slots, queue 16) until ${DROP_S} s, low (2, 4) until ${BACK_S} s, full until ${END_S} s; backlog ${BACKLOG}`)
const settings: [string, { maxInFlight?: number; adaptive?: boolean }][] = [
  ['adaptive', { adaptive: true }],
  ['maxInFlight 32', { maxInFlight: 32 }],
  ['maxInFlight 24', { maxInFlight: 24 }],
]
const results = new Map<string, Second[]>()
for (const [setting, options] of settings) results.set(setting, await run(setting, options))
console.log(
  `\n| setting | results/s full (${10 * SCALE}–${DROP_S} s) | low (${DROP_S}–${BACK_S} s) | full again (${BACK_S + 5 * SCALE}–${END_S} s) ` +
    '| capacity codes full | low | full again |',
)
console.log('|---|---|---|---|---|---|---|')
for (const [setting, seconds] of results) console.log(phases(setting, seconds))
const adaptive = results.get('adaptive') ?? []
const before = adaptive.slice(Math.floor(DROP_S - 5 * SCALE), Math.floor(DROP_S)).map((second) => second.limit ?? 0)
const level = before.reduce((a, b) => a + b, 0) / Math.max(1, before.length)
const low = Math.min(...adaptive.slice(Math.floor(DROP_S), Math.floor(BACK_S)).map((second) => second.limit ?? Infinity))
const back = adaptive.findIndex((second, s) => s >= BACK_S && (second.limit ?? 0) >= 0.8 * level)
console.log(`\nadaptive limit: ${level.toFixed(1)} before the drop (mean of its last ${5 * SCALE} s), ${low} at its lowest while low,`)
console.log(`back to 80 % of it ${back < 0 ? 'never (within the run)' : `${(back - BACK_S).toFixed(0)} s after capacity returned`}`)
console.log(`limit per second: ${adaptive.map((second) => second.limit ?? '-').join(' ')}`)
