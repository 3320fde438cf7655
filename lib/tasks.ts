/**
 * Typed shapes for the common Runware task types and their result items, and the two facts the
 * ledger needs about any task: how many result items complete it, and how to tell two copies of
 * the same result item apart from two different items.
 *
 * The types cover the fields this library relies on plus the usual ones; every task still accepts
 * any other field Runware documents (the index signature), and unknown task types fall back to
 * `Task` / `ResultItem`.
 */
import type { ResultItem, Task } from './protocol.js'

export type OutputType = 'URL' | 'base64Data' | 'dataURI'
export type DeliveryMethod = 'sync' | 'async'

interface CommonTask extends Task {
  includeCost?: boolean
  deliveryMethod?: DeliveryMethod
}

export interface ImageInferenceTask extends CommonTask {
  taskType: 'imageInference'
  model: string
  positivePrompt: string
  negativePrompt?: string
  width?: number
  height?: number
  numberResults?: number
  outputType?: OutputType
  outputFormat?: 'PNG' | 'JPG' | 'WEBP'
  seed?: number
  steps?: number
}

export interface ImageInferenceResult extends ResultItem {
  taskType: 'imageInference'
  imageUUID: string
  imageURL?: string
  imageBase64Data?: string
  imageDataURI?: string
  seed?: number
  NSFWContent?: boolean
  cost?: number
}

export interface VideoInferenceTask extends CommonTask {
  taskType: 'videoInference'
  model: string
  positivePrompt?: string
  duration?: number
  width?: number
  height?: number
  numberResults?: number
}

export interface VideoInferenceResult extends ResultItem {
  taskType: 'videoInference'
  videoUUID: string
  videoURL?: string
  seed?: number
  cost?: number
}

export interface PromptEnhanceTask extends CommonTask {
  taskType: 'promptEnhance'
  prompt: string
  promptMaxLength?: number
  promptVersions?: number
}

export interface TextResult extends ResultItem {
  text: string
  cost?: number
}

export interface PromptEnhanceResult extends TextResult {
  taskType: 'promptEnhance'
}

export interface CaptionTask extends CommonTask {
  taskType: 'caption'
  inputImage?: string
  inputs?: { image?: string; video?: string }
  model?: string
}

export interface CaptionResult extends TextResult {
  taskType: 'caption'
}

export interface ImageOutput extends ResultItem {
  imageUUID: string
  imageURL?: string
  imageBase64Data?: string
  imageDataURI?: string
  cost?: number
}

export interface RemoveBackgroundTask extends CommonTask {
  taskType: 'removeBackground'
  inputImage?: string
  inputs?: { image?: string }
  model?: string
  outputType?: OutputType
}

export interface RemoveBackgroundResult extends ImageOutput {
  taskType: 'removeBackground'
}

export interface UpscaleTask extends CommonTask {
  taskType: 'upscale'
  inputImage?: string
  inputs?: { image?: string }
  upscaleFactor?: number
  model?: string
  outputType?: OutputType
}

export interface UpscaleResult extends ImageOutput {
  taskType: 'upscale'
}

export interface ImageUploadTask extends CommonTask {
  taskType: 'imageUpload'
  image: string
}

export interface ImageUploadResult extends ImageOutput {
  taskType: 'imageUpload'
}

export interface ModelSearchTask extends CommonTask {
  taskType: 'modelSearch'
  search?: string
  category?: string
  architecture?: string
  limit?: number
  offset?: number
}

export interface ModelSearchResult extends ResultItem {
  taskType: 'modelSearch'
  totalResults: number
  results: { air: string; name: string; category?: string; architecture?: string; [field: string]: unknown }[]
}

export interface ModelUploadTask extends CommonTask {
  taskType: 'modelUpload'
}

export interface ModelUploadResult extends ResultItem {
  taskType: 'modelUpload'
  status: string
  message?: string
  air?: string
}

