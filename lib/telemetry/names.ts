/**
 * The names telemetry uses, as data: the OpenTelemetry GenAI semantic conventions where they apply
 * (`gen_ai.*`, `error.type`), `runware.*` for the rest.
 */

/** The tracer's and meter's name, and version (package.json's: spec/telemetry checks they agree). */
export const INSTRUMENTATION_SCOPE = 'runware-socket'
export const INSTRUMENTATION_VERSION = '0.1.0'

/**
 * `gen_ai.operation.name` per task type: a generation of media is `generate_content` (the
 * conventions' value for multimodal generation), a chat completion `chat`, a prompt rewritten
 * `text_completion`; any other task type (platform tasks: modelSearch, imageUpload, …) is named
 * by itself, as the conventions allow for operations they do not list.
 */
const OPERATIONS: Readonly<Record<string, string>> = {
  imageInference: 'generate_content',
  videoInference: 'generate_content',
  audioInference: 'generate_content',
  '3dInference': 'generate_content',
  upscale: 'generate_content',
  removeBackground: 'generate_content',
  caption: 'generate_content',
  vectorize: 'generate_content',
  controlNetPreprocess: 'generate_content',
  imageMasking: 'generate_content',
  textInference: 'chat',
  promptEnhance: 'text_completion',
}

export function operationOf(taskType: string): string {
  return Object.hasOwn(OPERATIONS, taskType) ? (OPERATIONS[taskType] ?? taskType) : taskType
}

export const ATTRIBUTES = {
  operation: 'gen_ai.operation.name',
  model: 'gen_ai.request.model',
  taskType: 'runware.task.type',
  taskUUID: 'runware.task.uuid',
  attempts: 'runware.task.attempts',
  wireUUID: 'runware.task.wire_uuid',
  errorType: 'error.type',
  errorCategory: 'runware.error.category',
  code: 'runware.error.code',
} as const

type Keys<K extends keyof typeof ATTRIBUTES> = Record<(typeof ATTRIBUTES)[K], string>

/**
 * A task span's attributes as it starts, the keys of ATTRIBUTES spelled out: an object literal V8
 * builds from one shape, where computed keys cost a lookup each (this runs once per task). The
 * return types hold the spelling to ATTRIBUTES: a key misspelt or missing does not compile.
 */
export function startAttributes(operation: string, model: string, taskType: string, taskUUID: string): Keys<'operation' | 'model' | 'taskType' | 'taskUUID'> {
  return { 'gen_ai.operation.name': operation, 'gen_ai.request.model': model, 'runware.task.type': taskType, 'runware.task.uuid': taskUUID }
}

/**
 * What every duration of one type and model is recorded with: frozen, because one object is shared
 * by every record of the kind (a meter that changed it would change them all).
 */
export function durationAttributes(operation: string, model: string, taskType: string): Readonly<Keys<'operation' | 'model' | 'taskType'>> {
  return Object.freeze({ 'gen_ai.operation.name': operation, 'gen_ai.request.model': model, 'runware.task.type': taskType })
}

export const METRICS = {
  duration: { name: 'gen_ai.client.operation.duration', unit: 's', description: 'Time from admission to settlement of one task' },
  inFlight: { name: 'runware.client.tasks.in_flight', unit: '{task}', description: 'Tasks on the wire: sent, polled or being reconciled' },
  queued: { name: 'runware.client.tasks.queued', unit: '{task}', description: 'Tasks waiting to be sent (queued, journaling, waiting out a retry)' },
  reconnects: { name: 'runware.client.reconnects', unit: '{reconnect}', description: 'Times the socket was lost and a reconnect scheduled' },
  resumes: { name: 'runware.client.session.resumes', unit: '{resume}', description: 'Sockets made ready that re-attached the previous session' },
  errors: { name: 'runware.client.errors', unit: '{error}', description: 'Tasks that settled with an error, by code and category' },
  cost: { name: 'runware.client.cost', unit: 'USD', description: 'What the results cost (their cost fields: includeCost), by model' },
  pong: { name: 'runware.client.pong.duration', unit: 's', description: 'Round trip of an application ping (heartbeat, or after a resume) to its pong' },
  polls: { name: 'runware.client.polls', unit: '{request}', description: 'getResponse requests sent (async tasks, reconciliation)' },
} as const

/** Seconds; the boundaries the conventions advise for gen_ai.client.operation.duration. */
export const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]

/** Seconds: a pong on a healthy link comes in milliseconds; past a second the link is in trouble. */
export const PONG_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** OpenTelemetry's SpanKind.CLIENT and SpanStatusCode.ERROR (numbers: the API need not be loaded to use them). */
export const SPAN_KIND_CLIENT = 2
export const STATUS_ERROR = 2
