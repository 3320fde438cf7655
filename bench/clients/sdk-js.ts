/**
 * @runware/sdk-js 1.3 (the official client on npm), through its `imageInference`. It checks for
 * results by polling shared arrays every 100 ms per request, which bounds what it can do here.
 */
import { RunwareServer } from '@runware/sdk-js'
import { API_KEY, type BenchClient, type BenchTask } from './types.js'

export class SdkClient implements BenchClient {
  readonly name = 'sdk'
  readonly #sdk: RunwareServer

  constructor(url: string) {
    // Its defaults (60 s timeout, 2 retries, reconnect), as a user would have them.
    this.#sdk = new RunwareServer({ apiKey: API_KEY, url })
  }

  async connect(): Promise<void> {
    await this.#sdk.ensureConnection()
  }

  async run(task: BenchTask): Promise<readonly unknown[]> {
    const { positivePrompt, model, width, height, numberResults } = task
    const images = await this.#sdk.imageInference({ positivePrompt, model, width, height, numberResults })
    if (images === undefined) throw new Error('sdk-js returned no images')
    return images
  }

  close(): Promise<void> {
    return this.#sdk.disconnect()
  }
}