/** Task type → [task, result item]. */
export interface TaskTypeMap {
  imageInference: [ImageInferenceTask, ImageInferenceResult]
  videoInference: [VideoInferenceTask, VideoInferenceResult]
  promptEnhance: [PromptEnhanceTask, PromptEnhanceResult]
  caption: [CaptionTask, CaptionResult]
  removeBackground: [RemoveBackgroundTask, RemoveBackgroundResult]
  upscale: [UpscaleTask, UpscaleResult]
  imageUpload: [ImageUploadTask, ImageUploadResult]
  modelSearch: [ModelSearchTask, ModelSearchResult]
  modelUpload: [ModelUploadTask, ModelUploadResult]
}

export type KnownTaskType = keyof TaskTypeMap
export type TaskOf<K extends KnownTaskType> = TaskTypeMap[K][0]
export type KnownTask = { [K in KnownTaskType]: TaskOf<K> }[KnownTaskType]

/** The result item type of a task: typed for the known task types, `ResultItem` otherwise. */
export type ResultOf<T extends Task> = T['taskType'] extends KnownTaskType ? TaskTypeMap[T['taskType']][1] : ResultItem

/** Types the client manages itself; `run` refuses them. */
export const RESERVED_TASK_TYPES: ReadonlySet<string> = new Set(['authentication', 'ping', 'getResponse'])

/** How a task is known to be complete. */
export type Completion =
  /** After `count` distinct result items. */
  | { kind: 'count'; count: number }
  /** When an item reports `status: "ready"` (modelUpload streams its stages as items). */
  | { kind: 'ready' }

const MAX_RESULTS = 1_000

function positiveInteger(value: unknown, fallback: number): number | undefined {
  if (value === undefined) return fallback
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_RESULTS ? value : undefined
}

/**
 * How many items complete `task`, or a message saying why the count field is unusable.
 * `numberResults` (default 1) for inference; `promptVersions` for promptEnhance.
 */
export function completionOf(task: Task): Completion | string {
  if (task.taskType === 'modelUpload') return { kind: 'ready' }
  const field = task.taskType === 'promptEnhance' ? 'promptVersions' : 'numberResults'
  const count = positiveInteger(task[field], 1)
  if (count === undefined) return `${field} must be an integer from 1 to ${MAX_RESULTS}`
  return { kind: 'count', count }
}

/** The field that asks for a number of results, for a retry that asks only for what is missing. */
export function countField(taskType: string): 'numberResults' | 'promptVersions' {
  return taskType === 'promptEnhance' ? 'promptVersions' : 'numberResults'
}

/** Fields that identify one generated output, in the order they are looked for. */
const IDENTITY_FIELDS = ['imageUUID', 'videoUUID', 'audioUUID', 'mediaUUID', 'guideImageUUID', 'maskImageUUID'] as const

/** `status` values of getResponse items (current and older docs, and what sdk-python tolerates). */
export const POLL_STATUSES: ReadonlySet<string> = new Set(['processing', 'pending', 'queued', 'scheduled', 'waiting', 'success', 'error'])

/** Fields that describe delivery, not the output: ignored when comparing items without an id. */
const DELIVERY_FIELDS = new Set(['progress', 'taskUUID'])

/**
 * A key that is equal for two copies of the same output (a replayed frame, the same item pushed
 * and then returned by getResponse) and different for different outputs.
 */
export function itemKey(item: ResultItem): string {
  for (const field of IDENTITY_FIELDS) {
    const value = item[field]
    if (typeof value === 'string') return `${field}:${value}`
  }
  const rest: Record<string, unknown> = {}
  for (const key of Object.keys(item).sort()) {
    if (DELIVERY_FIELDS.has(key)) continue
    // A poll status says how the item was delivered; any other status (modelUpload's stages) is content.
    if (key === 'status' && typeof item.status === 'string' && POLL_STATUSES.has(item.status)) continue
    rest[key] = item[key]
  }
  return JSON.stringify(rest)
}
