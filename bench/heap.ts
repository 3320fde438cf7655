/** Heap readings that mean something: only after full collections (the bench runs with --expose-gc). */

function collector(): () => void {
  const gc = globalThis.gc
  if (gc === undefined) throw new Error('the bench needs --expose-gc (bench/run.ts restarts itself with it)')
  // Plain gc(): on Node 20 the options form ({ type: 'major' }) does not run a full collection.
  return () => {
    gc()
  }
}

/** Full collections until the heap stops shrinking (finalizers and weak maps can free more on a second pass). */
export async function settleHeap(): Promise<number> {
  const gc = collector()
  let last = Infinity
  for (let i = 0; i < 5; i++) {
    // Let pending callbacks (socket writes, promise reactions) finish first.
    await new Promise((resolve) => setImmediate(resolve))
    gc()
    const used = process.memoryUsage().heapUsed
    if (used >= last - 1024) return used
    last = used
  }
  return last
}

/** A collection without measuring, to start a timed run from a clean heap. */
export function collect(): void {
  collector()()
}
