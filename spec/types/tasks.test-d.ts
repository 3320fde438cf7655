/**
 * Typed task inputs: each `@ts-expect-error` line must not compile (tsc fails the run if it does),
 * and every other line must.
 */
import { describe, it } from 'vitest'
import { RunwareSocket, untyped, type Task } from '../../lib/index.js'

const client = new RunwareSocket({ apiKey: 'types-key-0123456789', url: 'ws://127.0.0.1:9/v1' })

describe('typed task inputs', () => {
  it('the fields Runware requires are required', () => {
    // @ts-expect-error imageInference needs a model and a prompt
    void client.run({ taskType: 'imageInference' })
    // @ts-expect-error … both of them
    void client.run({ taskType: 'imageInference', model: 'runware:101@1' })
    // @ts-expect-error caption needs its input
    void client.run({ taskType: 'caption', model: 'm' })
    // @ts-expect-error removeBackground needs a model
    void client.run({ taskType: 'removeBackground', inputs: { image: 'i' } })
    // @ts-expect-error upscale needs a model
    void client.run({ taskType: 'upscale', inputs: { image: 'i' } })
    // @ts-expect-error videoInference runs async only
    void client.run({ taskType: 'videoInference', model: 'm' })
    // @ts-expect-error textInference needs messages
    void client.run({ taskType: 'textInference', model: 'm' })
    // @ts-expect-error promptEnhance needs a prompt
    void client.run({ taskType: 'promptEnhance', promptVersions: 2 })
    // @ts-expect-error imageUpload needs the image
    void client.run({ taskType: 'imageUpload' })
    // @ts-expect-error modelUpload needs its model's description
    void client.run({ taskType: 'modelUpload', name: 'mine' })
    // @ts-expect-error mediaStorage needs an operation
    void client.run({ taskType: 'mediaStorage', media: 'x' })
    // @ts-expect-error accountManagement's operation is one of four
    void client.run({ taskType: 'accountManagement', operation: 'deleteAccount' })
  })

  it('a misspelt field of a known type is an error', () => {
    // @ts-expect-error widht is a typo of width
    void client.run({ taskType: 'imageInference', model: 'm', positivePrompt: 'p', widht: 512 })
    // @ts-expect-error numberResult is a typo of numberResults
    void client.run({ taskType: 'imageInference', model: 'm', positivePrompt: 'p', numberResult: 2 })
    // @ts-expect-error promptVersion is a typo of promptVersions
    void client.run({ taskType: 'promptEnhance', prompt: 'p', promptVersion: 2 })
    // @ts-expect-error inputs.imag is a typo of inputs.image
    void client.run({ taskType: 'caption', model: 'm', inputs: { imag: 'i' } })
    // @ts-expect-error an image and a video at once
    void client.run({ taskType: 'upscale', model: 'm', inputs: { image: 'i', video: 'v' } })
    // @ts-expect-error outputType is one of three
    void client.run({ taskType: 'imageInference', model: 'm', positivePrompt: 'p', outputType: 'url' })
  })

  it('a misspelt or unknown task type is an error, and a plain Task needs the untyped path', () => {
    // @ts-expect-error imageInferense is a typo of imageInference
    void client.run({ taskType: 'imageInferense', model: 'm', positivePrompt: 'p' })
    // @ts-expect-error not in the catalog
    void client.run({ taskType: 'somethingNew', foo: 1 })
    const fromJson = JSON.parse('{"taskType":"imageInference"}') as Task
    // @ts-expect-error a Task from anywhere is not checked: say so with untyped()
    void client.run(fromJson)
    void client.run(untyped(fromJson))
    // @ts-expect-error the same for stream
    void client.stream({ taskType: 'imageInferense', model: 'm', positivePrompt: 'p' })
  })

  it('the common tasks compile as documented', () => {
    void client.run({
      taskType: 'imageInference',
      model: 'runware:101@1',
      positivePrompt: 'a fox',
      width: 1024,
      height: 1024,
      numberResults: 2,
      outputType: 'URL',
      includeCost: true,
    })
    void client.run({ taskType: 'videoInference', model: 'klingai:5@3', positivePrompt: 'waves', duration: 5, deliveryMethod: 'async' })
    void client.run({ taskType: 'audioInference', model: 'elevenlabs:1@1', positivePrompt: 'rain', duration: 10 })
    void client.run({ taskType: 'textInference', model: 'm', messages: [{ role: 'user', content: 'hello' }] })
    void client.run({ taskType: '3dInference', model: 'm', inputs: { image: 'i' } })
    void client.run({ taskType: 'caption', model: 'runware:150@2', inputs: { image: 'https://example.invalid/a.png' } })
    void client.run({ taskType: 'caption', model: 'm', inputs: { video: 'v' }, deliveryMethod: 'async' })
    void client.run({ taskType: 'removeBackground', model: 'runware:109@1', inputs: { image: 'i' }, outputFormat: 'PNG' })
    void client.run({ taskType: 'upscale', model: 'runware:500@1', inputs: { image: 'i' }, upscaleFactor: 4 })
    void client.run({ taskType: 'vectorize', model: 'recraft:1@1', inputs: { image: 'i' } })
    void client.run({ taskType: 'controlNetPreprocess', model: 'runware:canny@1', inputs: { image: 'i' } })
    void client.run({ taskType: 'imageMasking', model: 'runware:35@1', inputs: { image: 'i' }, settings: { confidence: 0.3 } })
    void client.run({ taskType: 'promptEnhance', prompt: 'a castle', promptMaxLength: 200, promptVersions: 3 })
    void client.run({ taskType: 'imageUpload', image: 'data:image/png;base64,AAAA' })
    void client.run({ taskType: 'mediaStorage', operation: 'upload', media: 'https://example.invalid/a.png' })
    void client.run({ taskType: 'modelSearch', search: 'flux', limit: 5 })
    void client.run({
      taskType: 'modelUpload',
      category: 'lora',
      architecture: 'sdxl',
      format: 'safetensors',
      name: 'mine',
      version: '1',
      downloadURL: 'https://example.invalid/m',
    })
    void client.run({ taskType: 'accountManagement', operation: 'getDetails' })
    void client.run({ taskType: 'getTaskDetails', taskUUID: '7a4e6d8f-9a3c-4b1e-8f2d-1c0b9a8e7d6f' })
  })
})
