/**
 * The demo's workload: a seeded mix of the common task types, each with the number of result
 * items a complete answer has (numberResults, promptVersions, or one).
 */
import type { Task } from '../protocol/protocol.js'
import { between } from './random.js'

export interface DemoTask {
  task: Task
  taskType: string
  /** Result items a complete answer carries. */
  expected: number
}

const IMAGE = 'https://example.invalid/demo/input.png'
const PROMPTS = ['a lighthouse at dusk', 'a fox in fresh snow', 'a tram in the rain', 'a kite over dunes', 'a teapot on a shelf'] as const

/** Cumulative weights: image generation dominates, as it does in real traffic. */
const WEIGHTS: readonly (readonly [string, number])[] = [
  ['imageInference', 0.45],
  ['promptEnhance', 0.65],
  ['caption', 0.74],
  ['removeBackground', 0.83],
  ['upscale', 0.91],
  ['videoInference', 1],
]

export function makeTask(random: () => number, index: number): DemoTask {
  const roll = random()
  const taskType = WEIGHTS.find(([, upTo]) => roll < upTo)?.[0] ?? 'imageInference'
  const prompt = `${PROMPTS[index % PROMPTS.length] ?? 'a lighthouse'} #${index}`
  switch (taskType) {
    case 'promptEnhance': {
      const versions = between(random, 1, 3)
      return { taskType, expected: versions, task: { taskType, prompt, promptVersions: versions, promptMaxLength: 200 } }
    }
    // The current schema's fields: a model and inputs.image (the legacy inputImage is for legacy names).
    case 'caption':
      return { taskType, expected: 1, task: { taskType, model: 'runware:150@2', inputs: { image: IMAGE } } }
    case 'removeBackground':
      return { taskType, expected: 1, task: { taskType, model: 'runware:109@1', inputs: { image: IMAGE }, outputType: 'URL' } }
    case 'upscale':
      return { taskType, expected: 1, task: { taskType, model: 'runware:500@1', inputs: { image: IMAGE }, upscaleFactor: between(random, 2, 4) } }
    case 'videoInference': {
      const count = between(random, 1, 2)
      return {
        taskType,
        expected: count,
        task: { taskType, model: 'klingai:5@3', positivePrompt: prompt, duration: 5, numberResults: count, deliveryMethod: 'async' },
      }
    }
    default: {
      const count = between(random, 1, 4)
      return {
        taskType: 'imageInference',
        expected: count,
        task: { taskType: 'imageInference', model: 'runware:101@1', positivePrompt: prompt, width: 512, height: 512, numberResults: count },
      }
    }
  }
}

export function makeTasks(random: () => number, count: number): DemoTask[] {
  return Array.from({ length: count }, (_, index) => makeTask(random, index))
}
