#!/usr/bin/env node
/** The `runware-socket` command (see `runware-socket --help`). Dispatch lives in cli/main.ts. */
import { processIo } from './cli/io.js'
import { main } from './cli/main.js'

// An exit code, not process.exit(): output still buffered for a pipe gets written first.
process.exitCode = await main(process.argv.slice(2), processIo())
