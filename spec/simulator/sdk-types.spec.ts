/**
 * Runware's own legacy SDK (@runware/sdk-js 1.3) against the simulator for the task types it
 * exposes beyond images, under each of the three framings (#13): the SDK's own methods, its own
 * field names (controlNetPreprocess goes out as the legacy imageControlNetPreProcess, after an
 * imageUpload), its own way of waiting (modelUpload until `ready`).
 */
import { RunwareServer } from '@runware/sdk-js'
import { describe, expect, it } from 'vitest'
import type { Framing } from '../../lib/simulator/index.js'
import { useHarness } from '../helpers/harness.js'

const h = useHarness()
const FRAMINGS: readonly Framing[] = ['item', 'task', 'batch']

/** The SDK's loose result types, read as the plain objects they are. */
type Loose = Record<string, unknown>
const first = (value: unknown): Loose => (Array.isArray(value) ? (value[0] as Loose) : (value as Loose))

describe.each(FRAMINGS)('@runware/sdk-js, framing %s', (framing) => {
  it('textInference, audioInference, threeDInference, vectorize, imageMasking, controlNetPreprocess, mediaStorage, getTaskDetails, modelUpload', async () => {
    const sim = await h.simulator({ framing, latencyMs: 5 })
    const runware = new RunwareServer({ apiKey: 'sdk-key', url: sim.url, shouldReconnect: false })
    try {
      const text = first(await runware.textInference({ model: 'runware:1@1', messages: [{ role: 'user', content: 'Say hello' }] } as never))
      expect(text).toMatchObject({ taskType: 'textInference', finishReason: 'stop' })
      expect(typeof text.text).toBe('string')

      const audio = first(await runware.audioInference({ model: 'elevenlabs:1@1', positivePrompt: 'rain', duration: 5 }))
      expect(audio.audioURL).toMatch(/^https:\/\/example\.invalid\//)

      const model3d = first(await runware.threeDInference({ model: 'runware:300@1' }))
      expect((model3d.outputs as { files: unknown[] }).files).toHaveLength(1)

      const svg = first(await runware.vectorize({ model: 'recraft:1@1', inputs: { image: 'https://example.invalid/in.png' } }))
      expect(svg.imageURL).toMatch(/\.svg$/)

      const mask = first(await runware.imageMasking({ model: 'runware:35@1', inputs: { image: 'https://example.invalid/in.png' } } as never))
      expect(typeof mask.maskImageUUID).toBe('string')

      const guide = first(await runware.controlNetPreprocess({ inputImage: 'https://example.invalid/in.png', preProcessorType: 'canny' } as never))
      expect(typeof guide.guideImageUUID).toBe('string')

      const stored = first(await runware.mediaStorage({ operation: 'upload', media: 'https://example.invalid/cat.png' }))
      expect(typeof stored.mediaUUID).toBe('string')

      const details = first(await runware.getTaskDetails({ taskUUID: String(text.taskUUID) }))
      expect(details).toMatchObject({ taskType: 'getTaskDetails', taskUUID: text.taskUUID })
      expect((details.request as Loose[])[0]).toMatchObject({ taskType: 'textInference' })

      const upload = first(
        await runware.modelUpload({
          category: 'lora',
          architecture: 'sdxl',
          format: 'safetensors',
          name: 'mine',
          version: '1',
          downloadURL: 'https://example.invalid/m.safetensors',
          air: 'me:1@1',
        } as never),
      )
      expect(upload).toMatchObject({ status: 'ready', air: 'me:1@1' })

      // Nothing ran twice; getTaskDetails ran nothing at all.
      expect(sim.stats.executedTwice()).toEqual([])
      expect(sim.stats.executions.has(String(details.taskUUID))).toBe(true)
    } finally {
      await runware.disconnect()
    }
  }, 30_000)
})
