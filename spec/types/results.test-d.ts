/** Results follow the task type; the untyped path resolves with `ResultItem` unless its type is known. */
import { describe, expectTypeOf, it } from 'vitest'
import {
  RunwareSocket,
  untyped,
  type CaptionResult,
  type ImageInferenceResult,
  type ModelSearchResult,
  type PromptEnhanceResult,
  type ResultItem,
  type TextDelta,
  type TextInferenceResult,
  type UpscaleResult,
  type VideoInferenceResult,
} from '../../lib/index.js'

const client = new RunwareSocket({ apiKey: 'types-key-0123456789', url: 'ws://127.0.0.1:9/v1' })

describe('typed results', () => {
  it('follow the task type', () => {
    expectTypeOf(client.run({ taskType: 'imageInference', model: 'm', positivePrompt: 'p', width: 512, height: 512 })).resolves.toEqualTypeOf<
      ImageInferenceResult[]
    >()
    expectTypeOf(client.run({ taskType: 'promptEnhance', prompt: 'a castle', promptVersions: 3 })).resolves.toEqualTypeOf<PromptEnhanceResult[]>()
    expectTypeOf(client.run({ taskType: 'videoInference', model: 'm', deliveryMethod: 'async' })).resolves.toEqualTypeOf<VideoInferenceResult[]>()
    expectTypeOf(client.run({ taskType: 'caption', model: 'm', inputs: { image: 'i' } })).resolves.toEqualTypeOf<CaptionResult[]>()
    expectTypeOf(client.run({ taskType: 'textInference', model: 'm', messages: [{ role: 'user', content: 'hi' }] })).resolves.toEqualTypeOf<
      TextInferenceResult[]
    >()
    expectTypeOf(client.run({ taskType: 'modelSearch', search: 'flux' })).resolves.toEqualTypeOf<ModelSearchResult[]>()
    expectTypeOf(client.run({ taskType: 'upscale', model: 'm', inputs: { video: 'v' } })).resolves.toEqualTypeOf<UpscaleResult[]>()
  })

  it('the fields of a result are typed', () => {
    expectTypeOf<ImageInferenceResult['imageUUID']>().toEqualTypeOf<string>()
    expectTypeOf<TextInferenceResult['text']>().toEqualTypeOf<string>()
    expectTypeOf<UpscaleResult['videoURL']>().toEqualTypeOf<string | undefined>()
  })

  it('the untyped path resolves with ResultItem, or the known result for a known type', () => {
    expectTypeOf(client.run(untyped({ taskType: 'somethingNew', foo: 1 }))).resolves.toEqualTypeOf<ResultItem[]>()
    expectTypeOf(client.run(untyped({ taskType: 'imageInference', model: 'm', positivePrompt: 'p', aFieldNotListedYet: 1 }))).resolves.toEqualTypeOf<
      ImageInferenceResult[]
    >()
  })

  it('stream yields the same item types', () => {
    expectTypeOf(client.stream({ taskType: 'promptEnhance', prompt: 'x', promptVersions: 2 })).toEqualTypeOf<
      AsyncGenerator<PromptEnhanceResult, void, undefined>
    >()
    expectTypeOf(client.stream(untyped({ taskType: 'x' }))).toEqualTypeOf<AsyncGenerator<ResultItem, void, undefined>>()
  })

  it('a streamed text yields its pieces and then its result item; onDelta gets a piece', () => {
    const messages = [{ role: 'user' as const, content: 'hi' }]
    expectTypeOf(client.stream({ taskType: 'textInference', model: 'm', messages, deliveryMethod: 'stream' })).toEqualTypeOf<
      AsyncGenerator<TextDelta | TextInferenceResult, void, undefined>
    >()
    expectTypeOf(client.stream({ taskType: 'textInference', model: 'm', messages })).toEqualTypeOf<AsyncGenerator<TextInferenceResult, void, undefined>>()
    void client.run(
      { taskType: 'textInference', model: 'm', messages, deliveryMethod: 'stream' },
      { onDelta: (piece) => expectTypeOf(piece).toEqualTypeOf<TextDelta>() },
    )
    // @ts-expect-error only a textInference streams
    void client.stream({ taskType: 'imageInference', model: 'm', positivePrompt: 'p', deliveryMethod: 'stream' })
  })

  it('onResult gets the typed item', () => {
    void client.run(
      { taskType: 'imageInference', model: 'm', positivePrompt: 'p' },
      { onResult: (item) => expectTypeOf(item).toEqualTypeOf<ImageInferenceResult>() },
    )
  })
})
