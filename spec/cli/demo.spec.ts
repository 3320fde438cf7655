import { describe, expect, it } from 'vitest'
import { ANSI, exitOf, spawnCli, useCli } from './process.js'

/** A number from one row of the summary table ("  lost   0"). */
function row(summary: string, label: string): number {
  const match = new RegExp(`^  ${label}\\s+(\\d+)`, 'm').exec(summary)
  if (match?.[1] === undefined) throw new Error(`no "${label}" row in:\n${summary}`)
  return Number(match[1])
}

describe('runware-socket demo', () => {
  useCli()

  it('runs 300 tasks under heavy chaos: exit 0, nothing lost, nothing twice, faults really injected', async () => {
    const cli = spawnCli(['demo', '--tasks', '300', '--seed', '3', '--chaos', 'heavy'])
    const exit = await exitOf(cli, 60_000)
    const stdout = cli.stdout()
    const stderr = cli.stderr()
    expect(exit, stderr).toEqual({ code: 0, signal: null })
    expect(stdout).toContain('Summary (300 tasks)')
    expect(row(stdout, 'lost')).toBe(0)
    expect(row(stdout, 'executed twice')).toBe(0)
    expect(row(stdout, 'reconnects')).toBeGreaterThanOrEqual(1)
    // The rejected ones carry the permanent codes the simulator injected, and nothing else.
    expect(row(stdout, 'rejected by code')).toBeGreaterThanOrEqual(1)
    expect(stdout).toMatch(
      /rejected by code\s+\d+\s+(?:(?:contentPolicyViolation|insufficientCredits|invalidPositivePrompt) \d+(?:, )?)+ \(injected by the simulator\)/,
    )
    expect(row(stdout, 'completed') + row(stdout, 'rejected by code')).toBe(300)
    const items = /^ {2}items\s+(\d+)\s+resolved by the client; simulator produced (\d+)/m.exec(stdout)
    expect(items?.[1]).toBe(items?.[2])
    expect(stdout).toContain('OK: nothing lost, nothing ran twice')
    // Not a terminal: plain progress lines, no escape codes anywhere.
    expect(stderr).toMatch(/^demo: \d+\/300 settled, \d+ ok, \d+ failed/m)
    expect(stdout).not.toMatch(ANSI)
    expect(stderr).not.toMatch(ANSI)
  }, 60_000)

  it('over HTTP under heavy chaos: exit 0, nothing lost, nothing twice, every item delivered', async () => {
    const cli = spawnCli(['demo', '--tasks', '300', '--seed', '3', '--chaos', 'heavy', '--transport', 'http'])
    const exit = await exitOf(cli, 60_000)
    const stdout = cli.stdout()
    expect(exit, cli.stderr()).toEqual({ code: 0, signal: null })
    expect(stdout).toMatch(/^ {2}transport {2}http /m)
    expect(row(stdout, 'lost')).toBe(0)
    expect(row(stdout, 'executed twice')).toBe(0)
    expect(row(stdout, 'completed') + row(stdout, 'rejected by code')).toBe(300)
    const items = /^ {2}items\s+(\d+)\s+resolved by the client; simulator produced (\d+)/m.exec(stdout)
    expect(items?.[1]).toBe(items?.[2])
    expect(stdout).toContain('OK: nothing lost, nothing ran twice')
  }, 60_000)

  it("'auto' against a simulator that refuses the upgrade: every task completes over HTTP", async () => {
    const cli = spawnCli(['demo', '--tasks', '50', '--chaos', 'off', '--transport', 'auto'])
    const exit = await exitOf(cli)
    expect(exit.code, cli.stderr()).toBe(0)
    expect(cli.stdout()).toMatch(/^ {2}transport {2}auto /m)
    expect(row(cli.stdout(), 'completed')).toBe(50)
  }, 30_000)

  it('with chaos off every task completes', async () => {
    const cli = spawnCli(['demo', '--tasks', '50', '--chaos', 'off'])
    const exit = await exitOf(cli)
    expect(exit.code, cli.stderr()).toBe(0)
    expect(row(cli.stdout(), 'completed')).toBe(50)
    expect(row(cli.stdout(), 'reconnects')).toBe(0)
    expect(row(cli.stdout(), 'rejected by code')).toBe(0)
  }, 30_000)

  it('refuses bad flags with exit 2 and a pointer to --help', async () => {
    const cli = spawnCli(['demo', '--chaos', 'extreme'])
    expect((await exitOf(cli)).code).toBe(2)
    expect(cli.stderr()).toContain('--chaos must be one of off, light, heavy')
    expect(cli.stderr()).toContain("Try 'runware-socket demo --help'")
  })
})
