/**
 * Every documented task type the simulator runs (#13), each with its request fields, result fields
 * and refusals as docs/protocol.md §9 and §4.3 give them; the model catalogue; media inputs;
 * progress per type.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../helpers/manual-clock.js'
import { useHarness } from '../helpers/harness.js'
import { is } from '../helpers/test-client.js'
import { afterTick } from '../helpers/wait.js'
import { poll, rejection, run } from './speak.js'

const h = useHarness()
const id = (): string => randomUUID()
const IMAGE_IN = { image: 'https://example.invalid/in.png' }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('the newly supported task types', () => {
  it('textInference: messages in, text, finishReason and usage out; the last message must be the user’s', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const [item] = await run(client, { taskType: 'textInference', taskUUID: id(), model: 'runware:1@1', messages: [{ role: 'user', content: 'Hello there' }] })
    expect(item).toMatchObject({ taskType: 'textInference', finishReason: 'stop', text: expect.any(String) as string })
    expect(item?.usage).toMatchObject({ promptTokens: 3, totalTokens: expect.any(Number) as number })
    expect(await rejection(client, { taskType: 'textInference', taskUUID: id(), model: 'runware:1@1' })).toMatchObject({
      code: 'missingMessages',
      parameter: 'messages',
    })
    expect(
      await rejection(client, {
        taskType: 'textInference',
        taskUUID: id(),
        model: 'runware:1@1',
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
        ],
      }),
    ).toMatchObject({ code: 'invalidMessages' })
    expect(
      await rejection(client, { taskType: 'textInference', taskUUID: id(), model: 'runware:1@1', messages: [{ role: 'system', content: 'a' }] }),
    ).toMatchObject({ code: 'invalidMessages' })
  })

  it('audioInference: audioUUID with audioURL, or base64 / a data URI per outputType; a seed', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const [url] = await run(client, { taskType: 'audioInference', taskUUID: id(), model: 'elevenlabs:1@1', positivePrompt: 'rain on a roof', duration: 5 })
    expect(url).toMatchObject({
      audioUUID: expect.stringMatching(UUID) as string,
      audioURL: expect.stringMatching(/example\.invalid.*\.mp3$/) as string,
      seed: expect.any(Number) as number,
    })
    const [data] = await run(client, { taskType: 'audioInference', taskUUID: id(), model: 'elevenlabs:1@1', outputType: 'dataURI', outputFormat: 'WAV' })
    expect(data?.audioDataURI).toMatch(/^data:audio\//)
    expect(await rejection(client, { taskType: 'audioInference', taskUUID: id(), model: 'elevenlabs:1@1', outputFormat: 'AAC' })).toMatchObject({
      code: 'invalidOutputFormat',
    })
  })

  it('3dInference: outputs.files with a uuid and a GLB url, per result', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const items = await run(client, { taskType: '3dInference', taskUUID: id(), model: 'runware:300@1', numberResults: 2 }, 2)
    for (const item of items) expect((item.outputs as { files: { uuid: string; url: string }[] }).files[0]?.url).toMatch(/\.glb$/)
    expect(await rejection(client, { taskType: '3dInference', taskUUID: id() })).toMatchObject({ code: 'missingModel' })
  })

  it('vectorize, imageMasking and controlNetPreprocess: their own output fields', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const [svg] = await run(client, { taskType: 'vectorize', taskUUID: id(), model: 'recraft:1@1', inputs: IMAGE_IN })
    expect(svg?.imageURL).toMatch(/\.svg$/)
    const [mask] = await run(client, { taskType: 'imageMasking', taskUUID: id(), model: 'runware:35@1', inputs: IMAGE_IN })
    expect(mask).toMatchObject({ maskImageUUID: expect.stringMatching(UUID) as string, inputImageUUID: expect.stringMatching(UUID) as string })
    expect((mask?.detections as unknown[]).length).toBeGreaterThan(0)
    const [guide] = await run(client, { taskType: 'controlNetPreprocess', taskUUID: id(), model: 'runware:25@1', inputs: IMAGE_IN })
    expect(guide).toMatchObject({ guideImageUUID: expect.stringMatching(UUID) as string, guideImageURL: expect.any(String) as string })
    // The legacy name (sdk-js 1.3 sends it) takes inputImage and preProcessorType, no model.
    const [legacy] = await run(client, { taskType: 'imageControlNetPreProcess', taskUUID: id(), inputImage: id(), preProcessorType: 'canny' })
    expect(legacy).toMatchObject({ taskType: 'imageControlNetPreProcess', guideImageUUID: expect.stringMatching(UUID) as string })
    expect(await rejection(client, { taskType: 'imageControlNetPreProcess', taskUUID: id(), inputImage: id(), preProcessorType: 'x' })).toMatchObject({
      code: 'invalidPreProcessorType',
    })
    for (const taskType of ['vectorize', 'imageMasking', 'controlNetPreprocess']) {
      expect(await rejection(client, { taskType, taskUUID: id(), model: 'm:1@1' })).toMatchObject({ code: 'missingInputImage' })
    }
  })

  it('mediaStorage: upload gives a mediaUUID and mediaURL; delete takes a mediaUUID', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const [stored] = await run(client, { taskType: 'mediaStorage', taskUUID: id(), operation: 'upload', media: 'https://example.invalid/cat.png' })
    expect(stored).toMatchObject({ operation: 'upload', mediaUUID: expect.stringMatching(UUID) as string, mediaURL: expect.any(String) as string })
    const [deleted] = await run(client, { taskType: 'mediaStorage', taskUUID: id(), operation: 'delete', media: stored?.mediaUUID })
    expect(deleted).toEqual({ taskType: 'mediaStorage', taskUUID: expect.any(String) as string, operation: 'delete', mediaUUID: stored?.mediaUUID })
    expect(await rejection(client, { taskType: 'mediaStorage', taskUUID: id(), operation: 'delete', media: 'not-a-uuid' })).toMatchObject({
      code: 'invalidMedia',
    })
  })

  it('accountManagement: getDetails gives the organization and its balance; an operation is required', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const [details] = await run(client, { taskType: 'accountManagement', taskUUID: id(), operation: 'getDetails' })
    expect(details).toMatchObject({ operation: 'getDetails', balance: { currency: 'USD' }, organizationUUID: expect.stringMatching(UUID) as string })
    expect(await rejection(client, { taskType: 'accountManagement', taskUUID: id() })).toMatchObject({ code: 'missingOperation' })
    expect(await rejection(client, { taskType: 'accountManagement', taskUUID: id(), operation: 'getEverything' })).toMatchObject({ code: 'invalidOperation' })
  })

  it('getTaskDetails: the original request and response of a task, by its taskUUID; never a conflict, never run', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const taskUUID = id()
    const task = { taskType: 'imageInference', taskUUID, model: 'runware:101@1', positivePrompt: 'a heron', width: 512, height: 512 }
    const [image] = await run(client, task)
    const [details] = await run(client, { taskType: 'getTaskDetails', taskUUID })
    expect(details).toMatchObject({ taskType: 'getTaskDetails', taskUUID, request: [task], response: { data: [image] } })
    expect(sim.stats.executions.get(taskUUID)).toBe(1)
    expect(await rejection(client, { taskType: 'getTaskDetails', taskUUID: id() })).toMatchObject({ code: 'taskNotFound' })
  })

  it('modelUpload: one item per stage, validated … ready, the last with the model’s AIR', async () => {
    const sim = await h.simulator({ framing: 'item' })
    const { client } = await h.authed(sim)
    const upload = {
      taskType: 'modelUpload',
      taskUUID: id(),
      category: 'lora',
      architecture: 'sdxl',
      format: 'safetensors',
      name: 'my-lora',
      version: '1',
      downloadURL: 'https://example.invalid/m.safetensors',
      air: 'me:1@1',
    }
    const items = await run(client, upload, 5)
    expect(items.map((item) => item.status)).toEqual(['validated', 'downloaded', 'optimized', 'stored', 'ready'])
    expect(items.at(-1)).toMatchObject({ status: 'ready', air: 'me:1@1' })
    expect(await rejection(client, { ...upload, taskUUID: id(), downloadURL: undefined })).toMatchObject({ code: 'missingDownloadURL' })
  })

  it('modelSearch: every field the schema requires (capabilities, source, heroImage, private) and the Python SDK’s (tags, version, comment)', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const [found] = await run(client, { taskType: 'modelSearch', taskUUID: id(), search: 'flux', source: 'featured', limit: 2 })
    const results = found?.results as Record<string, unknown>[]
    expect(results).toHaveLength(2)
    for (const model of results) {
      expect(model).toMatchObject({
        air: expect.any(String) as string,
        name: expect.any(String) as string,
        category: 'checkpoint',
        source: 'featured',
        private: false,
      })
      expect(Array.isArray(model.capabilities)).toBe(true)
      expect(model).toHaveProperty('heroImage')
      expect(model).toHaveProperty('architecture')
      expect(model).toMatchObject({ tags: expect.any(Array) as unknown[], version: expect.any(String) as string, comment: expect.any(String) as string })
    }
    expect(await rejection(client, { taskType: 'modelSearch', taskUUID: id() })).toMatchObject({ code: 'missingSearch' })
  })
})

describe('the model catalogue', () => {
  it('limits depend on the model; an unlisted model gets the documented default; a model of another type is refused', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const task = (model: string, fields: Record<string, unknown>): Record<string, unknown> & { taskUUID: string } => ({
      taskType: 'imageInference',
      taskUUID: id(),
      model,
      positivePrompt: 'a heron',
      width: 512,
      height: 512,
      ...fields,
    })
    // FLUX (runware:101@1): multiples of 16.
    expect(await run(client, task('runware:101@1', { width: 528 }))).toHaveLength(1)
    // An SDXL-class checkpoint: at most 1536 and four results.
    expect(await rejection(client, task('civitai:101055@128078', { width: 1600 }))).toMatchObject({ code: 'invalidWidth', max: 1536 })
    expect(await rejection(client, task('civitai:101055@128078', { numberResults: 5 }))).toMatchObject({ code: 'invalidNumberResults', max: 4 })
    // Not listed: the default, multiples of 64 from 128 to 2048, 20 results.
    expect(await rejection(client, task('someone:1@1', { width: 528 }))).toMatchObject({ code: 'invalidWidth', multiplier: 64, min: 128, max: 2048 })
    expect(await run(client, task('someone:1@1', { numberResults: 20 }), 20)).toHaveLength(20)
    expect(await rejection(client, task('klingai:5@3', {}))).toMatchObject({ code: 'invalidModel', parameter: 'model' })
  })
})

describe('media inputs', () => {
  it('a video given as inputs.video: upscale answers videoUUID/videoURL, removeBackground mediaUUID/mediaURL', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const video = { video: 'https://example.invalid/in.mp4' }
    const [upscaled] = await run(client, { taskType: 'upscale', taskUUID: id(), model: 'runware:500@1', inputs: video })
    expect(upscaled).toMatchObject({ videoUUID: expect.stringMatching(UUID) as string, videoURL: expect.stringMatching(/\.mp4$/) as string })
    const [cut] = await run(client, { taskType: 'removeBackground', taskUUID: id(), model: 'runware:109@1', inputs: video })
    expect(cut).toMatchObject({ mediaUUID: expect.stringMatching(UUID) as string, mediaURL: expect.stringMatching(/\.mp4$/) as string })
    // A media UUID (from mediaStorage or imageUpload) is a valid input too.
    expect(await run(client, { taskType: 'caption', taskUUID: id(), model: 'runware:150@2', inputs: { image: id() } })).toHaveLength(1)
  })
})

describe('progress, per type and per model', () => {
  it('images report none while running; video reports rising progress; a model may turn it off', async () => {
    const clock = new ManualClock()
    const sim = await h.simulator({ clock, asyncDurationMs: 10_000 })
    const { client } = await h.authed(sim)
    const start = async (task: Record<string, unknown>): Promise<string> => {
      const taskUUID = id()
      client.send([{ ...task, taskUUID, deliveryMethod: 'async' }])
      await client.next(is.task(taskUUID))
      return taskUUID
    }
    const image = await start({ taskType: 'imageInference', model: 'runware:101@1', positivePrompt: 'a heron', width: 512, height: 512 })
    const kling = await start({ taskType: 'videoInference', model: 'klingai:5@3', positivePrompt: 'waves' })
    const quiet = await start({ taskType: 'videoInference', model: 'bytedance:1@1', positivePrompt: 'waves' })
    clock.advance(5_000)
    await afterTick()
    expect((await poll(client, image)).data[0]).toEqual({ taskType: 'imageInference', taskUUID: image, status: 'processing' })
    expect((await poll(client, kling)).data[0]).toMatchObject({ status: 'processing', progress: 50 })
    expect((await poll(client, quiet)).data[0]).not.toHaveProperty('progress')
  })
})
