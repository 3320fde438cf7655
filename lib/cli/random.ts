import { mulberry32 } from '../simulator/random.js'

/** A small seeded PRNG (the simulator's): the demo's task mix and the client's jitter repeat per seed. */
export const seededRandom = mulberry32

/** An integer in [min, max]. */
export function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}
