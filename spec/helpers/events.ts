import type { EventEmitter } from 'eventemitter3'

const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout

/** Resolves with the first `event` whose payload matches, or rejects after `timeoutMs` (real time). */
export function nextEvent<Events extends EventEmitter.ValidEventTypes, Name extends EventEmitter.EventNames<Events>>(
  emitter: EventEmitter<Events>,
  event: Name,
  predicate: (...args: EventEmitter.EventArgs<Events, Name>) => boolean = () => true,
  timeoutMs = 3000,
): Promise<EventEmitter.EventArgs<Events, Name>> {
  return new Promise((resolve, reject) => {
    const listener = (...args: EventEmitter.EventArgs<Events, Name>): void => {
      if (!predicate(...args)) return
      realClearTimeout(timer)
      emitter.off(event, listener as EventEmitter.EventListener<Events, Name>)
      resolve(args)
    }
    const timer = realSetTimeout(() => {
      emitter.off(event, listener as EventEmitter.EventListener<Events, Name>)
      reject(new Error(`no ${String(event)} event within ${timeoutMs} ms`))
    }, timeoutMs)
    emitter.on(event, listener as EventEmitter.EventListener<Events, Name>)
  })
}
