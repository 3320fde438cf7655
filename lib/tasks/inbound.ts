/**
 * Inbound routing, pure: an envelope becomes calls on a sink, in frame order, with no state of
 * its own. Data items are told apart by shape: no taskUUID (a pong, the auth reply, or an
 * orphan), a getResponse answer (it carries a poll `status`), or a pushed result. One answer is
 * the full current state of one task, so its items are grouped and handed over together, after
 * the pushed items of the frame.
 */
import { isAuthReply, isPong, type DataItem, type Envelope, type ErrorItem, type FrameIssue, type ResultItem } from '../protocol/protocol.js'
import { POLL_STATUSES } from './task-kinds.js'

export interface InboundSink {
  /** Parts of the frame were malformed and skipped. */
  issues(issues: readonly FrameIssue[]): void
  /** A skipped item named this task: it can never be fed by it, so it fails now. */
  refused(taskUUID: string, issue: FrameIssue): void
  pong(): void
  /** An item that names no task and is neither a pong nor the auth reply. */
  stray(item: DataItem): void
  /** A result item pushed by the server (or an async task's acknowledgement). */
  pushed(taskUUID: string, item: ResultItem): void
  /** One getResponse answer: every item it holds for the task. */
  answered(taskUUID: string, items: readonly ResultItem[]): void
  /** `{"data": []}`: a getResponse answer for an id the server does not know. */
  empty(): void
  taskError(taskUUID: string, error: ErrorItem): void
  unaddressedError(error: ErrorItem): void
}

export function isPollItem(item: DataItem): boolean {
  const status = item.status
  return typeof status === 'string' && POLL_STATUSES.has(status)
}

export function route(envelope: Envelope, sink: InboundSink): void {
  if (envelope.issues.length > 0) {
    sink.issues(envelope.issues)
    for (const issue of envelope.issues) if (issue.taskUUID !== undefined) sink.refused(issue.taskUUID, issue)
  }
  let answers: Map<string, ResultItem[]> | undefined
  for (const item of envelope.data) {
    const taskUUID = item.taskUUID
    if (taskUUID === undefined) {
      if (isPong(item)) sink.pong()
      else if (!isAuthReply(item)) sink.stray(item)
    } else if (isPollItem(item)) {
      answers ??= new Map()
      const items = answers.get(taskUUID)
      if (items === undefined) answers.set(taskUUID, [item as ResultItem])
      else items.push(item as ResultItem)
    } else {
      sink.pushed(taskUUID, item as ResultItem)
    }
  }
  if (answers !== undefined) for (const [taskUUID, items] of answers) sink.answered(taskUUID, items)
  if (envelope.data.length === 0 && envelope.errors.length === 0) sink.empty()
  for (const error of envelope.errors) {
    if (error.taskUUID === undefined) sink.unaddressedError(error)
    else sink.taskError(error.taskUUID, error)
  }
}
