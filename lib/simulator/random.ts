/**
 * Seeded randomness. Every random choice the simulator makes (latency, chaos, fractions, result
 * seeds) comes from a stream forked off one seed, so a run can be replayed exactly, and turning on
 * one kind of chaos does not shift the draws of another.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number
  /** True with probability `p`; draws nothing when `p` is 0 or less, so idle knobs cost no entropy. */
  chance(p: number): boolean
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T
  /** An independent stream named `label`, derived from this stream's seed. */
  fork(label: string): Random
}

/** mulberry32: tiny, fast, and good enough for test traffic (not for cryptography). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** FNV-1a, to turn a fork label into seed bits. */
function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export function createRandom(seed: number): Random {
  const next = mulberry32(seed)
  return {
    next,
    int(min, max) {
      return min + Math.floor(next() * (max - min + 1))
    },
    chance(p) {
      if (p <= 0) return false
      if (p >= 1) return true
      return next() < p
    },
    pick<T>(items: readonly T[]): T {
      const item = items[Math.floor(next() * items.length)]
      if (item === undefined) throw new RangeError('pick() needs a non-empty list')
      return item
    },
    fork(label) {
      return createRandom((seed ^ hash(label)) >>> 0)
    },
  }
}
