#!/usr/bin/env node
/** The `runware-socket` command (see `runware-socket --help`). Dispatch lives in cli/main.ts. */
import { processIo } from './cli/io.js'
import { main } from './cli/main.js'

// An exit code, not process.exit(): output still buffered for a pipe gets written first.
process.exitCode = await main(process.argv.slice(2), processIo())
// The fleet commands hold BullMQ's and ioredis's connections: whatever of theirs outlives the
// command (a reconnect timer during an outage) must not keep the process from exiting.
if (process.argv[2] === 'worker' || process.argv[2] === 'enqueue') setTimeout(() => process.exit(), 2_000).unref()
