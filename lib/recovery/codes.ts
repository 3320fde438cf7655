/**
 * The codes this library mints itself (the server never sends them), each with its category. A
 * typed record: a new library code without a category does not compile.
 */
/** What kind of failure a code is; policy.ts maps each category to what the client does. */
export type ErrorCategory =
  'auth' | 'quota' | 'validation' | 'safety' | 'notFound' | 'rateLimit' | 'timeout' | 'provider' | 'server' | 'conflict' | 'connection' | 'client' | 'unknown'

export const LIBRARY_CODES = {
  // The socket died; the task may be resent.
  connectionLost: 'connection',
  // Every reconnect attempt failed; later may work.
  reconnectFailed: 'connection',
  // The socket did not open in time.
  connectTimeout: 'connection',
  // No auth reply in time: a slow server, not a bad key.
  authTimeout: 'connection',
  // A frame over maxFrameBytes: the socket is dropped (ws closes it) and the client reconnects.
  frameTooLarge: 'connection',
  // The user called close().
  connectionClosed: 'client',
  // The user's AbortSignal fired.
  aborted: 'client',
  // The task's own deadline passed.
  taskTimeout: 'client',
  // maxQueued reached: back off and submit later.
  queueFull: 'client',
  // Rejected before it was sent.
  invalidTask: 'client',
  // Caller code (a listener, the logger, classify, onResult, …) threw; reported, nothing changed.
  callbackError: 'client',
  // The server said something we cannot read: never retry blindly.
  protocolError: 'unknown',
  // A bug in this library, caught before it reached the event loop.
  internalError: 'unknown',
  // A legacy `{error: true, errorId}` failure other than an invalid key: unknown, so never retried.
  legacyError: 'unknown',
  // A modelUpload reported `status: "failed"` without an error object of its own.
  modelUploadFailed: 'provider',
  // getResponse kept answering that it does not know the task (poll.maxEmptyAnswers times).
  taskUnknown: 'notFound',
  // runware-socket/queue: no such job (never added, or removed after its retention).
  jobNotFound: 'notFound',
  // runware-socket/queue: the job failed without a task error of its own (stalled too often, bad data).
  jobFailed: 'unknown',
  // runware-socket/queue: result() waited its timeoutMs and the job had not finished.
  resultTimeout: 'client',
  // runware-socket/queue: add() of a task under a job id that already holds a different task.
  jobConflict: 'client',
  // runware-socket/queue: Redis did not answer within the bound (checkRedis).
  redisUnavailable: 'connection',
  // The journal is held by another live process (its lock names the process).
  journalLocked: 'client',
  // The journal's file is not a journal, or is damaged before its last line.
  journalInvalid: 'client',
  // Writing the journal failed (a full disk, Redis away): the task was not sent.
  journalFailed: 'client',
  // drain() was called: nothing new is admitted.
  draining: 'client',
  // The client's budget (maxUSD) is spent: nothing new is admitted. About the account's spending,
  // like running out of credits: a fleet worker stops taking jobs and gives back those it holds.
  budgetExceeded: 'quota',
  // An HTTP answer with a 4xx status and no Runware body (a proxy's page): its status decides.
  httpError: 'unknown',
  // A streamed text ended before [DONE] (cut, silent, too long): the task ran, its pieces were
  // delivered, so it is not retried here; the same taskUUID again collects the whole text.
  streamInterrupted: 'unknown',
} as const satisfies Readonly<Record<string, ErrorCategory>>

export type LibraryErrorCode = keyof typeof LIBRARY_CODES

/**
 * Library codes that say nothing about the task's own fate: the server may have it, or may not.
 * Whoever tries again (the `run` command's restart, a fleet job's next attempt) uses the same
 * taskUUID, so a task the server did run is collected, never run and paid for twice.
 */
export const FATE_UNKNOWN_CODES: ReadonlySet<string> = new Set<LibraryErrorCode>([
  'taskTimeout',
  'connectionClosed',
  'connectionLost',
  'aborted',
  'queueFull',
  'reconnectFailed',
  'connectTimeout',
  'authTimeout',
  'frameTooLarge',
  'streamInterrupted',
])

/**
 * The category an HTTP status stands for when the error's code is one the table does not know
 * (Runware's errors page: 429 and 5xx transient, other 4xx not to be retried as they are).
 */
export function categoryOfStatus(status: number): ErrorCategory | undefined {
  if (status === 401 || status === 403) return 'auth'
  if (status === 402) return 'quota'
  if (status === 404) return 'notFound'
  if (status === 408) return 'timeout'
  if (status === 429) return 'rateLimit'
  if (status >= 500 && status <= 599) return 'server'
  if (status >= 400 && status <= 499) return 'validation'
  return undefined
}
