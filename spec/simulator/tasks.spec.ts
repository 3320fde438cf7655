import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isUUID } from '../../lib/protocol/protocol.js'
import { is } from '../helpers/test-client.js'
import { useHarness } from '../helpers/harness.js'
import { rejection, run } from './speak.js'
import { imageTask } from '../fixtures/tasks.js'

const h = useHarness()

describe('imageInference', () => {
  it('produces numberResults items echoing taskType and taskUUID, with fake URLs, seeds and NSFWContent', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const task = imageTask({ numberResults: 3 })
    const items = await run(client, task, 3)
    expect(items).toHaveLength(3)
    for (const item of items) {
      expect(item).toMatchObject({ taskType: 'imageInference', taskUUID: task.taskUUID, NSFWContent: false, seed: expect.any(Number) as number })
      expect(isUUID(item.imageUUID)).toBe(true)
      expect(item.imageURL).toMatch(/^https:\/\/example\.invalid\/.+\.jpg$/)
      expect(item.cost).toBeUndefined()
    }
    expect(new Set(items.map((i) => i.imageUUID)).size).toBe(3)
    expect(sim.stats.itemsProduced).toBe(3)
    expect(sim.stats.resultsSent).toBe(3)
  })

  it('adds a small float cost to each item when includeCost is true', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const [item] = await run(client, imageTask({ includeCost: true }))
    expect(typeof item?.cost).toBe('number')
    expect(item?.cost).toBeGreaterThan(0)
    expect(item?.cost).toBeLessThan(0.1)
  })

  it('honours outputType: base64Data and dataURI', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const [b64] = await run(client, imageTask({ outputType: 'base64Data' }))
    expect(typeof b64?.imageBase64Data).toBe('string')
    expect(b64?.imageURL).toBeUndefined()
    const [uri] = await run(client, imageTask({ outputType: 'dataURI' }))
    expect(uri?.imageDataURI).toMatch(/^data:image\/png;base64,/)
  })

  it('derives item seeds from a given seed', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const items = await run(client, imageTask({ seed: 1000, numberResults: 2 }), 2)
    expect(items.map((i) => i.seed)).toEqual([1000, 1001])
  })

  const invalid: { name: string; overrides: Record<string, unknown>; expected: Record<string, unknown> }[] = [
    { name: 'missing model', overrides: { model: undefined }, expected: { code: 'missingModel', parameter: 'model' } },
    { name: 'missing positivePrompt', overrides: { positivePrompt: undefined }, expected: { code: 'missingPositivePrompt', parameter: 'positivePrompt' } },
    { name: 'a one-character prompt', overrides: { positivePrompt: 'a' }, expected: { code: 'invalidPositivePrompt', min: 2, max: 3000 } },
    { name: 'a width below the range', overrides: { width: 64 }, expected: { code: 'invalidWidth', parameter: 'width', type: 'integer', min: 128, max: 2048 } },
    { name: 'a width not a multiple of 64', overrides: { width: 500 }, expected: { code: 'invalidWidth', min: 128, max: 2048 } },
    { name: 'a height above the range', overrides: { height: 4096 }, expected: { code: 'invalidHeight', parameter: 'height' } },
    { name: 'a missing height', overrides: { height: undefined }, expected: { code: 'missingHeight', parameter: 'height' } },
    { name: 'numberResults 0', overrides: { numberResults: 0 }, expected: { code: 'invalidNumberResults', min: 1, max: 20 } },
    { name: 'numberResults 21', overrides: { numberResults: 21 }, expected: { code: 'invalidNumberResults' } },
    {
      name: 'an unknown outputType',
      overrides: { outputType: 'PDF' },
      expected: { code: 'invalidOutputType', allowedValues: ['URL', 'base64Data', 'dataURI'] },
    },
    {
      name: 'an unknown deliveryMethod',
      overrides: { deliveryMethod: 'carrier-pigeon' },
      expected: { code: 'invalidDeliveryMethod', allowedValues: ['sync', 'async'] },
    },
  ]
  for (const { name, overrides, expected } of invalid) {
    it(`rejects ${name} with the documented error shape`, async () => {
      const sim = await h.simulator()
      const { client } = await h.authed(sim)
      const task = imageTask(overrides)
      const error = await rejection(client, task)
      expect(error).toMatchObject({ ...expected, taskType: 'imageInference', taskUUID: task.taskUUID, message: expect.any(String) as string })
      expect(error.documentation).toMatch(/^https:\/\/example\.invalid\//)
      expect(sim.stats.executions.size).toBe(0)
      expect(sim.stats.tasksReceived).toBe(1)
      await client.ping()
    })
  }

  it('does not remember a rejected taskUUID: fixing the task and resending it works', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const task = imageTask({ width: 10 })
    await rejection(client, task)
    const items = await run(client, { ...task, width: 512 })
    expect(items).toHaveLength(1)
  })
})

