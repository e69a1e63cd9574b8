import { describe, expect, it } from '@jest/globals'
import { warmPhase } from '../../src/phases/warm.js'
import type { RunResult } from '../../src/result.js'
import { settingsFrom } from '../support/settings.js'

const warm = (totals: RunResult['totals'], stepFailed = false): RunResult =>
  ({ totals, stepFailed }) as RunResult

describe('warmPhase', () => {
  const settings = settingsFrom({ url: 'https://w.example.com', endpoints: '- /a' })

  it('passes when everything warmed, and counts what did not', () => {
    expect(warmPhase(warm({ total: 3, passed: 3, failed: 0, skipped: 0 }), 5, settings)).toEqual({
      name: 'warm',
      status: 'passed',
      durationMs: 5,
      detail: '3/3 warmed'
    })
    expect(
      warmPhase(warm({ total: 3, passed: 1, failed: 1, skipped: 1 }, true), 5, settings)
    ).toMatchObject({ status: 'failed', detail: '1/3 warmed, 1 failed, 1 skipped' })
  })

  it('is a warning when fail-on keeps a failure green', () => {
    expect(
      warmPhase(warm({ total: 2, passed: 1, failed: 1, skipped: 0 }, false), 5, settings).status
    ).toBe('warning')
  })

  it('says why a job had nothing to warm', () => {
    const none = warm({ total: 0, passed: 0, failed: 0, skipped: 0 })
    const gate = settingsFrom({ url: 'https://w.example.com', 'metrics-path': '/m' })
    expect(warmPhase(none, 0, gate)).toMatchObject({
      status: 'skipped',
      detail: 'no endpoints listed; this job only checks the deployment'
    })
    const shard = settingsFrom({ url: 'https://w.example.com', endpoints: '- /a', shard: '2/2' })
    expect(warmPhase(none, 0, shard).detail).toBe('no endpoints in shard 2/2')
  })

  it('with expect-version, says every answer showed it, or how many did not', () => {
    const versioned = settingsFrom({
      url: 'https://w.example.com',
      endpoints: '- /a\n- /b',
      'expect-version': 'header:X-Worker-Version=1.4.2'
    })
    const endpoint = (cause?: string) => ({
      outcome: cause ? 'failed' : 'passed',
      ...(cause ? { cause } : {})
    })
    const run = (causes: (string | undefined)[], passed: number): RunResult =>
      ({
        totals: { total: causes.length, passed, failed: causes.length - passed, skipped: 0 },
        stepFailed: passed < causes.length,
        tiers: [{ priority: 'normal', durationMs: 1, endpoints: causes.map(endpoint) }]
      }) as unknown as RunResult
    expect(warmPhase(run([undefined, undefined], 2), 5, versioned).detail).toBe(
      '2/2 warmed, every answer showed header:X-Worker-Version=1.4.2'
    )
    expect(warmPhase(run([undefined, 'version-mismatch'], 1), 5, versioned).detail).toBe(
      '1/2 warmed, 1 failed, 1 did not show header:X-Worker-Version=1.4.2'
    )
    // A failure for another reason is not a version the answers showed.
    expect(warmPhase(run(['http-503', 'http-503'], 0), 5, versioned).detail).toBe(
      '0/2 warmed, 2 failed'
    )
    // Without expect-version nothing is said about versions.
    expect(warmPhase(run([undefined], 1), 5, settings).detail).toBe('1/1 warmed')
  })
})
