/** Options are checked once, at construction (#9 items 8 and 9, cleartext URLs): a typo or a wrong type throws and names its path. */
import { describe, expect, it } from 'vitest'
import { RunwareSocket } from '../../lib/client.js'
import { DEFAULT_URL } from '../../lib/index.js'

const make = (options: Record<string, unknown>): RunwareSocket =>
  new RunwareSocket({ apiKey: 'options-key-0123456789', url: 'ws://127.0.0.1:9/v1', ...options })

describe('timer limits', () => {
  for (const path of ['connectTimeoutMs', 'authTimeoutMs', 'heartbeat.intervalMs', 'heartbeat.timeoutMs', 'poll.ackTimeoutMs'] as const) {
    it(`${path} above 2^31 − 1 ms throws (Node would fire it after 1 ms)`, () => {
      const [head, tail] = path.split('.') as [string, string | undefined]
      const options = tail === undefined ? { [head]: 2 ** 31 } : { [head]: { [tail]: 2 ** 31 } }
      expect(() => make(options)).toThrow(RangeError)
      expect(() => make(options)).toThrow(path)
      const ok = tail === undefined ? { [head]: 2 ** 31 - 1 } : { [head]: { [tail]: 2 ** 31 - 1 } }
      expect(() => make(ok)).not.toThrow()
    })
  }
})

describe('backoff limits', () => {
  for (const path of ['reconnect', 'retry', 'poll'] as const) {
    it(`${path}.maxDelayMs above 2^31 − 1 ms throws; 2^31 − 1 is accepted`, () => {
      expect(() => make({ [path]: { maxDelayMs: 2 ** 31 } })).toThrow(`${path}.maxDelayMs`)
      expect(() => make({ [path]: { maxDelayMs: 2 ** 31 - 1 } })).not.toThrow()
    })
  }
})

describe('unknown keys and wrong types', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['tiemoutMs', { tiemoutMs: 5 }],
    ['reconnect.maxAttemps', { reconnect: { maxAttemps: 3 } }],
    ['heartbeat.interval', { heartbeat: { interval: 5 } }],
    ['retry.maxAttempt', { retry: { maxAttempt: 2 } }],
    ['poll.initialDelay', { poll: { initialDelay: 2 } }],
    ['errorPolicy.code', { errorPolicy: { code: {} } }],
    ['recover', { recover: 'no' }],
    ['WebSocket', { WebSocket: 5 }],
    ['logger', { logger: 5 }],
    ['logger.warning', { logger: { warning: () => undefined } }],
    ['logger.warn', { logger: { warn: 'loud' } }],
    ['clock', { clock: {} }],
    ['clock.now', { clock: { now: 1, setTimeout, clearTimeout } }],
    ['heartbeat', { heartbeat: true }],
    ['random', { random: 0.5 }],
    ['errorPolicy.classify', { errorPolicy: { classify: 'retry' } }],
    ['errorPolicy.codes', { errorPolicy: { codes: [] } }],
    ['maxInFlight', { maxInFlight: '10' }],
    ['url', { url: 42 }],
    ['reconnect', { reconnect: 5 }],
    ['allowCleartext', { allowCleartext: 'yes' }],
  ]
  for (const [path, options] of cases) {
    it(`${path}: throws a TypeError naming the path`, () => {
      expect(() => make(options)).toThrow(TypeError)
      expect(() => make(options)).toThrow(path)
    })
  }

  it('explicit undefined is still "use the default" at any depth', () => {
    expect(() =>
      make({ taskTimeoutMs: undefined, reconnect: { maxAttempts: undefined }, logger: undefined, heartbeat: { intervalMs: undefined } }),
    ).not.toThrow()
  })

  it('a prototype-polluting key in the options is refused', () => {
    expect(() => make(JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>)).toThrow('__proto__')
  })
})

describe('cleartext URLs', () => {
  it('the default URL is the documented Runware endpoint, over TLS', () => {
    expect(DEFAULT_URL).toBe('wss://ws-api.runware.ai/v1')
    expect(() => new RunwareSocket({ apiKey: 'options-key-0123456789' })).not.toThrow()
  })

  it('refuses ws:// to a host that is not loopback: the key would cross the network in cleartext', () => {
    expect(() => new RunwareSocket({ apiKey: 'options-key-0123456789', url: 'ws://ws-api.runware.ai/v1' })).toThrow(/cleartext/)
    expect(() => new RunwareSocket({ apiKey: 'options-key-0123456789', url: 'ws://10.0.0.5:8080/v1' })).toThrow('allowCleartext')
  })

  it('allows loopback, wss://, and ws:// with allowCleartext: true', () => {
    for (const url of ['ws://127.0.0.1:1/v1', 'ws://localhost:1/v1', 'ws://[::1]:1/v1', 'ws://127.3.4.5:1/v1', 'wss://ws-api.runware.ai/v1']) {
      expect(() => new RunwareSocket({ apiKey: 'options-key-0123456789', url })).not.toThrow()
    }
    expect(() => new RunwareSocket({ apiKey: 'options-key-0123456789', url: 'ws://10.0.0.5:8080/v1', allowCleartext: true })).not.toThrow()
  })
})
