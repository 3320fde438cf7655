/**
 * The task types the simulator runs, as one table of planners (planners/): per-type validation
 * (documented error codes, limits in the error item) and clearly fake results (example.invalid
 * URLs, fresh UUIDs, seeded seeds). Legacy names older SDKs still send map to the same planner,
 * and their results echo the name the request used (what the live server answers is not
 * documented: docs/protocol.md §12).
 */
import type { ErrorItem, Task } from '../protocol/protocol.js'
import { Fields } from './fields.js'
import { reportsProgress } from './models.js'
import { caption, controlNetPreprocess, imageInference, imageMasking, imageUpload, removeBackground, upscale, vectorize } from './planners/images.js'
import { audioInference, textInference, threeDInference, videoInference } from './planners/media.js'
import { accountManagement, getTaskDetails, mediaStorage, modelSearch, modelUpload, promptEnhance } from './planners/platform.js'
import type { DeliveryMethod, PlanContext, Planner } from './planners/shared.js'
import type { Random } from './random.js'

export type { DeliveryMethod, PlanContext } from './planners/shared.js'

/** What an accepted task will do. */
export interface TaskPlan {
  deliveryMethod: DeliveryMethod
  /** Result items a successful run produces (numberResults, promptVersions, …). */
  expected: number
  /** `cost` of one item when the task asked for it with `includeCost: true`. */
  cost: number | undefined
  /** Whether getResponse reports `progress` while it runs (per type, and per model). */
  progress: boolean
  /** Each item is a stage of its own, sent in its own frame whatever the framing. */
  streamed: boolean
  /** The type-specific fields of result item `index`; taskType, taskUUID and cost are added by the caller. */
  build: (index: number, random: Random) => Record<string, unknown>
}

export type PlanOutcome = { ok: true; plan: TaskPlan } | { ok: false; error: ErrorItem }

/** Current names plus the legacy ones older SDKs still send (docs/protocol.md §9, §12.16). */
const PLANNERS: ReadonlyMap<string, Planner> = new Map([
  ['imageInference', imageInference],
  ['videoInference', videoInference],
  ['audioInference', audioInference],
  ['3dInference', threeDInference],
  ['textInference', textInference],
  ['promptEnhance', promptEnhance],
  ['caption', caption],
  ['imageCaption', caption],
  ['removeBackground', removeBackground],
  ['imageBackgroundRemoval', removeBackground],
  ['upscale', upscale],
  ['imageUpscale', upscale],
  ['vectorize', vectorize],
  ['imageMasking', imageMasking],
  ['controlNetPreprocess', controlNetPreprocess],
  ['imageControlNetPreProcess', controlNetPreprocess],
  ['imageUpload', imageUpload],
  ['mediaStorage', mediaStorage],
  ['modelSearch', modelSearch],
  ['modelUpload', modelUpload],
  ['accountManagement', accountManagement],
  ['getTaskDetails', getTaskDetails],
])

/** Types that name an existing task by its taskUUID instead of running one (never a conflict, never executed). */
export const LOOKUP_TASK_TYPES: ReadonlySet<string> = new Set(['getTaskDetails'])

export function isSupportedTaskType(taskType: string): boolean {
  return PLANNERS.has(taskType)
}

const NO_CONTEXT: PlanContext = { details: () => undefined }

/** Validates a task of a supported type; the first problem found is the error. */
export function planTask(task: Task, taskUUID: string, context: PlanContext = NO_CONTEXT): PlanOutcome {
  const planner = PLANNERS.get(task.taskType)
  const fields = new Fields(task, taskUUID)
  if (planner === undefined) {
    return { ok: false, error: fields.fail('unsupportedTaskType', 'taskType', `Unsupported task type '${task.taskType}'.`) }
  }
  const requested = fields.choice('deliveryMethod', ['sync', 'async'], 'sync')
  if (fields.error === undefined && !planner.deliveryMethods.includes(requested)) {
    fields.fail(
      'unsupportedDeliveryMethod',
      'deliveryMethod',
      `Task type '${task.taskType}' only supports deliveryMethod ${planner.deliveryMethods.map((m) => `"${m}"`).join(' or ')}.`,
      {
        type: 'string',
        allowedValues: [...planner.deliveryMethods],
      },
    )
  }
  const work = planner.plan(task, fields, context)
  if (fields.error !== undefined) return { ok: false, error: fields.error }
  const model = typeof task.model === 'string' ? task.model : undefined
  return {
    ok: true,
    plan: {
      deliveryMethod: requested,
      expected: work.expected,
      cost: task.includeCost === true ? work.cost : undefined,
      progress: work.progress ?? (planner.progress && reportsProgress(task.taskType, model)),
      streamed: work.streamed ?? false,
      build: work.build,
    },
  }
}
