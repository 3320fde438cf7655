/** Injected faults, by kind. Scripted controls and seeded chaos both count here. */
export interface FaultStats {
  /** Sockets terminated by dropAll, dropAfterFrames or chaos dropRate. */
  drops: number
  /** Sockets made half-open by silence() or chaos silenceRate. */
  silences: number
  /** Tasks given an injected failure (failNext, failTasks, chaos failRate). */
  failures: number
  /** Authentications refused by failAuth or a revoked key. */
  authFailures: number
  /** Tasks refused by rateLimit() or chaos rateLimitRate (not executed). */
  rateLimits: number
  /** Result frames sent twice. */
  duplicates: number
  /** Malformed frames sent. */
  malformed: number
  /** Tasks given extra latency by delay() or chaos delayRate. */
  delays: number
  /** Async acknowledgements never sent (loseAcks, chaos lostAckRate). */
  lostAcks: number
  /** getResponse answers never sent (loseAnswers, chaos lostAnswerRate). */
  lostAnswers: number
  /** HTTP requests run, then answered by a destroyed connection (resetAfterAccept). */
  resets: number
  /** Text streams cut midway (cutStreams). */
  streamCuts: number
  /** HTTP requests answered with an injected status (failRequests). */
  statuses: number
  /** Injected failures by error code (failures only). */
  byCode: Record<string, number>
}

/** Live counters; read them at any time, they are never reset. */
export interface SimulatorStats {
  /** WebSocket connections accepted. */
  connections: number
  /** Sockets currently open (silent ones included). */
  openSockets: number
  /** Successful authentications (resumes included). */
  authentications: number
  /** Refused authentications (bad or missing key, failAuth). */
  authFailures: number
  /** Authentications that re-attached an existing session within the resume window. */
  resumes: number
  /** Work tasks received (everything but authentication, ping and getResponse), valid or not. */
  tasksReceived: number
  /** getResponse requests answered. */
  polls: number
  /** Tasks validated and answered without running (`dryRun`). */
  dryRuns: number
  /** Tasks the server knows now (running, or finished within retentionMs): what its memory holds. */
  tasksKnown: number
  /**
   * Executions by taskUUID. A task is executed once the server accepts it for work: validated, not a
   * conflict, not rate-limited. An injected failure models a runtime failure, so it counts.
   */
  executions: Map<string, number>
  /** taskUUIDs executed more than once (should always be empty: a known taskUUID is a conflict). */
  executedTwice(): string[]
  /** Result data items written to sockets (duplicates and replays included). */
  resultsSent: number
  /** Successful result items generated: what a customer would be billed for. */
  itemsProduced: number
  /** Items (data and errors) pushed from a session buffer after a resume. */
  replayed: number
  /** Pings answered. */
  pings: number
  /** Frames received (silent sockets included). */
  framesReceived: number
  /** Frames written to sockets, of every kind. */
  framesSent: number
  faults: FaultStats
  /** taskUUID → code of every injected failure, so a test can check the client rejected exactly those. */
  failedTasks: Map<string, string>
  /** taskUUID → code of every injected rate limit (the last one, if a taskUUID was refused twice). */
  rateLimitedTasks: Map<string, string>
  /** Tasks refused because their model's slots and queue were full (`capacity`; not executed). */
  capacityRefusals: number
  /** Tasks that waited past their model's maxWaitMs (`capacity`; executed, failed). */
  queueWaitTimeouts: number
  /** HTTP requests with a body (POST), answered or not. */
  httpRequests: number
  /** WebSocket upgrades refused (`refuseUpgrade`). */
  upgradesRefused: number
  /** Text answers sent as server-sent events (`deliveryMethod: "stream"`). */
  streams: number
  /** Streams the client closed before [DONE] (it stopped reading: an abort, a loop left early). */
  streamsLeft: number
}

export function createStats(): SimulatorStats {
  const executions = new Map<string, number>()
  return {
    connections: 0,
    openSockets: 0,
    authentications: 0,
    authFailures: 0,
    resumes: 0,
    tasksReceived: 0,
    polls: 0,
    dryRuns: 0,
    tasksKnown: 0,
    executions,
    executedTwice: () => [...executions].filter(([, count]) => count > 1).map(([taskUUID]) => taskUUID),
    resultsSent: 0,
    itemsProduced: 0,
    replayed: 0,
    pings: 0,
    framesReceived: 0,
    framesSent: 0,
    faults: {
      drops: 0,
      silences: 0,
      failures: 0,
      authFailures: 0,
      rateLimits: 0,
      duplicates: 0,
      malformed: 0,
      delays: 0,
      lostAcks: 0,
      lostAnswers: 0,
      resets: 0,
      streamCuts: 0,
      statuses: 0,
      byCode: {},
    },
    failedTasks: new Map(),
    rateLimitedTasks: new Map(),
    capacityRefusals: 0,
    queueWaitTimeouts: 0,
    httpRequests: 0,
    upgradesRefused: 0,
    streams: 0,
    streamsLeft: 0,
  }
}
