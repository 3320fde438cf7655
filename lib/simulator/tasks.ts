/**
 * The task types the simulator runs: per-type validation (documented error codes, limits in the
 * error item) and clearly fake results (example.invalid URLs, fresh UUIDs, seeded seeds).
 */
import { randomUUID } from 'node:crypto'
import type { ErrorItem, Task } from '../protocol.js'
import { Fields } from './fields.js'
import type { Random } from './random.js'
import { FAKE_ORIGIN } from './replies.js'

export type DeliveryMethod = 'sync' | 'async'

/** What an accepted task will do. */
export interface TaskPlan {
  deliveryMethod: DeliveryMethod
  /** Result items a successful run produces (numberResults, promptVersions, …). */
  expected: number
  /** `cost` of one item when the task asked for it with `includeCost: true`. */
  cost: number | undefined
  /** The type-specific fields of result item `index`; taskType, taskUUID and cost are added by the caller. */
  build: (index: number, random: Random) => Record<string, unknown>
}

export type PlanOutcome = { ok: true; plan: TaskPlan } | { ok: false; error: ErrorItem }

interface Work {
  expected: number
  /** Price of one item in USD. */
  cost: number
  build: (index: number, random: Random) => Record<string, unknown>
}

interface Planner {
  /** Only these delivery methods are accepted (videoInference is async only). */
  deliveryMethods: readonly DeliveryMethod[]
  plan(task: Task, fields: Fields): Work
}

/** A 1×1 transparent PNG: decodable, and obviously not a generated image. */
const FAKE_PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVR4nGNgAAIAAAUAAXpeqz8AAAAASUVORK5CYII='

const OUTPUT_TYPES = ['URL', 'base64Data', 'dataURI'] as const
const OUTPUT_FORMATS = ['JPG', 'PNG', 'WEBP'] as const
type OutputType = (typeof OUTPUT_TYPES)[number]

const MAX_SEED = 2 ** 31 - 1

/** The image field Runware uses for each outputType. */
function imageOutput(outputType: OutputType, format: string): Record<string, unknown> {
  const imageUUID = randomUUID()
  switch (outputType) {
    case 'base64Data':
      return { imageUUID, imageBase64Data: FAKE_PNG_BASE64 }
    case 'dataURI':
      return { imageUUID, imageDataURI: `data:image/png;base64,${FAKE_PNG_BASE64}` }
    case 'URL':
      return { imageUUID, imageURL: `${FAKE_ORIGIN}/images/${imageUUID}.${format.toLowerCase()}` }
  }
}

const round = (value: number): number => Math.round(value * 1e6) / 1e6

/** A caller-chosen seed makes item i use seed + i (as Runware does for batches); otherwise a seeded draw. */
function seedFor(seed: number, index: number, random: Random): number {
  return seed >= 0 ? seed + index : random.int(1, MAX_SEED)
}

const imageInference: Planner = {
  deliveryMethods: ['sync', 'async'],
  plan(_task, f) {
    f.string('model')
    f.string('positivePrompt', { min: 2, max: 3000 })
    const width = f.integer('width', { min: 128, max: 2048, multiple: 64 })
    const height = f.integer('height', { min: 128, max: 2048, multiple: 64 })
    const numberResults = f.integer('numberResults', { min: 1, max: 20, fallback: 1 })
    const outputType = f.choice('outputType', OUTPUT_TYPES, 'URL')
    const outputFormat = f.choice('outputFormat', OUTPUT_FORMATS, 'JPG')
    const seed = f.integer('seed', { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: -1 })
    return {
      expected: numberResults,
      cost: round((0.0013 * width * height) / (1024 * 1024)),
      build: (index, random) => ({ ...imageOutput(outputType, outputFormat), seed: seedFor(seed, index, random), NSFWContent: false }),
    }
  },
}

const STYLES = ['Vivid', 'Dreamy', 'Cinematic', 'Moody', 'Luminous'] as const
const DETAILS = 'highly detailed, soft light, sharp focus, simulated enhancement'

const promptEnhance: Planner = {
  deliveryMethods: ['sync', 'async'],
  plan(_task, f) {
    const prompt = f.string('prompt', { min: 1, max: 3000 }) ?? ''
    const maxLength = f.integer('promptMaxLength', { min: 12, max: 400, fallback: 380 })
    const versions = f.integer('promptVersions', { min: 1, max: 5, fallback: 1 })
    return {
      expected: versions,
      cost: 0.0001,
      // Each version starts with a different word, so versions stay distinct even when truncated.
      build: (index) => ({ text: `${STYLES[index % STYLES.length] ?? 'Vivid'} ${prompt}, ${DETAILS}`.slice(0, maxLength) }),
    }
  },
}

