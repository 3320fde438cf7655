/**
 * The real timers, captured when this module loads (before any spec installs fake timers), so a
 * helper's own bound on how long it waits always runs on real time.
 */
export const realSetTimeout = globalThis.setTimeout
export const realClearTimeout = globalThis.clearTimeout
