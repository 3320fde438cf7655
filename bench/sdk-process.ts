/**
 * @runware/sdk-js in a process of its own. It leaves a polling interval behind for every request
 * it gives up on (until its 60 s timeout), and those timers slow down whatever runs after it in
 * the same process, so its throughput and latency runs happen here, each on a fresh client, and
 * only the figures cross back over IPC.
 */
import { SdkClient } from './clients/sdk-js.js'
import { drive, timeEach, type DriveResult } from './drive.js'

export type SdkRequest =
  | { id: number; op: 'drive'; url: string; total: number; concurrency: number; limitMs: number }
  | { id: number; op: 'timeEach'; url: string; count: number; limitMs: number }

export type SdkReply = { id: number; ok: true; value: DriveResult | number[] } | { id: number; ok: false; error: string }

async function handle(request: SdkRequest): Promise<DriveResult | number[]> {
  const client = new SdkClient(request.url)
  await client.connect()
  try {
    if (request.op === 'drive')
      return await drive(client, { total: request.total, concurrency: request.concurrency, deadline: performance.now() + request.limitMs })
    return await timeEach(client, request.count, performance.now() + request.limitMs)
  } finally {
    await client.close()
  }
}

process.on('message', (request: SdkRequest) => {
  handle(request).then(
    (value) => process.send?.({ id: request.id, ok: true, value } satisfies SdkReply),
    (error: unknown) => process.send?.({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies SdkReply),
  )
})

// Its abandoned timers would keep it alive: the bench going away ends it.
process.on('disconnect', () => process.exit(0))
