import { describe, expectTypeOf, it } from 'vitest'
import { RunwareSocket, type ImageInferenceResult, type PromptEnhanceResult, type ResultItem } from '../../lib/index.js'

describe('typed results', () => {
  it('infers the result item type from the task type, with an untyped fallback', () => {
    const client = new RunwareSocket({ apiKey: 'k', url: 'ws://127.0.0.1:9/v1' })
    const image = (): Promise<ImageInferenceResult[]> => client.run({ taskType: 'imageInference', model: 'm', positivePrompt: 'p', width: 512, height: 512 })
    expectTypeOf(image).returns.resolves.toEqualTypeOf<ImageInferenceResult[]>()
    expectTypeOf<Awaited<ReturnType<typeof client.run<{ taskType: 'promptEnhance'; prompt: string }>>>>().toEqualTypeOf<PromptEnhanceResult[]>()
    expectTypeOf<Awaited<ReturnType<typeof client.run<{ taskType: 'somethingNew'; foo: number }>>>>().toEqualTypeOf<ResultItem[]>()
    expectTypeOf<ImageInferenceResult["imageUUID"]>().toEqualTypeOf<string>()
    void client.close()
  })
})
