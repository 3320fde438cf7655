/**
 * What the work cost (`includeCost`, `client.cost`, `budget`) against the simulator's price table,
 * and the `runware.client.cost` counter.
 */
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { describe, expect, it } from 'vitest'
import { Costs, MAX_ITEM_USD } from '../../lib/tasks/outputs.js'
import type { TaskRecord } from '../../lib/tasks/task-record.js'
import type { ResultItem } from '../../lib/protocol/protocol.js'
import { API_KEY, useHarness } from '../helpers/harness.js'
import { IMAGE } from '../fixtures/tasks.js'
import { failure } from '../helpers/wait.js'
import { points, Reader } from '../helpers/otel.js'

const harness = useHarness()
const CAPTION = { taskType: 'caption', model: 'runware:150@2', inputs: { image: 'https://example.invalid/a.png' } } as const
const costOf = (items: readonly ResultItem[]): number => items.reduce((total, item) => total + (typeof item.cost === 'number' ? item.cost : 0), 0)

describe('includeCost and client.cost', () => {
  it('every task asks for its cost unless it says otherwise; client.cost sums them, in all and by model', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const client = harness.client(sim.url, { includeCost: true })
    const images = await client.run({ ...IMAGE, numberResults: 2 })
    const captions = await client.run(CAPTION)
    const unasked = await client.run({ ...IMAGE, includeCost: false })
    expect(images.every((item) => typeof item.cost === 'number' && item.cost > 0)).toBe(true)
    expect(unasked[0]?.cost).toBeUndefined()
    expect(client.cost.byModel).toEqual({ 'runware:101@1': costOf(images), 'runware:150@2': costOf(captions) })
    expect(client.cost.totalUSD).toBeCloseTo(costOf(images) + costOf(captions), 12)
  })

  it('without includeCost nothing is asked and nothing is counted', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const client = harness.client(sim.url)
    const [item] = await client.run(IMAGE)
    expect(item?.cost).toBeUndefined()
    expect(client.cost).toEqual({ totalUSD: 0, byModel: {} })
  })

  it('counts no cost that is not a price: not a number, negative, infinite, or over MAX_ITEM_USD', () => {
    const costs = new Costs()
    const items = [1, -1, Number.NaN, Infinity, MAX_ITEM_USD + 1, '2', null, 0.5].map((cost) => ({ taskType: 'imageInference', taskUUID: 'x', cost }))
    expect(costs.add({ items, model: 'm' } as unknown as TaskRecord)).toBe(1.5)
    expect(costs.byModel()).toEqual({ m: 1.5 })
  })
})

describe('budget', () => {
  it('once spent, new tasks are refused with budgetExceeded (quota); what was admitted before runs on (the overshoot)', async () => {
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const probe = harness.client(sim.url, { includeCost: true })
    const one = costOf(await probe.run(IMAGE))
    // A budget of two and a half tasks; five admitted at once all run, then the sixth is refused.
    const client = harness.client(sim.url, { budget: { maxUSD: 2.5 * one } })
    const first = await Promise.all(Array.from({ length: 5 }, () => client.run(IMAGE)))
    expect(first).toHaveLength(5)
    expect(client.cost.totalUSD).toBeCloseTo(5 * one, 12)
    const refused = await failure(client.run(IMAGE))
    expect(refused).toMatchObject({ code: 'budgetExceeded', category: 'quota', retryable: false })
    expect(refused.message).toContain(`${2.5 * one} USD`)
    expect(sim.stats.executions.size).toBe(6)
  })

  it('checks its option', () => {
    expect(() => harness.client('ws://127.0.0.1:1', { budget: { maxUSD: 0 } })).toThrow(RangeError)
    expect(() => harness.client('ws://127.0.0.1:1', { budget: { maxUSD: Number.NaN } })).toThrow(RangeError)
    expect(() => harness.client('ws://127.0.0.1:1', { budget: {} as never })).toThrow(/budget.maxUSD is required/)
    expect(() => harness.client('ws://127.0.0.1:1', { includeCost: 'yes' as never })).toThrow(TypeError)
  })
})

describe('the cost counter', () => {
  it('runware.client.cost adds each task’s cost under its model', async () => {
    const reader = new Reader()
    const sim = await harness.simulator({ apiKeys: [API_KEY] })
    const client = harness.client(sim.url, { includeCost: true, telemetry: { meterProvider: new MeterProvider({ readers: [reader] }) } })
    const items = await client.run({ ...IMAGE, numberResults: 3 })
    const found = await points(reader, 'runware.client.cost')
    expect(found.map((point) => [point.attributes, point.value])).toEqual([[{ 'gen_ai.request.model': 'runware:101@1' }, costOf(items)]])
  })
})
