/**
 * Ids that need no storage: the same idempotency key gives the same taskUUID in any process, and
 * a retry's id is derived from the task's first id and the attempt, so a later process walks the
 * same chain of ids (collecting each attempt the server already has) instead of minting new ones.
 * Every id is UUID v4-shaped (version and variant bits set), from SHA-256.
 */
import { createHash, createHmac } from 'node:crypto'

/** Keys longer than this are refused: a key is an id, not a document. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 1_024

/** 16 bytes of a digest as a v4-shaped UUID. */
function uuidOf(digest: Buffer): string {
  const bytes = Buffer.from(digest.subarray(0, 16))
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/**
 * The namespace keys live in when none is given: one-way from the API key (an HMAC under it), so
 * two accounts never share ids and nothing derived reveals the key. A rotated key is a new
 * namespace: pass `idempotencyNamespace` to keep ids across a rotation.
 */
export function defaultNamespace(apiKey: string): string {
  return createHmac('sha256', apiKey).update('runware-socket/idempotency-namespace/v1').digest('hex')
}

/** The taskUUID of an idempotency key in a namespace. */
export function keyedTaskUUID(namespace: string, key: string): string {
  return uuidOf(createHash('sha256').update('runware-socket/idempotency/v1\0').update(namespace).update('\0').update(key).digest())
}

/** The id of a task's attempt `attempt` (0 is its first id itself). */
export function attemptTaskUUID(firstUUID: string, attempt: number): string {
  if (attempt === 0) return firstUUID
  return uuidOf(createHash('sha256').update(`runware-socket/attempt/v1\0${firstUUID.toLowerCase()}\0${attempt}`).digest())
}
