import { OursClient } from './ours.js'
import { RawBatchedClient } from './raw-batched.js'
import { RawPerMessageClient } from './raw-per-message.js'
import { SdkClient } from './sdk-js.js'
import type { BenchClient, ClientName } from './types.js'

/** A client with default settings for throughput-style scenarios. */
export function createClient(name: ClientName, url: string): BenchClient {
  switch (name) {
    case 'rawBatched':
      return new RawBatchedClient(url)
    case 'rawPerMessage':
      return new RawPerMessageClient(url)
    case 'ours':
      return new OursClient(url)
    case 'sdk':
      return new SdkClient(url)
  }
}

export { OursClient, RawBatchedClient, RawPerMessageClient, SdkClient }
export * from './types.js'
