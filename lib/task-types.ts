/**
 * Typed shapes for the common Runware task types and their result items (the public catalog).
 * What the client needs to know about each type at run time is in task-kinds.ts.
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
