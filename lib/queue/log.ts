/**
 * The fleet's log lines: the caller's logger (the same shape the client takes), called through one
 * guarded path. A throwing logger changes nothing; with no logger, nothing is written anywhere.
 */
import type { Logger } from '../api/options.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export type QueueLog = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void

export function queueLog(logger: Logger | undefined, fields: Record<string, unknown>): QueueLog {
  return (level, message, extra) => {
    if (logger?.[level] === undefined) return
    try {
      logger[level](message, { ...fields, ...extra })
    } catch {
      // The logger is the one place a throw cannot be reported: the line is dropped, nothing else.
    }
  }
}
