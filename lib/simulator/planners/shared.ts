/** What every planner shares: the Planner shape, fake outputs and small helpers. */
import { randomUUID } from 'node:crypto'
import type { Task } from '../../protocol/protocol.js'
import type { Fields } from '../fields.js'
import type { Random } from '../random.js'
import { FAKE_ORIGIN } from '../replies.js'

export type DeliveryMethod = 'sync' | 'async'

/** What a planner makes of a valid task. */
export interface Work {
  /** Result items a successful run produces (numberResults, promptVersions, modelUpload's stages). */
  expected: number
  /** Price of one item in USD. */
  cost: number
  build: (index: number, random: Random) => Record<string, unknown>
  /** Overrides the type's progress reporting (the model's word). */
  progress?: boolean
  /** Items are stages that happen one after another (modelUpload): each leaves in a frame of its own. */
  streamed?: boolean
}

/** Read-only views a planner may need of the server's state (getTaskDetails reads the registry). */
export interface PlanContext {
  /** The original request and response of an accepted task, or undefined. */
  details(taskUUID: string): { request: Task; response: Record<string, unknown> } | undefined
}

export interface Planner {
  /** Only these delivery methods are accepted (videoInference is async only). */
  readonly deliveryMethods: readonly DeliveryMethod[]
  /** Whether getResponse reports progress while it runs, unless the model says otherwise. */
  readonly progress: boolean
  plan(task: Task, fields: Fields, context: PlanContext): Work
}

/** A 1×1 transparent PNG: decodable, and obviously not a generated image. */
export const FAKE_PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVR4nGNgAAIAAAUAAXpeqz8AAAAASUVORK5CYII='

export const OUTPUT_TYPES = ['URL', 'base64Data', 'dataURI'] as const
export const IMAGE_FORMATS = ['JPG', 'PNG', 'WEBP'] as const
export type OutputType = (typeof OUTPUT_TYPES)[number]

const MAX_SEED = 2 ** 31 - 1

/**
 * The output fields Runware uses for each outputType, for a prefix: `image` gives imageUUID and
 * imageURL / imageBase64Data / imageDataURI; `guideImage`, `maskImage`, `audio`, … likewise.
 */
export function mediaOutput(prefix: string, outputType: OutputType, extension: string, mime = 'image/png'): Record<string, unknown> {
  const uuid = randomUUID()
  switch (outputType) {
    case 'base64Data':
      return { [`${prefix}UUID`]: uuid, [`${prefix}Base64Data`]: FAKE_PNG_BASE64 }
    case 'dataURI':
      return { [`${prefix}UUID`]: uuid, [`${prefix}DataURI`]: `data:${mime};base64,${FAKE_PNG_BASE64}` }
    case 'URL':
      return { [`${prefix}UUID`]: uuid, [`${prefix}URL`]: `${FAKE_ORIGIN}/${prefix.toLowerCase()}s/${uuid}.${extension.toLowerCase()}` }
  }
}

export const round = (value: number): number => Math.round(value * 1e6) / 1e6

/** A caller-chosen seed makes item i use seed + i (as Runware does for batches); otherwise a seeded draw. */
export function seedFor(seed: number, index: number, random: Random): number {
  return seed >= 0 ? seed + index : random.int(1, MAX_SEED)
}

/** An image-to-image task's common fields: model, inputs.image, outputType and outputFormat. */
export function imageEdit<F extends string>(f: Fields, formats: readonly F[], fallback: F): { outputType: OutputType; outputFormat: F } {
  f.model()
  f.input(['image'])
  return { outputType: f.choice('outputType', OUTPUT_TYPES, 'URL'), outputFormat: f.choice('outputFormat', formats, fallback) }
}

/** The seed field: a caller's, or -1 for "draw one". */
export function seedField(f: Fields): number {
  return f.integer('seed', { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: -1 })
}
