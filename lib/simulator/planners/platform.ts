/**
 * Prompts and the platform's own tasks: promptEnhance, modelSearch, modelUpload, mediaStorage,
 * accountManagement and getTaskDetails. Fields and results follow docs/protocol.md §9 and §4.3
 * (TS schema map: ModelSearchParams/Result, ModelUploadParams/Result, MediaStorageParams/Result,
 * AccountManagementParams/Result, GetTaskDetailsResult).
 */
import { randomUUID } from 'node:crypto'
import { isUUID } from '../../protocol/protocol.js'
import { FAKE_ORIGIN } from '../replies.js'
import type { Planner } from './shared.js'

const STYLES = ['Vivid', 'Dreamy', 'Cinematic', 'Moody', 'Luminous'] as const
const DETAILS = 'highly detailed, soft light, sharp focus, simulated enhancement'

export const promptEnhance: Planner = {
  deliveryMethods: ['sync', 'async'],
  progress: false,
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

const CATEGORIES = ['checkpoint', 'lora', 'lycoris', 'vae', 'embeddings'] as const
const ARCHITECTURES = ['sdxl', 'flux1d', 'sd1x'] as const

/** modelSearch: `search` (required by the current schema); every field the schema marks required on each result, and what the Python SDK requires. */
export const modelSearch: Planner = {
  deliveryMethods: ['sync'],
  progress: false,
  plan(_task, f) {
    const search = f.string('search') ?? 'model'
    const category = f.choice('category', CATEGORIES, 'checkpoint')
    const source = f.choice('source', ['featured', 'community'] as const, 'community')
    const limit = f.integer('limit', { min: 1, max: 100, fallback: 20 })
    const offset = f.integer('offset', { min: 0, max: 10_000, fallback: 0 })
    const total = 3
    return {
      expected: 1,
      cost: 0,
      build: () => ({
        totalResults: total,
        results: Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => ({
          air: `simulator:${offset + i + 1}@1`,
          name: `Simulated ${search} ${offset + i + 1}`,
          category,
          architecture: ARCHITECTURES[(offset + i) % ARCHITECTURES.length] ?? null,
          capabilities: ['textToImage'],
          source,
          heroImage: `${FAKE_ORIGIN}/models/${offset + i + 1}.jpg`,
          private: false,
          isFavorite: false,
          provider: 'simulator',
          shortDescription: 'A model of the simulator: it generates nothing real.',
          // The Python SDK's model type requires these three.
          tags: ['simulator', category],
          version: '1.0',
          comment: '',
          positiveTriggerWords: '',
          negativeTriggerWords: '',
        })),
      }),
    }
  },
}

/** The stages a modelUpload reports, one item each, the last `ready` with the model's AIR (TS ModelUploadResult). */
const UPLOAD_STAGES = ['validated', 'downloaded', 'optimized', 'stored', 'ready'] as const

export const modelUpload: Planner = {
  deliveryMethods: ['sync'],
  progress: false,
  plan(_task, f) {
    f.choice('category', CATEGORIES, 'checkpoint')
    f.string('architecture')
    f.choice('format', ['safetensors'] as const, 'safetensors')
    const name = f.string('name') ?? 'model'
    f.string('version')
    f.string('downloadURL')
    const air = f.string('air', { required: false }) ?? `simulator:${Math.abs(hash(name)) % 100_000}@1`
    return {
      expected: UPLOAD_STAGES.length,
      cost: 0,
      streamed: true,
      build: (index) => {
        const status = UPLOAD_STAGES[index] ?? 'ready'
        return status === 'ready' ? { status, message: 'The model is ready (simulated).', air } : { status, message: `Upload ${status} (simulated).` }
      },
    }
  },
}

/** mediaStorage: `upload` a URL, data URI or base64 → mediaUUID + mediaURL; `delete` a mediaUUID. */
export const mediaStorage: Planner = {
  deliveryMethods: ['sync'],
  progress: false,
  plan(_task, f) {
    const operation = f.choice('operation', ['upload', 'delete'] as const, 'upload')
    const media = f.string('media')
    if (operation === 'delete' && media !== undefined && !isUUID(media))
      f.fail('invalidMedia', 'media', "Invalid value for 'media' parameter. To delete, it must be the mediaUUID of stored media.", { type: 'string' })
    return {
      expected: 1,
      cost: 0,
      build: () => {
        if (operation === 'delete') return { operation, mediaUUID: media }
        const mediaUUID = randomUUID()
        return { operation, mediaUUID, mediaURL: `${FAKE_ORIGIN}/media/${mediaUUID}` }
      },
    }
  },
}

const OPERATIONS = ['getDetails', 'getUsageActivity', 'getUsagePerformance', 'getUsageErrors'] as const

/** accountManagement: the account's details, or a usage window (at most 30 days). */
export const accountManagement: Planner = {
  deliveryMethods: ['sync'],
  progress: false,
  plan(_task, f) {
    const operation = f.choice('operation', OPERATIONS, 'getDetails')
    if (f.error === undefined && _task.operation === undefined)
      f.fail('missingOperation', 'operation', "Missing required parameter 'operation'.", { type: 'string' })
    const startDate = f.string('startDate', { required: false })
    const endDate = f.string('endDate', { required: false })
    return {
      expected: 1,
      cost: 0,
      build: () =>
        operation === 'getDetails'
          ? {
              operation,
              organizationName: 'Simulated organization',
              organizationUUID: '00000000-0000-4000-8000-000000000000',
              balance: { amount: 100, freeBalance: 0, currency: 'USD' },
              team: [{ name: 'Simulated member', email: 'member@example.invalid', role: 'owner' }],
            }
          : { operation, ...(startDate === undefined ? {} : { startDate }), ...(endDate === undefined ? {} : { endDate }), usage: [] },
    }
  },
}

/**
 * getTaskDetails: the original request and response of a task this account ran, looked up by the
 * task's own taskUUID (TS GetTaskDetailsResult). Unknown: `taskNotFound` (a code of the simulator's).
 */
export const getTaskDetails: Planner = {
  deliveryMethods: ['sync'],
  progress: false,
  plan(task, f, context) {
    const details = context.details(String(task.taskUUID))
    if (details === undefined)
      f.fail('taskNotFound', 'taskUUID', `No task with taskUUID ${String(task.taskUUID)} is known to this account.`, { type: 'string' })
    return { expected: 1, cost: 0, build: () => ({ request: [details?.request ?? {}], response: details?.response ?? {} }) }
  },
}

function hash(text: string): number {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0
  return h
}
