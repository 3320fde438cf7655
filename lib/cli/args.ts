/**
 * Flag parsing on node:util parseArgs (strict: unknown flags are usage errors), plus the value
 * checks every command shares. Anything wrong with the command line is a UsageError (exit 2).
 */
import { resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { MIN_API_KEY_LENGTH, shortKeyMessage } from '../support/errors.js'
import { isLoopback } from '../support/resolve-options.js'

export class UsageError extends Error {
  override readonly name = 'UsageError'

  constructor(
    message: string,
    /** The command whose --help explains the fix (undefined: the top level). */
    readonly command?: string,
  ) {
    super(message)
  }
}

type Options = NonNullable<ParseArgsConfig['options']>

/** parseArgs with strict checking; its errors become UsageErrors naming the command. */
export function parseFlags<const O extends Options>(
  command: string,
  args: readonly string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true })
  } catch (error) {
    // parseArgs messages are already precise ("Unknown option '--x'"); keep them, drop the hints about '--'.
    const message = error instanceof Error ? (error.message.split('. To specify')[0] ?? error.message) : String(error)
    throw new UsageError(message, command)
  }
}

export interface IntegerRule {
  min?: number
  max?: number
}

/** A whole number flag; undefined when absent. */
export function integerFlag(command: string, name: string, value: string | undefined, rule: IntegerRule = {}): number | undefined {
  if (value === undefined) return undefined
  const min = rule.min ?? Number.MIN_SAFE_INTEGER
  const max = rule.max ?? Number.MAX_SAFE_INTEGER
  const parsed = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    const range = rule.max === undefined ? `≥ ${min}` : `from ${min} to ${max}`
    throw new UsageError(`--${name} must be a whole number ${range}, got ${JSON.stringify(value)}`, command)
  }
  return parsed
}

/** One of a fixed set of words; undefined when absent. */
export function choiceFlag<const T extends string>(command: string, name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined
  const match = allowed.find((option) => option === value)
  if (match === undefined) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`, command)
  return match
}

/** `50` or `20-200` (milliseconds): a fixed latency or a range. */
export function latencyFlag(command: string, value: string | undefined): number | { min: number; max: number } | undefined {
  if (value === undefined) return undefined
  const match = /^(\d+)(?:-(\d+))?$/.exec(value.trim())
  const min = match?.[1] === undefined ? Number.NaN : Number(match[1])
  const max = match?.[2] === undefined ? min : Number(match[2])
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
    throw new UsageError(`--latency-ms must be N or MIN-MAX in milliseconds (MIN ≤ MAX), got ${JSON.stringify(value)}`, command)
  }
  return min === max ? min : { min, max }
}

/** A URL flag whose scheme must be one of `schemes` (e.g. ['ws', 'wss']); undefined when absent. */
export function schemeUrlFlag(command: string, flag: string, value: string | undefined, schemes: readonly string[]): string | undefined {
  if (value === undefined) return undefined
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    throw new UsageError(`--${flag} is not a valid URL: ${JSON.stringify(value)}`, command)
  }
  if (!schemes.includes(parsed.protocol.slice(0, -1)))
    throw new UsageError(`--${flag} must start with ${schemes.map((scheme) => `${scheme}://`).join(' or ')}, got ${JSON.stringify(value)}`, command)
  return value
}

/** A ws: or wss: URL; undefined when absent. */
export function urlFlag(command: string, value: string | undefined, allowCleartext = false): string | undefined {
  const url = schemeUrlFlag(command, 'url', value, ['ws', 'wss'])
  // The client would refuse it too; said here in the command's own words.
  if (url !== undefined && !allowCleartext && url.startsWith('ws:') && !isLoopback(new URL(url).hostname)) {
    throw new UsageError(`--url ${url} would send the API key in cleartext: use wss://, or pass --allow-cleartext`, command)
  }
  return url
}

/** One output file, by either name (`-o/--output`, or `--out` as `enqueue` also spells it). */
export function outputOf(command: string, values: { output?: string | boolean | undefined; out?: string | boolean | undefined }): string | undefined {
  const output = typeof values.output === 'string' ? values.output : undefined
  const out = typeof values.out === 'string' ? values.out : undefined
  if (output !== undefined && out !== undefined && output !== out) throw new UsageError('--output and --out name two files: give one', command)
  return output ?? out
}

/** An output file flag: not empty, and never the input file. */
export function outputFlag(command: string, flag: string, output: string | undefined, input: string): string | undefined {
  if (output === '') throw new UsageError(`--${flag} needs a file name`, command)
  if (output !== undefined && input !== '-' && resolve(output) === resolve(input)) throw new UsageError('the output file must not be the input file', command)
  return output
}

/** Exactly `count` positionals, or a usage error that says what is missing or extra. */
export function expectPositionals(command: string, given: readonly string[], names: readonly string[]): string[] {
  if (given.length < names.length)
    throw new UsageError(
      `missing ${names
        .slice(given.length)
        .map((name) => `<${name}>`)
        .join(' ')}`,
      command,
    )
  if (given.length > names.length) throw new UsageError(`unexpected argument ${JSON.stringify(given[names.length])}`, command)
  return [...given]
}

/** RUNWARE_API_KEY, checked as the client checks it (set, long enough), as a usage error otherwise. */
export function apiKeyFromEnv(command: string, env: Readonly<Record<string, string | undefined>>): string {
  const apiKey = env.RUNWARE_API_KEY?.trim() ?? ''
  if (apiKey === '') throw new UsageError('RUNWARE_API_KEY is not set: export your Runware API key in the environment', command)
  if (apiKey.length < MIN_API_KEY_LENGTH) throw new UsageError(shortKeyMessage('RUNWARE_API_KEY', apiKey.length), command)
  return apiKey
}