const CAPTIONS = [
  'A simulated caption: an image with a subject in the foreground.',
  'A simulated caption: a scene with soft light and muted colours.',
  'A simulated caption: a close-up of an object on a plain background.',
] as const

const caption: Planner = {
  deliveryMethods: ['sync', 'async'],
  plan(_task, f) {
    f.inputImage()
    return { expected: 1, cost: 0.0002, build: (_index, random) => ({ text: random.pick(CAPTIONS) }) }
  },
}

const removeBackground: Planner = {
  deliveryMethods: ['sync', 'async'],
  plan(_task, f) {
    f.inputImage()
    const outputType = f.choice('outputType', OUTPUT_TYPES, 'URL')
    return { expected: 1, cost: 0.0006, build: () => imageOutput(outputType, 'PNG') }
  },
}

const upscale: Planner = {
  deliveryMethods: ['sync', 'async'],
  plan(_task, f) {
    f.inputImage()
    const factor = f.integer('upscaleFactor', { min: 2, max: 4, fallback: 2 })
    const outputType = f.choice('outputType', OUTPUT_TYPES, 'URL')
    return { expected: 1, cost: round(0.001 * factor), build: () => imageOutput(outputType, 'PNG') }
  },
}

const imageUpload: Planner = {
  deliveryMethods: ['sync'],
  plan(_task, f) {
    f.string('image')
    return { expected: 1, cost: 0, build: () => imageOutput('URL', 'PNG') }
  },
}

const ARCHITECTURES = ['sdxl', 'flux1d', 'sd1x'] as const

const modelSearch: Planner = {
  deliveryMethods: ['sync'],
  plan(_task, f) {
    const search = f.string('search', { required: false }) ?? 'model'
    const limit = f.integer('limit', { min: 1, max: 100, fallback: 20 })
    const total = 3
    return {
      expected: 1,
      cost: 0,
      build: () => ({
        totalResults: total,
        results: Array.from({ length: Math.min(limit, total) }, (_, i) => ({
          air: `simulator:${i + 1}@1`,
          name: `Simulated ${search} ${i + 1}`,
          category: 'checkpoint',
          architecture: ARCHITECTURES[i % ARCHITECTURES.length],
        })),
      }),
    }
  },
}

const videoInference: Planner = {
  deliveryMethods: ['async'],
  plan(_task, f) {
    f.string('model')
    f.string('positivePrompt', { min: 2, max: 3000, required: false })
    const duration = f.integer('duration', { min: 1, max: 10, fallback: 5 })
    const numberResults = f.integer('numberResults', { min: 1, max: 4, fallback: 1 })
    const seed = f.integer('seed', { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: -1 })
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

/** Current names plus the legacy ones older SDKs still send (runware-protocol.md §12.16). */
const PLANNERS: ReadonlyMap<string, Planner> = new Map([
  ['imageInference', imageInference],
  ['promptEnhance', promptEnhance],
  ['caption', caption],
  ['imageCaption', caption],
  ['removeBackground', removeBackground],
  ['imageBackgroundRemoval', removeBackground],
  ['upscale', upscale],
  ['imageUpscale', upscale],
  ['imageUpload', imageUpload],
  ['modelSearch', modelSearch],
  ['videoInference', videoInference],
])

export function isSupportedTaskType(taskType: string): boolean {
  return PLANNERS.has(taskType)
}

/** Validates a task of a supported type; the first problem found is the error. */
export function planTask(task: Task, taskUUID: string): PlanOutcome {
  const planner = PLANNERS.get(task.taskType)
  const fields = new Fields(task, taskUUID)
  if (planner === undefined) {
    return { ok: false, error: fields.fail('unsupportedTaskType', 'taskType', `Unsupported task type '${task.taskType}'.`) }
  }
  const requested = fields.choice('deliveryMethod', ['sync', 'async'], 'sync')
  if (fields.error === undefined && !planner.deliveryMethods.includes(requested)) {
    fields.fail('unsupportedDeliveryMethod', 'deliveryMethod', `Task type '${task.taskType}' only supports deliveryMethod ${planner.deliveryMethods.map((m) => `"${m}"`).join(' or ')}.`, {
      type: 'string',
      allowedValues: [...planner.deliveryMethods],
    })
  }
  const work = planner.plan(task, fields)
  if (fields.error !== undefined) return { ok: false, error: fields.error }
  return {
    ok: true,
    plan: {
      deliveryMethod: requested,
      expected: work.expected,
      cost: task.includeCost === true ? work.cost : undefined,
      build: work.build,
    },
  }
}
