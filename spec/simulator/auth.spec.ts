import { describe, expect, it } from 'vitest'
import { isUUID } from '../../lib/protocol/protocol.js'
import { TestClient } from '../helpers/test-client.js'
import { useHarness } from '../helpers/harness.js'
import { waitFor } from '../helpers/wait.js'
import { imageTask } from '../fixtures/tasks.js'

const h = useHarness()

describe('authentication', () => {
  it('answers an auth task with a fresh connectionSessionUUID and no taskUUID', async () => {
    const sim = await h.simulator()
    const client = await h.connect(sim)
    client.send([{ taskType: 'authentication', apiKey: 'K' }])
    const reply = await client.next()
    expect(reply.body).toEqual({ data: [{ taskType: 'authentication', connectionSessionUUID: expect.any(String) as string }] })
    expect(isUUID(reply.data[0]?.connectionSessionUUID)).toBe(true)
    expect(sim.stats.authentications).toBe(1)
    expect(sim.stats.connections).toBe(1)
    expect(sim.stats.openSockets).toBe(1)
  })

  it('accepts any path and query string, like the official SDK URL', async () => {
    const sim = await h.simulator()
    const path = '/v1?sdk=js&version=1.3.2&dryRun=1'
    const connected = waitFor(sim.events, 'connection')
    const client = await TestClient.connect(`ws://127.0.0.1:${sim.port}${path}`)
    try {
      expect((await connected)[0].path).toBe(path)
      await client.auth()
    } finally {
      await client.close()
    }
  })

  it('refuses tasks sent before authentication with authenticationRequired naming the task', async () => {
    const sim = await h.simulator()
    const client = await h.connect(sim)
    const task = imageTask()
    client.send([task])
    const reply = await client.next()
    expect(reply.body).toMatchObject({ data: [], errors: [{ code: 'authenticationRequired', taskType: 'imageInference', taskUUID: task.taskUUID }] })
    expect(sim.stats.executions.size).toBe(0)
    client.send([{ taskType: 'getResponse', taskUUID: task.taskUUID }])
    expect((await client.next()).errors[0]?.code).toBe('authenticationRequired')
    await client.ping()
    await client.auth()
  })

  it('answers a ping with a pong without a taskUUID', async () => {
    const sim = await h.simulator()
    const { client } = await h.authed(sim)
    client.send([{ taskType: 'ping', ping: true }])
    expect((await client.next()).body).toEqual({ data: [{ taskType: 'ping', pong: true }] })
    expect(sim.stats.pings).toBe(1)
  })

  it('refuses a key outside apiKeys with the documented invalidApiKey item and keeps the socket up', async () => {
    const sim = await h.simulator({ apiKeys: ['good'] })
    const client = await h.connect(sim)
    client.send([{ taskType: 'authentication', apiKey: 'bad' }])
    expect((await client.next()).body).toEqual({
      errors: [
        {
          code: 'invalidApiKey',
          message: 'Invalid API key. Get one at https://my.runware.ai/signup',
          parameter: 'apiKey',
          taskType: 'authentication',
        },
      ],
    })
    expect(sim.stats.authFailures).toBe(1)
    await client.ping()
    await client.auth('good')
  })

  it('refuses a missing or empty apiKey with missingApiKey', async () => {
    const sim = await h.simulator()
    const client = await h.connect(sim)
    client.send([{ taskType: 'authentication' }])
    expect((await client.next()).errors[0]).toMatchObject({ code: 'missingApiKey', parameter: 'apiKey', taskType: 'authentication' })
    client.send([{ taskType: 'authentication', apiKey: '' }])
    expect((await client.next()).errors[0]?.code).toBe('missingApiKey')
    expect(sim.stats.authFailures).toBe(2)
    await client.ping()
  })

  it('answers auth failures in the legacy shape when legacyAuthErrors is set', async () => {
    const sim = await h.simulator({ apiKeys: ['good'], legacyAuthErrors: true })
    const client = await h.connect(sim)
    client.send([{ taskType: 'authentication', apiKey: 'bad' }])
    expect((await client.next()).body).toEqual({ error: true, errorMessageContentId: 1212, errorId: 19, errorMessage: 'Invalid api key' })
    await client.ping()
  })

  it('failAuth refuses the next n authentications with the given code', async () => {
    const sim = await h.simulator()
    sim.failAuth('serviceUnavailable', 2)
    const client = await h.connect(sim)
    for (let i = 0; i < 2; i++) {
      client.send([{ taskType: 'authentication', apiKey: 'K' }])
      const reply = await client.next()
      expect(reply.errors[0]).toMatchObject({ code: 'serviceUnavailable', taskType: 'authentication' })
      expect(reply.errors[0]?.taskUUID).toBeUndefined()
    }
    expect(sim.stats.faults.authFailures).toBe(2)
    expect(sim.stats.authFailures).toBe(2)
    await client.auth()
    expect(sim.stats.authentications).toBe(1)
  })

  it('failAuth defaults to one authentication', async () => {
    const sim = await h.simulator()
    sim.failAuth('invalidApiKey')
    const client = await h.connect(sim)
    client.send([{ taskType: 'authentication', apiKey: 'K' }])
    expect((await client.next()).errors[0]?.code).toBe('invalidApiKey')
    await client.auth()
  })

  it('answers a second auth on the same socket like the first: a new session, or the same one when named', async () => {
    const sim = await h.simulator()
    const { client, sessionUUID } = await h.authed(sim)
    const second = await client.auth()
    expect(second).not.toBe(sessionUUID)
    expect(await client.auth('test-key', second)).toBe(second)
    expect(sim.stats.authentications).toBe(3)
    // Re-naming the session the socket already holds is not a resume.
    expect(sim.stats.resumes).toBe(0)
  })

  it('starts a fresh session when the named session is unknown or belongs to another key', async () => {
    const sim = await h.simulator()
    const { sessionUUID } = await h.authed(sim, 'key-a')
    const other = await h.connect(sim)
    expect(await other.auth('key-b', sessionUUID)).not.toBe(sessionUUID)
    expect(await other.auth('key-b', '00000000-0000-4000-8000-000000000000')).not.toBe('00000000-0000-4000-8000-000000000000')
    expect(sim.stats.resumes).toBe(0)
  })
})
