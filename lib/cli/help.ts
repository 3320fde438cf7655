/** --help texts. The exit codes here are the contract scripts rely on: keep them in sync with EXIT. */

const EXIT_CODES = `Exit codes:
  0    success (run: every input line is recorded as ok)
  1    run: the batch finished but some lines failed or timed out
       demo: an invariant broke (a task lost, a task executed twice, items not delivered)
  2    usage error: bad flags, missing input file, RUNWARE_API_KEY not set
  3    stopped before the end: cannot connect, authentication refused, account out of
       credits, output not writable or its directory missing, port in use, internal error
       (run: a restart with the same -o picks up where it stopped)
  130  interrupted by SIGINT (Ctrl-C); 143 by SIGTERM`

export const MAIN_HELP = `Usage: runware-socket <command> [options]

One persistent WebSocket to the Runware API, from the command line.

Commands:
  demo       run a mixed workload through the built-in simulator with injected faults
  run        run a JSONL file of tasks against Runware, resumable
  simulate   start the Runware-protocol simulator as a standalone server
  worker     run a fleet worker: jobs from a Redis queue (BullMQ) through one WebSocket
  enqueue    put a JSONL file of tasks on that queue and collect the results, resumable

Options:
  -h, --help     show help (also: runware-socket <command> --help)
  -v, --version  print the version

${EXIT_CODES}
`

export const DEMO_HELP = `Usage: runware-socket demo [--tasks N] [--seed N] [--chaos off|light|heavy] [--concurrency N] [--transport T]

Starts the simulator in-process with seeded chaos (dropped sockets, silent sockets,
retryable and permanent error codes, rate limits, duplicate and malformed frames),
runs N tasks of mixed types (imageInference, promptEnhance, caption, removeBackground,
upscale, async videoInference) through one RunwareSocket, shows live progress on stderr
(a bar on a terminal, a line per second otherwise), then prints a summary on stdout.

Options:
  --tasks N          tasks to run (default 1000)
  --seed N           seeds the task mix, the simulator's faults and the client's jitter (default 1)
  --chaos LEVEL      off | light | heavy (default heavy)
  --concurrency N    tasks in flight at once (default 100)
  --transport T      websocket | http | auto (default websocket); auto meets a simulator
                     that refuses the WebSocket upgrade, so it falls back to HTTP
  -h, --help         show this help

Exit codes:
  0    nothing lost, nothing executed twice, every item the simulator produced was delivered
  1    any of those broke (the lost tasks are listed on stderr)
  2    usage error
  130  interrupted by SIGINT; 143 by SIGTERM
`

export const RUN_HELP = `Usage: runware-socket run <tasks.jsonl | -> [-o results.jsonl] [options]

Runs every line of a JSON Lines file (or stdin: -) as one Runware task through one WebSocket.
The API key comes from the RUNWARE_API_KEY environment variable (it is never printed).

Input: one task object per line, e.g.
  {"taskType":"imageInference","model":"runware:101@1","positivePrompt":"a fox","width":512,"height":512}
  Blank lines are skipped (not recorded). A line that is not a JSON object, or has no
  taskType, is recorded as a failure with code invalidTask and its line number; the rest goes on.
  A line without a taskUUID is sent with one derived from its text, its line number and the run
  (the first line of a new output file names it), so a restart with the same -o sends the same
  id and the server never runs it twice, while a new output starts a new run with new ids. Do
  not insert or remove lines in the input between restarts (appending is fine).

Output: a first line naming the run, {"run":"…","started":"…"}, then one JSON line per task,
appended as soon as the task settles (not in input order), each with its "run":
  {"line":12,"taskUUID":"…","taskType":"imageInference","status":"ok","results":[…]}
  {"line":13,"taskUUID":"…","taskType":"imageInference","status":"error","code":"…","message":"…"}
  {"line":7,"taskUUID":"…","status":"error","code":"invalidTask","message":"line 7 is not JSON: …"}
  Without -o the records go to stdout (nothing to resume from).
  Only answers are recorded: a task that timed out (--timeout-ms) is left unrecorded, so the
  next run collects it under the same taskUUID instead of skipping it.
  An account error (insufficientCredits and other quota codes) is recorded and stops the batch
  (exit 3): every later line would fail the same way.

Resuming: run again with the same -o file. Lines already recorded there (by taskUUID) are
skipped; a partial last record left by a hard kill is cut off and its task is run again
under the same taskUUID (the server answers conflictTaskUUID and its results are collected,
not paid for twice).

Ctrl-C (SIGINT) or SIGTERM: stops reading, waits up to --drain-ms for the tasks in flight
and records them, leaves the others unrecorded (a restart picks them up), exits 130/143.
A second Ctrl-C stops waiting.

Options:
  -o, --output FILE         append records to FILE and resume from it (default: stdout); --out too
  --allow-cleartext         allow a ws:// --url to a host that is not loopback (the key crosses the network unencrypted)
  --concurrency N           tasks in flight at once (default 16)
  --url URL                 WebSocket URL (default wss://ws-api.runware.ai/v1)
  --timeout-ms MS           per-task deadline (default 300000)
  --drain-ms MS             on SIGINT/SIGTERM, how long to wait for tasks in flight (default 10000)
  --connect-timeout-ms MS   give up (exit 3) when the first connection is not ready by then (default 30000)
  -h, --help                show this help

Progress goes to stderr: a bar on a terminal (its total is the input file's task lines; reading
stdin it shows counts only), a line per second otherwise.

Exit codes:
  0    every input line is recorded as ok (this run or an earlier one)
  1    the batch finished, but some lines are recorded as failures or timed out unrecorded
  2    usage error: bad flags, missing input file, RUNWARE_API_KEY not set
  3    stopped early: cannot connect, authentication refused, account error (credits),
       output not writable (or its directory missing); a restart with the same -o resumes
  130  interrupted by SIGINT (Ctrl-C); 143 by SIGTERM
`