describe('other task types', () => {
  it('promptEnhance returns promptVersions distinct texts within promptMaxLength', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const task = { taskType: 'promptEnhance', taskUUID: randomUUID(), prompt: 'a cat on a sofa', promptMaxLength: 40, promptVersions: 4 }
    const items = await run(client, task, 4)
    const texts = items.map((i) => i.text as string)
    expect(new Set(texts).size).toBe(4)
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(40)
  })

  it('promptEnhance validates its fields', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const base = { taskType: 'promptEnhance', prompt: 'cat' }
    expect(await rejection(client, { ...base, taskUUID: randomUUID(), prompt: undefined })).toMatchObject({ code: 'missingPrompt' })
    expect(await rejection(client, { ...base, taskUUID: randomUUID(), promptVersions: 6 })).toMatchObject({ code: 'invalidPromptVersions', min: 1, max: 5 })
    expect(await rejection(client, { ...base, taskUUID: randomUUID(), promptMaxLength: 5 })).toMatchObject({
      code: 'invalidPromptMaxLength',
      min: 12,
      max: 400,
    })
  })

  it('caption reads inputs.image (or the legacy inputImage) and returns text; the current name requires model', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const [legacy] = await run(client, { taskType: 'imageCaption', taskUUID: randomUUID(), inputImage: 'https://example.invalid/in.png' })
    expect(typeof legacy?.text).toBe('string')
    const [current] = await run(client, { taskType: 'caption', taskUUID: randomUUID(), model: 'runware:150@2', inputs: { image: randomUUID() } })
    expect(typeof current?.text).toBe('string')
    expect(await rejection(client, { taskType: 'caption', taskUUID: randomUUID(), model: 'runware:150@2' })).toMatchObject({ code: 'missingInputImage' })
    expect(await rejection(client, { taskType: 'caption', taskUUID: randomUUID(), inputs: { image: randomUUID() } })).toMatchObject({
      code: 'missingModel',
      parameter: 'model',
    })
  })

  it('removeBackground and upscale return an image; upscaleFactor must be 2..4', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    for (const [taskType, model] of [
      ['removeBackground', 'runware:109@1'],
      ['upscale', 'runware:500@1'],
    ]) {
      const [item] = await run(client, { taskType, taskUUID: randomUUID(), model, inputs: { image: randomUUID() } })
      expect(isUUID(item?.imageUUID)).toBe(true)
      expect(item?.imageURL).toMatch(/^https:\/\/example\.invalid\//)
    }
    for (const taskType of ['removeBackground', 'upscale'])
      expect(await rejection(client, { taskType, taskUUID: randomUUID(), inputs: { image: randomUUID() } })).toMatchObject({ code: 'missingModel' })
    const bad = await rejection(client, { taskType: 'imageUpscale', taskUUID: randomUUID(), inputImage: randomUUID(), upscaleFactor: 8 })
    expect(bad).toMatchObject({ code: 'invalidUpscaleFactor', min: 2, max: 4 })
  })

  it('imageUpload requires image and returns imageUUID and imageURL', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const [item] = await run(client, { taskType: 'imageUpload', taskUUID: randomUUID(), image: 'data:image/png;base64,AAAA' })
    expect(isUUID(item?.imageUUID)).toBe(true)
    expect(typeof item?.imageURL).toBe('string')
    expect(await rejection(client, { taskType: 'imageUpload', taskUUID: randomUUID() })).toMatchObject({ code: 'missingImage', parameter: 'image' })
  })

  it('modelSearch returns totalResults and a results list', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const [item] = await run(client, { taskType: 'modelSearch', taskUUID: randomUUID(), search: 'flux', limit: 2 })
    expect(item?.totalResults).toBe(3)
    expect(item?.results).toHaveLength(2)
    expect((item?.results as Record<string, unknown>[])[0]).toMatchObject({
      air: expect.any(String) as string,
      name: expect.any(String) as string,
      category: expect.any(String) as string,
      architecture: expect.any(String) as string,
    })
  })

  it('videoInference is async only: a sync request gets unsupportedDeliveryMethod', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const task = { taskType: 'videoInference', taskUUID: randomUUID(), model: 'klingai:5@3', positivePrompt: 'waves', duration: 5 }
    expect(await rejection(client, task)).toMatchObject({ code: 'unsupportedDeliveryMethod', parameter: 'deliveryMethod', allowedValues: ['async'] })
    expect(await rejection(client, { ...task, taskUUID: randomUUID(), deliveryMethod: 'sync' })).toMatchObject({ code: 'unsupportedDeliveryMethod' })
  })

  it('accepts the legacy task names older SDKs send', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    for (const taskType of ['imageCaption', 'imageBackgroundRemoval', 'imageUpscale']) {
      const [item] = await run(client, { taskType, taskUUID: randomUUID(), inputImage: randomUUID() })
      expect(item?.taskType).toBe(taskType)
    }
  })
})

describe('executions and conflictTaskUUID', () => {
  it('counts one execution per accepted task and answers a reused taskUUID with conflictTaskUUID', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const task = imageTask({ numberResults: 2 })
    await run(client, task, 2)
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)
    const conflict = await rejection(client, task)
    expect(conflict).toMatchObject({
      code: 'conflictTaskUUID',
      taskUUID: task.taskUUID,
      taskType: 'imageInference',
      context: { taskType: 'imageInference', taskUUID: task.taskUUID, deliveryMethod: 'sync' },
    })
    expect(sim.stats.executions.get(task.taskUUID)).toBe(1)
    expect(sim.stats.executedTwice()).toEqual([])
    expect(sim.stats.itemsProduced).toBe(2)
  })

  it('detects a conflict from another socket and session, and inside one batch frame', async () => {
    const sim = await h.simulator()
    const { client: first } = await h.authed(sim)
    const task = imageTask()
    await run(first, task)
    const { client: second } = await h.authed(sim)
    expect((await rejection(second, task)).code).toBe('conflictTaskUUID')
    const twin = imageTask()
    second.send([twin, twin])
    const frames = await second.collect(is.task(twin.taskUUID), (got) => got.length === 2)
    expect(frames.flatMap((f) => f.errors).map((e) => e.code)).toEqual(['conflictTaskUUID'])
    expect(frames.flatMap((f) => f.data)).toHaveLength(1)
    expect(sim.stats.executions.get(twin.taskUUID)).toBe(1)
  })
})
