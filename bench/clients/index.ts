import { OursClient } from './ours.js'
import { RawClient } from './raw.js'
import { SdkClient } from './sdk-js.js'
import type { BenchClient, ClientName } from './types.js'

/** A client with default settings for throughput-style scenarios. */
export function createClient(name: ClientName, url: string): BenchClient {
  switch (name) {
    case 'raw':
      return new RawClient(url)
    case 'ours':
      return new OursClient(url)
    case 'sdk':
      return new SdkClient(url)
  }
}

export { OursClient, RawClient, SdkClient }
export * from './types.js'