export const SIMULATE_HELP = `Usage: runware-socket simulate [options]

Starts the Runware-protocol simulator as a standalone WebSocket server (and REST on the
same port), for testing any Runware client offline. Results are clearly fake (example.invalid URLs). Prints
"runware simulator listening on ws://HOST:PORT/v1" on stdout; runs until SIGINT/SIGTERM,
then closes every socket and exits 0.

Options:
  --port N               port to listen on; 0 picks a free one (default 8080)
  --host HOST            interface to listen on (default 127.0.0.1)
  --seed N               seeds latency, results and chaos (default 1)
  --latency-ms MS        latency of sync tasks: N or MIN-MAX (default 0)
  --async-ms MS          how long async tasks take before getResponse reports success (default 3000)
  --chaos LEVEL          off | light | heavy (default off)
  --framing MODE         item | task | batch | mixed: how result items are cut into frames;
                         mixed draws one of the three per task, seeded (default task)
  --api-key KEY          accept only this key; repeat for several (default: any non-empty key)
  --auth-error-shape S   errors | error | legacy: the envelope of an auth failure, a list as the
                         errors page shows, a singular object, or {error:true, errorId} (default errors)
  --unknown-task ANSWER  empty | error: getResponse for an unknown taskUUID answers {"data":[]},
                         or the error taskNotFound (taskExpired once forgotten) (default empty)
  --retention-ms MS      how long a finished task stays known to getResponse and conflict checks;
                         also bounds memory (default 3600000)
  --load-per-task-ms MS  load: each task's latency grows by MS per task already running (default 0)
  --capacity SPEC        finite capacity for one model; repeat for several. SPEC is
                         MODEL=slots:K[,queue:Q][,service-ms:N|MIN-MAX][,max-wait-ms:N]: K run at
                         once, Q more wait, past that rateLimitExceeded; a wait past max-wait-ms
                         fails with queueWaitTimeout (docs/capacity.md)
  --refuse-upgrade       answer every WebSocket upgrade with 403, as a proxy that blocks them
                         does; REST (POST on the same port) still works (docs/simulator.md)
  -h, --help             show this help

Exit codes:
  0    closed after SIGINT/SIGTERM
  2    usage error
  3    cannot listen (port in use, address not available)
`

