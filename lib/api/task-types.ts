/**
 * Typed task inputs for the common Runware task types (fields from Runware's docs and schemas,
 * docs/protocol.md §9), and the result type each one resolves with (result-types.ts).
 *
 * A known task type is checked exactly: the fields Runware requires are required, and a field that
 * is not listed is a compile error (a typo, not a silent no-op). Anything else (a task type this
 * catalog lacks, a field it does not list yet) goes through the explicit untyped path:
 * `client.run(untyped({ taskType: 'newThing', … }))`.
 */
import type { ResultItem, Task } from '../protocol/protocol.js'
import type * as R from './result-types.js'

export type * from './result-types.js'
/** A piece of a streamed text, or its task's result item (both are a textInference's)? */
export function isTextDelta(chunk: object): chunk is R.TextDelta {
  return 'delta' in chunk && typeof chunk.delta === 'object' && chunk.delta !== null
}

export type OutputType = 'URL' | 'base64Data' | 'dataURI'
export type DeliveryMethod = 'sync' | 'async'
/** An input image, video or audio: a UUID of an earlier output or upload, a URL, a data URI or base64. */
export type MediaInput = string

/** Fields every task may carry. */
interface Common {
  /** Filled in by `run` (a UUID v4) when absent. */
  taskUUID?: string
  includeCost?: boolean
  deliveryMethod?: DeliveryMethod
  /** Results are also POSTed here. */
  webhookURL?: string
  /** Generated files are also PUT here. */
  uploadEndpoint?: string
  /** Seconds a generated URL stays valid. */
  ttl?: number
}

interface Generated extends Common {
  /** An AIR identifier, e.g. `runware:101@1`. */
  model: string
  numberResults?: number
  seed?: number
  /** Provider-specific settings, passed through as given. */
  providerSettings?: Record<string, unknown>
  /** Model settings, passed through as given. */
  settings?: Record<string, unknown>
}

interface ImageFormat {
  outputType?: OutputType
  outputFormat?: 'JPG' | 'PNG' | 'WEBP'
  outputQuality?: number
}

export interface ImageInferenceTask extends Generated, ImageFormat {
  taskType: 'imageInference'
  positivePrompt: string
  negativePrompt?: string
  width?: number
  height?: number
  steps?: number
  CFGScale?: number
  scheduler?: string
  strength?: number
  clipSkip?: number
  vae?: string
  seedImage?: MediaInput
  maskImage?: MediaInput
  referenceImages?: MediaInput[]
  inputs?: { seedImage?: MediaInput; maskImage?: MediaInput; referenceImages?: MediaInput[] }
  lora?: { model: string; weight?: number }[]
  controlNet?: Record<string, unknown>[]
  ipAdapters?: Record<string, unknown>[]
  safety?: { checkContent?: boolean }
}

export interface VideoInferenceTask extends Generated {
  taskType: 'videoInference'
  /** Video runs are async only: results are collected with getResponse. */
  deliveryMethod: 'async'
  positivePrompt?: string
  negativePrompt?: string
  duration?: number
  width?: number
  height?: number
  fps?: number
  outputType?: 'URL'
  outputFormat?: 'MP4' | 'WEBM' | 'MOV'
  outputQuality?: number
  frameImages?: { inputImage: MediaInput; frame?: 'first' | 'last' | number }[]
  referenceImages?: MediaInput[]
  inputs?: Record<string, unknown>
  safety?: { checkContent?: boolean; mode?: 'none' | 'fast' | 'full' }
}

export interface AudioInferenceTask extends Generated {
  taskType: 'audioInference'
  positivePrompt?: string
  duration?: number
  speech?: { text: string; voice?: string }
  outputType?: OutputType
  outputFormat?: 'MP3' | 'WAV' | 'FLAC' | 'OGG'
  audioSettings?: { bitrate?: number; channels?: 1 | 2; sampleRate?: number }
  inputs?: Record<string, unknown>
}

export interface TextInferenceTask extends Omit<Generated, 'deliveryMethod'> {
  taskType: 'textInference'
  /** `stream`: the text as server-sent events, piece by piece (transport `http`; `stream()` yields them). */
  deliveryMethod?: DeliveryMethod | 'stream'
  /** The conversation; the last message is the user's. */
  messages: { role: 'user' | 'assistant'; content: string }[]
  systemPrompt?: string
  includeUsage?: boolean
  outputFormat?: 'TEXT'
}

/** A textInference whose text arrives in pieces (server-sent events, transport `http`): what `stream()` yields them for. */
export type TextStreamTask = TextInferenceTask & { deliveryMethod: 'stream' }

export interface ThreeDInferenceTask extends Generated {
  taskType: '3dInference'
  positivePrompt?: string
  inputs?: { image?: MediaInput; images?: MediaInput[] }
  outputType?: 'URL'
  outputFormat?: 'GLB'
}

/** One input image or one input video (a video task is async). */
type ImageOrVideoInput = { image: MediaInput; video?: undefined } | { video: MediaInput; image?: undefined }

export interface CaptionTask extends Common {
  taskType: 'caption'
  model: string
  inputs: ImageOrVideoInput
  prompt?: string
}

export interface RemoveBackgroundTask extends Common, ImageFormat {
  taskType: 'removeBackground'
  model: string
  inputs: ImageOrVideoInput
  settings?: Record<string, unknown>
}

export interface UpscaleTask extends Common, ImageFormat {
  taskType: 'upscale'
  model: string
  inputs: ImageOrVideoInput
  upscaleFactor?: number
  settings?: Record<string, unknown>
}

