import { describe, expect, it } from 'vitest'
import { useHarness } from '../helpers/harness.js'
import { imageTask } from '../fixtures/tasks.js'

const h = useHarness()

/** Each case: what the client sends, the error the server must answer with. The socket must survive. */
const cases: { name: string; frame: string; code: string; parameter?: string }[] = [
  { name: 'a frame that is not JSON', frame: '{"taskType": "ping"', code: 'invalidJSON' },
  { name: 'a JSON object instead of an array', frame: '{"taskType":"ping","ping":true}', code: 'invalidPayload' },
  { name: 'a JSON number', frame: '42', code: 'invalidPayload' },
  { name: 'JSON null', frame: 'null', code: 'invalidPayload' },
  { name: 'an empty task array', frame: '[]', code: 'invalidPayload' },
  { name: 'a task that is not an object', frame: '["imageInference"]', code: 'missingTaskType', parameter: 'taskType' },
  { name: 'a task that is null', frame: '[null]', code: 'missingTaskType', parameter: 'taskType' },
  { name: 'a task without taskType', frame: '[{"taskUUID":"7a4e6d8f-9a3c-4b1e-8f2d-1c0b9a8e7d6f"}]', code: 'missingTaskType', parameter: 'taskType' },
  { name: 'a taskType that is not a string', frame: '[{"taskType":7}]', code: 'missingTaskType', parameter: 'taskType' },
  {
    name: 'a task without taskUUID',
    frame: '[{"taskType":"imageInference","model":"m","positivePrompt":"cat","width":512,"height":512}]',
    code: 'missingTaskUUID',
    parameter: 'taskUUID',
  },
  { name: 'a taskUUID that is not a UUID', frame: '[{"taskType":"imageInference","taskUUID":"task-1"}]', code: 'invalidTaskUUID', parameter: 'taskUUID' },
  { name: 'a taskUUID that is a number', frame: '[{"taskType":"imageInference","taskUUID":12}]', code: 'invalidTaskUUID', parameter: 'taskUUID' },
  {
    name: 'an unknown taskType',
    frame: '[{"taskType":"teleport","taskUUID":"7a4e6d8f-9a3c-4b1e-8f2d-1c0b9a8e7d6f"}]',
    code: 'unsupportedTaskType',
    parameter: 'taskType',
  },
  { name: 'a getResponse without taskUUID', frame: '[{"taskType":"getResponse"}]', code: 'missingTaskUUID', parameter: 'taskUUID' },
  { name: 'a getResponse with a bad taskUUID', frame: '[{"taskType":"getResponse","taskUUID":"nope"}]', code: 'invalidTaskUUID', parameter: 'taskUUID' },
  {
    name: 'a prototype-pollution attempt',
    frame: '[{"taskType":"__proto__","__proto__":{"polluted":true}}]',
    code: 'unsupportedTaskType',
    parameter: 'taskType',
  },
  {
    name: 'an inherited property name as taskType',
    frame: '[{"taskType":"constructor","taskUUID":"7a4e6d8f-9a3c-4b1e-8f2d-1c0b9a8e7d6f"}]',
    code: 'unsupportedTaskType',
    parameter: 'taskType',
  },
]

describe('bad input', () => {
  for (const { name, frame, code, parameter } of cases) {
    it(`answers ${name} with ${code} and keeps the socket up`, async () => {
      const sim = await h.simulator()
      const { client } = await h.authed(sim)
      client.send(frame)
      const reply = await client.next()
      expect(reply.errors).toHaveLength(1)
      expect(reply.errors[0]).toMatchObject({ code, message: expect.any(String) as string })
      if (parameter !== undefined) expect(reply.errors[0]?.parameter).toBe(parameter)
      await client.ping()
      expect(sim.stats.executions.size).toBe(0)
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    })
  }

  it('names the task in task-scoped errors and uses the documented envelope', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    client.send('[{"taskType":"teleport","taskUUID":"7a4e6d8f-9a3c-4b1e-8f2d-1c0b9a8e7d6f"}]')
    expect((await client.next()).body).toEqual({
      data: [],
      errors: [
        {
          code: 'unsupportedTaskType',
          message: expect.any(String) as string,
          parameter: 'taskType',
          type: 'string',
          taskType: 'teleport',
          taskUUID: '7a4e6d8f-9a3c-4b1e-8f2d-1c0b9a8e7d6f',
          documentation: expect.stringMatching(/^https:\/\/example\.invalid\//) as string,
        },
      ],
    })
  })

  it('answers frame-level errors without a data key or taskUUID', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    client.send('not json at all')
    const reply = await client.next()
    expect(Object.keys(reply.body as object)).toEqual(['errors'])
    expect(reply.errors[0]?.taskUUID).toBeUndefined()
  })

  it('handles each task of a batch on its own: bad siblings do not spoil good ones', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    const good = imageTask()
    const bad = imageTask({ width: 100 })
    client.send([good, 'garbage', bad, { taskType: 'ping', ping: true }])
    const frames = await client.collect(
      () => true,
      (got) => got.some((f) => f.data.some((i) => i.taskUUID === good.taskUUID)) && got.length >= 4,
    )
    const errors = frames.flatMap((f) => f.errors)
    expect(errors.map((e) => e.code).sort()).toEqual(['invalidWidth', 'missingTaskType'])
    expect(errors.find((e) => e.code === 'invalidWidth')?.taskUUID).toBe(bad.taskUUID)
    expect(frames.some((f) => f.data.some((i) => i.taskType === 'ping'))).toBe(true)
    expect([...sim.stats.executions.keys()]).toEqual([good.taskUUID])
  })

  it('treats a binary frame as UTF-8 text', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    client.ws.send(Buffer.from('[{"taskType":"ping","ping":true}]'), { binary: true })
    await client.next((f) => f.data.some((i) => i.pong === true))
  })
})
