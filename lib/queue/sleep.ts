/** A worker's sleeps: unref'd (they never keep a process alive), cut short by a stop signal. */

export const sleep = (ms: number, stop: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    timer.unref()
    stop.addEventListener('abort', done, { once: true })
    function done(): void {
      clearTimeout(timer)
      stop.removeEventListener('abort', done)
      resolve()
    }
  })

/** A signal that never fires, for sleeps nothing cuts short. */
export const never: AbortSignal = new AbortController().signal