export interface VectorizeTask extends Common {
  taskType: 'vectorize'
  model: string
  /** Some models vectorize a prompt instead of an image. */
  inputs?: { image: MediaInput }
  positivePrompt?: string
  outputType?: OutputType
  outputFormat?: 'SVG'
}

export interface ControlNetPreprocessTask extends Common, ImageFormat {
  taskType: 'controlNetPreprocess'
  model: string
  inputs: { image: MediaInput }
  width?: number
  height?: number
  settings?: Record<string, unknown>
}

export interface ImageMaskingTask extends Common, ImageFormat {
  taskType: 'imageMasking'
  model: string
  inputs: { image: MediaInput }
  settings?: { confidence?: number; maxDetections?: number; maskPadding?: number; maskBlur?: number }
}

export interface PromptEnhanceTask extends Common {
  taskType: 'promptEnhance'
  prompt: string
  promptMaxLength?: number
  /** How many versions (1–5); each is one result item. */
  promptVersions?: number
  /** The current schema names a model; older servers and SDKs send none. */
  model?: string
}

export interface ImageUploadTask extends Common {
  taskType: 'imageUpload'
  image: MediaInput
}

export interface MediaStorageTask extends Common {
  taskType: 'mediaStorage'
  operation: 'upload' | 'delete'
  /** For upload, the media (URL, data URI, base64); for delete, its mediaUUID. */
  media: string
}

export interface ModelSearchTask extends Common {
  taskType: 'modelSearch'
  search: string
  source?: 'featured' | 'community'
  category?: 'checkpoint' | 'lora' | 'lycoris' | 'vae' | 'embeddings' | 'controlnet'
  architecture?: string
  capabilities?: string[]
  visibility?: 'public' | 'private' | 'favorite' | 'owned'
  type?: string
  limit?: number
  offset?: number
  sort?: string
}

export interface ModelUploadTask extends Common {
  taskType: 'modelUpload'
  category: 'checkpoint' | 'lora' | 'lycoris' | 'vae' | 'embeddings' | 'controlnet'
  architecture: string
  format: 'safetensors'
  name: string
  version: string
  downloadURL: string
  air?: string
  uniqueIdentifier?: string
  type?: string
  private?: boolean
  heroImageURL?: string
  tags?: string[]
  positiveTriggerWords?: string
  negativeTriggerWords?: string
  shortDescription?: string
  comment?: string
  defaultScheduler?: string
  defaultSteps?: number
  defaultCFG?: number
  defaultStrength?: number
  defaultWeight?: number
}

export interface AccountManagementTask extends Common {
  taskType: 'accountManagement'
  operation: 'getDetails' | 'getUsageActivity' | 'getUsagePerformance' | 'getUsageErrors'
  startDate?: string
  endDate?: string
  models?: string[]
  apiKeys?: string[]
  groupBy?: ('date' | 'model' | 'apiKey')[]
  timezone?: string
}

export interface GetTaskDetailsTask extends Common {
  taskType: 'getTaskDetails'
  /** The task asked about. */
  taskUUID: string
}

/** Task type → [task, result item]. */
export interface TaskTypeMap {
  imageInference: [ImageInferenceTask, R.ImageInferenceResult]
  videoInference: [VideoInferenceTask, R.VideoInferenceResult]
  audioInference: [AudioInferenceTask, R.AudioInferenceResult]
  textInference: [TextInferenceTask, R.TextInferenceResult]
  '3dInference': [ThreeDInferenceTask, R.ThreeDInferenceResult]
  caption: [CaptionTask, R.CaptionResult]
  removeBackground: [RemoveBackgroundTask, R.RemoveBackgroundResult]
  upscale: [UpscaleTask, R.UpscaleResult]
  vectorize: [VectorizeTask, R.VectorizeResult]
  controlNetPreprocess: [ControlNetPreprocessTask, R.ControlNetPreprocessResult]
  imageMasking: [ImageMaskingTask, R.ImageMaskingResult]
  promptEnhance: [PromptEnhanceTask, R.PromptEnhanceResult]
  imageUpload: [ImageUploadTask, R.ImageUploadResult]
  mediaStorage: [MediaStorageTask, R.MediaStorageResult]
  modelSearch: [ModelSearchTask, R.ModelSearchResult]
  modelUpload: [ModelUploadTask, R.ModelUploadResult]
  accountManagement: [AccountManagementTask, R.AccountManagementResult]
  getTaskDetails: [GetTaskDetailsTask, R.GetTaskDetailsResult]
}

export type KnownTaskType = keyof TaskTypeMap
export type TaskOf<K extends KnownTaskType> = TaskTypeMap[K][0]
export type KnownTask = { [K in KnownTaskType]: TaskOf<K> }[KnownTaskType]

/** The result item type of a task: typed for the known task types, `ResultItem` otherwise. */
export type ResultOf<T extends { taskType: string }> = T['taskType'] extends KnownTaskType ? TaskTypeMap[T['taskType']][1] : ResultItem

declare const untypedTask: unique symbol

/** A task that skipped the catalog's checks on purpose (see `untyped`). */
export type UntypedTask = Task & { readonly [untypedTask]: true }

/**
 * The explicit untyped path: a task of a type this catalog does not know, or with fields it does
 * not list yet. Checked at run time like any task; its result is typed when its type is known.
 *
 *   await client.run(untyped({ taskType: 'someNewTask', model: 'x' }))
 */
export function untyped<const T extends Task>(task: T): T & UntypedTask {
  return task as T & UntypedTask
}
