/**
 * The result items of the common task types, as Runware documents them (docs/protocol.md §3.3).
 * Every item names its task (`taskType`, `taskUUID`); `cost` is there when the task asked for it
 * with `includeCost: true`. Fields the docs do not list still arrive (the index signature).
 */
import type { ResultItem } from '../protocol/protocol.js'

interface Output extends ResultItem {
  /** USD, when the task set `includeCost: true`. */
  cost?: number
}

/** An image output: its id and one of URL / base64 / data URI (per the task's `outputType`). */
export interface ImageOutput extends Output {
  imageUUID: string
  imageURL?: string
  imageBase64Data?: string
  imageDataURI?: string
}

export interface VideoOutput extends Output {
  videoUUID: string
  videoURL?: string
  videoBase64Data?: string
  videoDataURI?: string
}

export interface ImageInferenceResult extends ImageOutput {
  taskType: 'imageInference'
  seed?: number
  NSFWContent?: boolean
}

export interface VideoInferenceResult extends VideoOutput {
  taskType: 'videoInference'
  seed?: number
  NSFWContent?: boolean
}

export interface AudioInferenceResult extends Output {
  taskType: 'audioInference'
  audioUUID: string
  audioURL?: string
  audioBase64Data?: string
  audioDataURI?: string
  seed?: number
}

export interface TextInferenceResult extends Output {
  taskType: 'textInference'
  text: string
  finishReason?: 'stop' | 'length' | 'content_filter' | 'unknown'
  usage?: { promptTokens: number; completionTokens: number; totalTokens: number; thinkingTokens?: number }
}

/**
 * A piece of a streamed text (`deliveryMethod: 'stream'`, over HTTP): what `stream()` yields, and
 * `onDelta` receives, before the task's result item. Never counted as a result.
 */
export interface TextDelta {
  taskType: 'textInference'
  taskUUID: string
  delta: { text?: string; reasoningContent?: string }
  /** Which result the piece belongs to (numberResults > 1). */
  resultIndex?: number
}

export interface ThreeDInferenceResult extends Output {
  taskType: '3dInference'
  outputs: { files: { uuid: string; url: string }[] }
  seed?: number
}

export interface TextResult extends Output {
  text: string
}

export interface PromptEnhanceResult extends TextResult {
  taskType: 'promptEnhance'
}

export interface CaptionResult extends TextResult {
  taskType: 'caption'
}

/** The output of a task that takes an image or a video: image fields for `inputs.image`, video fields for `inputs.video`. */
export interface MediaOutput extends Output {
  imageUUID?: string
  imageURL?: string
  imageBase64Data?: string
  imageDataURI?: string
  videoUUID?: string
  videoURL?: string
  videoBase64Data?: string
  videoDataURI?: string
}

export interface RemoveBackgroundResult extends MediaOutput {
  taskType: 'removeBackground'
}

export interface UpscaleResult extends MediaOutput {
  taskType: 'upscale'
}

export interface VectorizeResult extends ImageOutput {
  taskType: 'vectorize'
}

export interface ControlNetPreprocessResult extends Output {
  taskType: 'controlNetPreprocess'
  guideImageUUID: string
  guideImageURL?: string
  guideImageBase64Data?: string
  guideImageDataURI?: string
  inputImageUUID?: string
}

export interface ImageMaskingResult extends Output {
  taskType: 'imageMasking'
  maskImageUUID: string
  maskImageURL?: string
  maskImageBase64Data?: string
  maskImageDataURI?: string
  detections?: { x_min: number; y_min: number; x_max: number; y_max: number }[]
  inputImageUUID?: string
}

export interface ImageUploadResult extends ImageOutput {
  taskType: 'imageUpload'
}

export interface MediaStorageResult extends Output {
  taskType: 'mediaStorage'
  operation: 'upload' | 'delete'
  mediaUUID: string
  mediaURL?: string
}

export interface ModelSearchResult extends Output {
  taskType: 'modelSearch'
  totalResults: number
  results: {
    air: string
    name: string
    version?: string
    category?: string
    architecture?: string
    type?: string
    capabilities?: string[]
    source?: string
    heroImage?: string
    private?: boolean
    tags?: string[]
    comment?: string
    [field: string]: unknown
  }[]
}

/** One stage of an upload (validated, downloaded, optimized, …); the task completes on `ready`. */
export interface ModelUploadResult extends Output {
  taskType: 'modelUpload'
  status: string
  message?: string
  air?: string
}

export interface AccountManagementResult extends Output {
  taskType: 'accountManagement'
  operation?: string
}

export interface GetTaskDetailsResult extends Output {
  taskType: 'getTaskDetails'
  status?: string
}