export const WORKER_HELP = `Usage: runware-socket worker --redis URL [--queue NAME] [--concurrency N] [--url URL] [--metrics-port N]

Runs one fleet worker: takes jobs from a BullMQ queue on Redis and runs each as a Runware task
over one WebSocket. Start as many as you like, on as many machines, against the same Redis.
The API key comes from RUNWARE_API_KEY (never printed). Needs bullmq and ioredis installed.

A job whose worker died (SIGKILL, a lost machine) is taken over by another worker once its
lock lapses (--lock-ms) and runs under the taskUUID it was last sent with: the server answers
conflictTaskUUID and the results are collected, never executed or paid for twice. A permanent
error fails the job at once; a retryable one goes again under a fresh taskUUID (recorded in
the job before it is sent), at most the job's attempts.

SIGTERM or SIGINT: takes no new jobs, lets those in flight finish within --drain-ms, gives the
rest back to the queue unfailed (same ids, for other workers), closes the socket, exits 0. A
second signal stops at once. If the account refuses work (a revoked key, no credits), the
worker takes no more jobs, gives back those it holds, unfailed, and exits 3: one bad key never
empties the queue into failed. Redis must answer within --redis-timeout-ms at start (exit 3
otherwise); an outage later is reported when it starts and when it ends, and waited out. A
Redis that can evict keys or has no AOF persistence is warned about at start.
On a terminal, a status line on stderr shows jobs active, done, failed (for good), retried
(an attempt failed, the job goes again), given back, and resumed (taken over from a worker
that died or left).

Options:
  --redis URL         redis:// or rediss:// URL of the queue's Redis (required)
  --queue NAME        queue name (default runware)
  --concurrency N     jobs in flight at once in this process (default 100)
  --url URL           WebSocket URL (default wss://ws-api.runware.ai/v1)
  --drain-ms MS       on SIGTERM/SIGINT, how long jobs in flight may take to finish (default 30000)
  --lock-ms MS        BullMQ lock: a dead worker's jobs move on after about this long (default 30000)
  --redis-timeout-ms MS  how long Redis may take to answer at start (default 10000)
  --allow-cleartext   allow a ws:// --url to a host that is not loopback
  --metrics-port N    serve /metrics (Prometheus text: the client's OpenTelemetry metrics and
                      the worker's jobs), /healthz and /readyz on port N (0: a free one); needs
                      @opentelemetry/api and @opentelemetry/exporter-prometheus installed
  --metrics-host H    the address the metrics server listens on (default: every interface)
  -h, --help          show this help

/readyz answers 200 when the socket is ready, Redis is reachable and the worker is not
draining, else 503 saying which (the status line shows the same). docs/telemetry.md lists
the series.

Exit codes:
  0    drained after SIGTERM/SIGINT
  2    usage error: bad flags, --redis missing, RUNWARE_API_KEY not set
  3    cannot start (Redis unreachable, authentication refused, bullmq or ioredis not
       installed, the metrics port in use), or stopped because the account refused work (jobs given back)
  130  a second SIGINT; 143 a second SIGTERM
`

export const ENQUEUE_HELP = `Usage: runware-socket enqueue <tasks.jsonl | -> --redis URL [--queue NAME] [-o FILE] [--no-wait]

Puts every line of a JSON Lines file on the fleet's queue (one job per task, its taskUUID fixed
now) and, unless --no-wait, waits for every job with a progress bar and writes one record per
line in the format of \`run\` (see runware-socket run --help): ok with results, or error with the
code and message the worker saw. Workers (runware-socket worker) do the work; this command
needs no API key. Needs bullmq and ioredis installed.

Resuming: run again with the same -o. Lines recorded there are skipped; a line whose job is
already in the queue is not enqueued twice (its job id is its taskUUID, derived from the run
the output names) and its result is collected. Bad lines are recorded with their line number.

Options:
  --redis URL         redis:// or rediss:// URL of the queue's Redis (required)
  --queue NAME        queue name (default runware)
  -o, --output FILE   append records to FILE and resume from it (default: stdout); --out too
  --no-wait           enqueue and exit; a later run with the same -o collects the results
  --timeout-ms MS     how long to wait for each job (default 600000); unfinished ones stay
                      unrecorded for a re-run
  --attempts N        BullMQ attempts per job for retryable failures (default 3)
  --keep-completed-s S  how long a completed job and its results stay in Redis (default
                      86400, a day; about 2 KB each): collect within it
  --redis-timeout-ms MS  how long Redis may take to answer at start (default 10000)
  -h, --help          show this help

Exit codes:
  0    every line is recorded as ok (or, with --no-wait, every line was enqueued)
  1    some lines are recorded as failures, or did not finish within --timeout-ms
  2    usage error
  3    stopped: Redis unreachable, output not writable, bullmq or ioredis not installed
  130  interrupted by SIGINT; 143 by SIGTERM (the jobs stay queued)
`
