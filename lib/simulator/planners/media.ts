/**
 * Video, audio, 3D and text generation. Fields and results follow docs/protocol.md §9 and §4.3
 * (the TS schema map: VideoInference…, AudioInferenceParams/Result, ThreeDInferenceParams/Result,
 * TextInferenceParams/Result). These are the long-running types: their progress is reported while
 * they run (unless the model says otherwise, models.ts).
 */
import { randomUUID } from 'node:crypto'
import { FAKE_ORIGIN } from '../replies.js'
import { mediaOutput, OUTPUT_TYPES, round, seedField, seedFor, type Planner } from './shared.js'

/** videoInference: async only (the schema allows nothing else). */
export const videoInference: Planner = {
  deliveryMethods: ['async'],
  progress: true,
  plan(_task, f) {
    f.model()
    f.string('positivePrompt', { min: 2, max: 3000, required: false })
    const duration = f.integer('duration', { min: 1, max: 10, fallback: 5 })
    const numberResults = f.integer('numberResults', { min: 1, max: 4, fallback: 1 })
    const seed = seedField(f)
    return {
      expected: numberResults,
      cost: round(0.05 * duration),
      build: (index, random) => {
        const videoUUID = randomUUID()
        return { videoUUID, videoURL: `${FAKE_ORIGIN}/videos/${videoUUID}.mp4`, seed: seedFor(seed, index, random) }
      },
    }
  },
}

const AUDIO_FORMATS = ['MP3', 'WAV', 'FLAC', 'OGG'] as const

/** audioInference: model (+ prompt or speech); audioUUID and audioURL / audioBase64Data / audioDataURI, seed. */
export const audioInference: Planner = {
  deliveryMethods: ['sync', 'async'],
  progress: true,
  plan(_task, f) {
    f.model()
    f.string('positivePrompt', { min: 2, max: 3000, required: false })
    const duration = f.integer('duration', { min: 1, max: 300, fallback: 10 })
    const numberResults = f.integer('numberResults', { min: 1, max: 4, fallback: 1 })
    const outputType = f.choice('outputType', OUTPUT_TYPES, 'URL')
    const outputFormat = f.choice('outputFormat', AUDIO_FORMATS, 'MP3')
    const seed = seedField(f)
    return {
      expected: numberResults,
      cost: round(0.0005 * duration),
      build: (index, random) => ({ ...mediaOutput('audio', outputType, outputFormat, 'audio/mpeg'), seed: seedFor(seed, index, random) }),
    }
  },
}

/** 3dInference: model (+ inputs); `outputs.files[] {uuid, url}` (GLB) and a seed. */
export const threeDInference: Planner = {
  deliveryMethods: ['sync', 'async'],
  progress: true,
  plan(_task, f) {
    f.model()
    const numberResults = f.integer('numberResults', { min: 1, max: 4, fallback: 1 })
    f.choice('outputType', ['URL'] as const, 'URL')
    f.choice('outputFormat', ['GLB'] as const, 'GLB')
    const seed = seedField(f)
    return {
      expected: numberResults,
      cost: 0.1,
      build: (index, random) => {
        const uuid = randomUUID()
        return { outputs: { files: [{ uuid, url: `${FAKE_ORIGIN}/3d/${uuid}.glb` }] }, seed: seedFor(seed, index, random) }
      },
    }
  },
}

const REPLIES = ['A simulated answer.', 'Another simulated answer, worded differently.', 'A third simulated answer.'] as const

/** textInference: model + messages[] ({role: user|assistant, content}, the last from the user); text, finishReason, usage. */
export const textInference: Planner = {
  deliveryMethods: ['sync', 'async'],
  progress: false,
  plan(_task, f) {
    f.model()
    const messages = f.list('messages', (message) => {
      if (typeof message !== 'object' || message === null) return 'Each message must be an object with a role and a content.'
      const { role, content } = message as Record<string, unknown>
      if (role !== 'user' && role !== 'assistant') return "Each message's role must be 'user' or 'assistant'."
      if (typeof content !== 'string' || content === '') return "Each message's content must be a non-empty string."
      return undefined
    })
    const last = messages?.[messages.length - 1] as { role?: unknown } | undefined
    if (last !== undefined && last.role !== 'user')
      f.fail('invalidMessages', 'messages', "Invalid value for 'messages' parameter. The final message must use the user role.", { type: 'array' })
    const numberResults = f.integer('numberResults', { min: 1, max: 4, fallback: 1 })
    const promptTokens = (messages ?? []).reduce<number>((sum, message) => sum + Math.ceil(String((message as { content?: unknown }).content).length / 4), 0)
    return {
      expected: numberResults,
      cost: 0.00002,
      build: (index) => {
        const text = REPLIES[index % REPLIES.length] ?? REPLIES[0]
        const completionTokens = Math.ceil(text.length / 4)
        return { text, finishReason: 'stop', usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens } }
      },
    }
  },
}
