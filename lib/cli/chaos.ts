/** The chaos presets shared by `demo` and `simulate`: named rates for the simulator's seeded faults. */
import type { ChaosOptions } from '../simulator/index.js'

export const CHAOS_LEVELS = ['off', 'light', 'heavy'] as const
export type ChaosLevel = (typeof CHAOS_LEVELS)[number]

export const CHAOS_PRESETS: Readonly<Record<ChaosLevel, Readonly<ChaosOptions>>> = {
  off: {},
  light: {
    dropRate: 0.002,
    silenceRate: 0.001,
    failRate: 0.02,
    permanentShare: 0.25,
    rateLimitRate: 0.002,
    duplicateRate: 0.005,
    malformedRate: 0.002,
  },
  heavy: {
    dropRate: 0.01,
    silenceRate: 0.004,
    failRate: 0.06,
    permanentShare: 0.3,
    rateLimitRate: 0.01,
    duplicateRate: 0.02,
    malformedRate: 0.01,
    delayRate: 0.01,
    delayMs: 500,
    lostAckRate: 0.02,
    lostAnswerRate: 0.01,
  },
}

const percent = (rate: number | undefined): string => `${Number(((rate ?? 0) * 100).toFixed(2))}%`

/** One line for people: "drop 1% of result frames, silence 0.4%, …". */
export function describeChaos(level: ChaosLevel): string {
  const chaos = CHAOS_PRESETS[level]
  if (level === 'off') return 'off (no injected faults)'
  const parts = [
    `socket drop ${percent(chaos.dropRate)} and silence ${percent(chaos.silenceRate)} per result frame`,
    `task failure ${percent(chaos.failRate)} (${percent(chaos.permanentShare)} of them permanent)`,
    `rate limit ${percent(chaos.rateLimitRate)}`,
    `duplicate ${percent(chaos.duplicateRate)}`,
    `malformed ${percent(chaos.malformedRate)}`,
  ]
  if ((chaos.delayRate ?? 0) > 0) parts.push(`+${chaos.delayMs ?? 1000} ms delay ${percent(chaos.delayRate)}`)
  if ((chaos.lostAckRate ?? 0) > 0) parts.push(`lost acknowledgement ${percent(chaos.lostAckRate)} and getResponse answer ${percent(chaos.lostAnswerRate)}`)
  return `${level}: ${parts.join(', ')}`
}
