/**
 * What `run` records for a rejected task. Only answers about a task are recorded: a timeout or our
 * own shutdown says nothing about it (left unrecorded, so a restart runs it under the same id); a
 * connection that failed for good stops the batch; an account error is recorded and stops it.
 */
import { FATE_UNKNOWN_CODES } from '../recovery/codes.js'
import { RunwareError } from '../support/errors.js'
import type { ErrorRecord } from './records.js'

export function describeError(error: unknown): string {
  if (error instanceof RunwareError) return `${error.code}: ${error.message}`
  if (error instanceof Error) return error.message
  return typeof error === 'string' ? error : JSON.stringify(error)
}

/** What to do with a rejected task. */
export type Disposition =
  /** `stop`: record it, then take no new lines (the account is at fault, not the line). */
  | { kind: 'record'; record: ErrorRecord; stop?: string }
  /** Its fate is unknown: leave it unrecorded for a restart. */
  | { kind: 'leave' }
  /** The connection failed for good: stop now, leave this one unrecorded. */
  | { kind: 'fail'; reason: string }

export function disposition(error: unknown, connectionFailed: boolean, line: number, taskUUID: string, taskType: string): Disposition {
  if (connectionFailed) return { kind: 'fail', reason: `the connection failed: ${describeError(error)}` }
  if (!(error instanceof RunwareError))
    return { kind: 'record', record: { line, taskUUID, taskType, status: 'error', code: 'unknown', message: describeError(error) } }
  if (FATE_UNKNOWN_CODES.has(error.code)) return { kind: 'leave' }
  const record: ErrorRecord = { line, taskUUID, taskType, status: 'error', code: error.code, message: error.message }
  if (error.parameter !== undefined) record.parameter = error.parameter
  if (error.category === 'quota') return { kind: 'record', record, stop: `the account refused work: ${describeError(error)}` }
  return { kind: 'record', record }
}
