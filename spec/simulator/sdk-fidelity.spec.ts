/**
 * Fidelity check that none of us wrote: Runware's own legacy SDK (@runware/sdk-js 1.3) talks to the
 * simulator as if it were the real service.
 */
import { RunwareServer } from '@runware/sdk-js'
import { describe, expect, it } from 'vitest'
import { useHarness } from '../helpers/harness.js'
import { waitFor } from '../helpers/wait.js'

const h = useHarness()

describe('@runware/sdk-js against the simulator', () => {
  it('authenticates, runs imageInference and receives the two simulated results', async () => {
    const sim = await h.simulator()
    const connected = waitFor(sim.events, 'connection')
    const runware = new RunwareServer({ apiKey: 'sdk-key', url: sim.url, shouldReconnect: false })
    try {
      const images = await runware.imageInference({
        positivePrompt: 'a lighthouse at dusk',
        model: 'runware:101@1',
        width: 512,
        height: 512,
        numberResults: 2,
      })
      expect((await connected)[0].path).toMatch(/^\/v1\?sdk=js&version=/)
      expect(images).toHaveLength(2)
      for (const image of images ?? []) {
        expect(image.taskType).toBe('imageInference')
        expect(image.imageURL).toMatch(/^https:\/\/example\.invalid\//)
        expect(typeof image.imageUUID).toBe('string')
      }
      expect(sim.stats.authentications).toBe(1)
      expect(sim.stats.executions.size).toBe(1)
      expect(sim.stats.itemsProduced).toBe(2)
    } finally {
      await runware.disconnect()
    }
  })

  it('recognises the simulated invalidApiKey as an invalid key and gives up', async () => {
    const sim = await h.simulator({ apiKeys: ['the-right-key'] })
    const runware = new RunwareServer({ apiKey: 'a-wrong-key', url: sim.url, shouldReconnect: false })
    try {
      const failure: unknown = await runware.imageInference({ positivePrompt: 'a cat', model: 'runware:101@1', width: 512, height: 512 }).then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(failure).toMatchObject({ error: { code: 'invalidApiKey' } })
      expect(sim.stats.authFailures).toBeGreaterThanOrEqual(1)
      expect(sim.stats.executions.size).toBe(0)
    } finally {
      await runware.disconnect()
    }
  })
})
