/**
 * The simulator's model catalogue: what a model (an AIR id) allows and reports. Real limits depend
 * on the model (docs/protocol.md §9.2); these entries are illustrative families with plausible
 * limits, not Runware's figures, and a model not listed gets DEFAULT_LIMITS (documented there and
 * in docs/simulator.md). Add a model: one entry below.
 */

export interface ImageLimits {
  readonly minSide: number
  readonly maxSide: number
  /** Width and height must be multiples of this. */
  readonly multiple: number
  readonly maxResults: number
}

export interface ModelEntry {
  /** The task types it serves (a model of another type is refused with invalidModel). */
  readonly taskTypes: readonly string[]
  /** For imageInference. */
  readonly image?: ImageLimits
  /** Whether getResponse reports `progress` while it runs (off for images; on for long-running work). */
  readonly progress: boolean
}

/** Limits for an AIR the catalogue does not list: the widest common image range. */
export const DEFAULT_LIMITS: ImageLimits = { minSide: 128, maxSide: 2048, multiple: 64, maxResults: 20 }

const CATALOGUE: ReadonlyMap<string, ModelEntry> = new Map<string, ModelEntry>([
  // FLUX.1 [schnell] and [dev]: multiples of 16 up to 2048.
  ['runware:100@1', { taskTypes: ['imageInference'], image: { minSide: 128, maxSide: 2048, multiple: 16, maxResults: 20 }, progress: false }],
  ['runware:101@1', { taskTypes: ['imageInference'], image: { minSide: 128, maxSide: 2048, multiple: 16, maxResults: 20 }, progress: false }],
  // An SDXL-class checkpoint: multiples of 64, at most 1536, four at a time.
  ['civitai:101055@128078', { taskTypes: ['imageInference'], image: { minSide: 512, maxSide: 1536, multiple: 64, maxResults: 4 }, progress: false }],
  // A video model that reports progress, and one that does not.
  ['klingai:5@3', { taskTypes: ['videoInference'], progress: true }],
  ['bytedance:1@1', { taskTypes: ['videoInference'], progress: false }],
  ['runware:150@2', { taskTypes: ['caption'], progress: false }],
  ['runware:109@1', { taskTypes: ['removeBackground'], progress: false }],
  ['runware:500@1', { taskTypes: ['upscale'], progress: false }],
  ['elevenlabs:1@1', { taskTypes: ['audioInference'], progress: true }],
  ['runware:300@1', { taskTypes: ['3dInference'], progress: true }],
])

/** What the catalogue says of `air`; undefined for a model it does not list. */
export function modelEntry(air: string): ModelEntry | undefined {
  return CATALOGUE.get(air)
}

/** Task types whose long-running work reports progress when the model is not listed. */
const PROGRESS_BY_DEFAULT: ReadonlySet<string> = new Set(['videoInference', 'audioInference', '3dInference'])

/** Whether getResponse reports progress for this task: the model's word, else the type's. */
export function reportsProgress(taskType: string, air: string | undefined): boolean {
  const entry = air === undefined ? undefined : modelEntry(air)
  return entry?.progress ?? PROGRESS_BY_DEFAULT.has(taskType)
}

/** The image limits for `air` (DEFAULT_LIMITS when it is not listed or lists none). */
export function imageLimits(air: string | undefined): ImageLimits {
  return (air === undefined ? undefined : modelEntry(air)?.image) ?? DEFAULT_LIMITS
}

/** Why `air` cannot run `taskType`, if the catalogue knows it serves another type. */
export function modelMismatch(air: string, taskType: string): string | undefined {
  const entry = modelEntry(air)
  if (entry === undefined || entry.taskTypes.includes(taskType)) return undefined
  return `Model '${air}' does not support task type '${taskType}' (it serves ${entry.taskTypes.join(', ')}).`
}
