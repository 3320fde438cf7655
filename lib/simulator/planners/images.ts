/**
 * Image tasks: generation, captions, background removal, upscaling, uploads, vectors, masks and
 * ControlNet guides. Fields and result shapes follow docs/protocol.md §9 (request) and §4.3
 * (results), each citing its source; limits come from the model catalogue (models.ts).
 */
import { randomUUID } from 'node:crypto'
import { imageLimits } from '../models.js'
import { FAKE_ORIGIN } from '../replies.js'
import { IMAGE_FORMATS, imageEdit, mediaOutput, OUTPUT_TYPES, round, seedField, seedFor, type Planner } from './shared.js'

const CAPTIONS = [
  'A simulated caption: an image with a subject in the foreground.',
  'A simulated caption: a scene with soft light and muted colours.',
  'A simulated caption: a close-up of an object on a plain background.',
] as const

/** imageInference: limits per model (models.ts); `seed + i` for a batch with a given seed. */
export const imageInference: Planner = {
  deliveryMethods: ['sync', 'async'],
  progress: false,
  plan(_task, f) {
    const model = f.model()
    const limits = imageLimits(model)
    f.string('positivePrompt', { min: 2, max: 3000 })
    const side = { min: limits.minSide, max: limits.maxSide, multiple: limits.multiple }
    const width = f.integer('width', side)
    const height = f.integer('height', side)
    const numberResults = f.integer('numberResults', { min: 1, max: limits.maxResults, fallback: 1 })
    const outputType = f.choice('outputType', OUTPUT_TYPES, 'URL')
    const outputFormat = f.choice('outputFormat', IMAGE_FORMATS, 'JPG')
    const seed = seedField(f)
    return {
      expected: numberResults,
      cost: round((0.0013 * width * height) / (1024 * 1024)),
      build: (index, random) => ({ ...mediaOutput('image', outputType, outputFormat), seed: seedFor(seed, index, random), NSFWContent: false }),
    }
  },
}

/** caption (legacy imageCaption): text about an image or a video; the current schema requires model. */
export const caption: Planner = {
  deliveryMethods: ['sync', 'async'],
  progress: false,
  plan(task, f) {
    if (task.taskType === 'caption') f.model()
    f.input(['image', 'video'])
    return { expected: 1, cost: 0.0002, build: (_index, random) => ({ text: random.pick(CAPTIONS) }) }
  },
}

/**
 * removeBackground (legacy imageBackgroundRemoval). An image gives imageUUID and its URL/data (TS
 * schema); a video (`inputs.video`) gives mediaUUID/mediaURL, which only the older JS notes
 * describe (the current schema lists no video result for this type: docs/protocol.md §12).
 */
export const removeBackground: Planner = {
  deliveryMethods: ['sync', 'async'],
  progress: false,
  plan(task, f) {
    if (task.taskType === 'removeBackground') f.model()
    const input = f.input(['image', 'video'])
    const outputType = f.choice('outputType', OUTPUT_TYPES, 'URL')
    if (input?.kind === 'video') {
      return {
        expected: 1,
        cost: 0.01,
        build: () => {
          const mediaUUID = randomUUID()
          return { mediaUUID, mediaURL: `${FAKE_ORIGIN}/media/${mediaUUID}.mp4` }
        },
      }
    }
    return { expected: 1, cost: 0.0006, build: () => mediaOutput('image', outputType, 'PNG') }
  },
}

/** upscale (legacy imageUpscale): an image gives imageUUID…, a video videoUUID/videoURL (TS UpscaleResult). */
export const upscale: Planner = {
  deliveryMethods: ['sync', 'async'],
  progress: false,
  plan(task, f) {
    if (task.taskType === 'upscale') f.model()
    const input = f.input(['image', 'video'])
    const factor = f.integer('upscaleFactor', { min: 2, max: 4, fallback: 2 })
    const outputType = f.choice('outputType', OUTPUT_TYPES, 'URL')
    if (input?.kind === 'video')
      return { expected: 1, cost: round(0.02 * factor), build: () => mediaOutput('video', outputType, 'MP4', 'video/mp4'), progress: true }
    return { expected: 1, cost: round(0.001 * factor), build: () => mediaOutput('image', outputType, 'PNG') }
  },
}

/** imageUpload: `image` (URL, data URI or base64) → imageUUID, imageURL (D-UPLOAD). */
export const imageUpload: Planner = {
  deliveryMethods: ['sync'],
  progress: false,
  plan(_task, f) {
    f.string('image')
    return { expected: 1, cost: 0, build: () => mediaOutput('image', 'URL', 'PNG') }
  },
}

/** vectorize: model + inputs.image → imageUUID and an SVG (TS VectorizeParams/Result). */
export const vectorize: Planner = {
  deliveryMethods: ['sync', 'async'],
  progress: false,
  plan(_task, f) {
    const { outputType } = imageEdit(f, ['SVG'] as const, 'SVG')
    return { expected: 1, cost: 0.002, build: () => mediaOutput('image', outputType, 'SVG', 'image/svg+xml') }
  },
}

/** imageMasking: model + inputs.image → maskImageUUID…, detections, inputImageUUID (TS MaskingParams/ImageMaskingResult). */
export const imageMasking: Planner = {
  deliveryMethods: ['sync', 'async'],
  progress: false,
  plan(_task, f) {
    const { outputType, outputFormat } = imageEdit(f, IMAGE_FORMATS, 'PNG')
    return {
      expected: 1,
      cost: 0.0006,
      build: (_index, random) => {
        const x = random.int(0, 200)
        const y = random.int(0, 200)
        return {
          ...mediaOutput('maskImage', outputType, outputFormat),
          detections: [{ x_min: x, y_min: y, x_max: x + 128, y_max: y + 128 }],
          inputImageUUID: randomUUID(),
        }
      },
    }
  },
}

const PREPROCESSORS = ['canny', 'depth', 'mlsd', 'normalbae', 'openpose', 'tile', 'seg', 'lineart', 'lineart_anime', 'shuffle', 'scribble', 'softedge'] as const

/**
 * controlNetPreprocess: model + inputs.image (TS ControlnetPreprocessParams); the legacy
 * imageControlNetPreProcess (sdk-js 1.3 sends it) takes inputImage and preProcessorType instead
 * (D-OLDIMG). Both give guideImageUUID…, inputImageUUID.
 */
export const controlNetPreprocess: Planner = {
  deliveryMethods: ['sync', 'async'],
  progress: false,
  plan(task, f) {
    if (task.taskType === 'controlNetPreprocess') f.model()
    else f.choice('preProcessorType', PREPROCESSORS, 'canny')
    f.input(['image'])
    const outputType = f.choice('outputType', OUTPUT_TYPES, 'URL')
    const outputFormat = f.choice('outputFormat', IMAGE_FORMATS, 'PNG')
    return { expected: 1, cost: 0.0006, build: () => ({ ...mediaOutput('guideImage', outputType, outputFormat), inputImageUUID: randomUUID() }) }
  },
}
