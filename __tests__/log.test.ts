import { describe, expect, it } from '@jest/globals'
import {
  endpointLines,
  guardedLog,
  phaseLine,
  plainLog,
  thinned,
  tierLine,
  toLog,
  verdictLine,
  type Log
} from '../src/log.js'
import {
  aMetrics,
  anEndpoint,
  aPhase,
  aResult,
  aThreshold,
  aTier,
  aVerify,
  aVerifyEntry
} from './support/results.js'

/** A Log that records what it was told, as the runner would show it. */
function recorder(): { log: Log; seen: string[] } {
  const seen: string[] = []
  return {
    seen,
    log: {
      line: t => seen.push(t),
      group: t => seen.push(`::group::${t}`),
      endGroup: () => seen.push('::endgroup::'),
      result: t => seen.push(`= ${t}`)
    }
  }
}

describe('guardedLog', () => {
  it('never nests groups: opening one closes the one still open', () => {
    const { log, seen } = recorder()
    const g = guardedLog(log)
    g.group('a')
    g.line('in a')
    g.group('b')
    g.endGroup()
    g.endGroup()
    expect(seen).toEqual(['::group::a', 'in a', '::endgroup::', '::group::b', '::endgroup::'])
  })

  it('prints a result outside the group, and close() ends a group left open', () => {
    const { log, seen } = recorder()
    const g = guardedLog(log)
    g.group('a')
    g.result('a: done')
    g.group('b')
    g.close()
    g.close()
    expect(seen).toEqual(['::group::a', '::endgroup::', '= a: done', '::group::b', '::endgroup::'])
  })
})

describe('plainLog and toLog', () => {
  it('a function sink gets every line, a group title as a line, no group markers', () => {
    const lines: string[] = []
    const log = toLog(line => lines.push(line))
    log.group('Warming critical: 1 endpoint(s)')
    log.line('  ok   GET /a 200 5ms')
    log.endGroup()
    log.result('critical: 1/1 warmed in 5ms, p50 5ms')
    expect(lines).toEqual([
      'Warming critical: 1 endpoint(s)',
      '  ok   GET /a 200 5ms',
      'critical: 1/1 warmed in 5ms, p50 5ms'
    ])
    expect(plainLog(() => {}).endGroup()).toBeUndefined()
  })
})

describe('thinning', () => {
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      anEndpoint({ path: `/p/${i}`, status: 200, latencyMs: i % 50 })
    )

  it('lists every endpoint up to 200, or with ACTIONS_STEP_DEBUG', () => {
    expect(thinned(200, false)).toBe(false)
    expect(thinned(201, false)).toBe(true)
    expect(thinned(20_000, true)).toBe(false)
  })

  it('thinned: each failure, the skipped counted by reason, then the slowest five', () => {
    const endpoints = [
      ...many(300),
      anEndpoint({ path: '/bad', outcome: 'failed', status: 503, latencyMs: 3, reason: '503' }),
      ...Array.from({ length: 40 }, (_, i) =>
        anEndpoint({
          path: `/late/${i}`,
          outcome: 'skipped',
          reason: 'not sent: the deadline passed'
        })
      ),
      anEndpoint({ path: '/slow', status: 200, latencyMs: 900 })
    ]
    expect(endpointLines(endpoints, true)).toEqual([
      '  FAIL GET /bad 503 3ms - 503',
      '  skip 40 endpoints - not sent: the deadline passed',
      '  slowest 5 of 301 warmed:',
      '  ok   GET /slow 200 900ms',
      '  ok   GET /p/49 200 49ms',
      '  ok   GET /p/99 200 49ms',
      '  ok   GET /p/149 200 49ms',
      '  ok   GET /p/199 200 49ms'
    ])
    expect(endpointLines(endpoints, false)).toHaveLength(endpoints.length)
  })
})

describe('result lines', () => {
  it('a tier: warmed of all, failures, time and cold p50; a tier not sent says why', () => {
    const six = Array.from({ length: 6 }, (_, i) =>
      anEndpoint({ priority: 'critical', latencyMs: 800 + i })
    )
    expect(tierLine('critical', six, 2100, true)).toBe('critical: 6/6 warmed in 2.1s, p50 802ms')
    const mixed = [
      anEndpoint({ latencyMs: 100 }),
      anEndpoint({ outcome: 'failed', latencyMs: 5 }),
      anEndpoint({ outcome: 'skipped', reason: 'not sent: the deadline passed' })
    ]
    expect(tierLine('normal', mixed, 650, true)).toBe(
      'normal: 1/3 warmed in 650ms, 1 failed, 1 skipped, p50 100ms'
    )
    const refused = [anEndpoint({ outcome: 'skipped', reason: 'not sent: the key was refused' })]
    expect(tierLine('low', refused, 0, false)).toBe(
      'low: 0/1 warmed, 1 skipped (not sent: the key was refused)'
    )
  })

  it('a phase: name, status, time and detail', () => {
    expect(phaseLine(aPhase('verify', { durationMs: 300, detail: '10/10 from cache' }))).toBe(
      'verify passed in 300ms: 10/10 from cache'
    )
    expect(phaseLine(aPhase('metrics', { status: 'skipped', detail: 'skipped: 401' }))).toBe(
      'metrics skipped: skipped: 401'
    )
  })

  it('the verdict: warmed, verify and metrics in one line', () => {
    const ten = Array.from({ length: 10 }, () => anEndpoint())
    const result = aResult({
      tiers: [aTier('normal', ten)],
      verify: aVerify({ entries: ten.map(() => aVerifyEntry()) }),
      metrics: aMetrics({ thresholds: [aThreshold(), aThreshold(), aThreshold()] })
    })
    expect(verdictLine(result)).toBe(
      'Cache warm passed: 10/10 warmed, verify 10/10 cached, metrics 3/3 thresholds met'
    )
    const green = aResult({
      result: 'failed',
      failOn: 'never',
      tiers: [aTier('normal', [anEndpoint({ outcome: 'failed' })])]
    })
    expect(verdictLine(green)).toBe(
      'Cache warm failed: 0/1 warmed, 1 failed; the step stays green (fail-on: never)'
    )
    expect(verdictLine(aResult({ metrics: aMetrics() }))).toBe(
      'Cache warm passed: no endpoints to warm, metrics read once'
    )
    expect(
      verdictLine(aResult({ dryRun: true, result: 'dry-run', tiers: [aTier('low', ten)] }))
    ).toBe('Cache warm dry run: 10 endpoint(s) planned, nothing sent')
  })

  it('the verdict does not call failed metrics met when the polls did not agree', () => {
    const flapped = aResult({
      result: 'failed',
      failOn: 'never',
      metrics: aMetrics({ thresholds: [aThreshold()] }),
      phases: [aPhase('metrics', { status: 'failed', detail: 'never 2 polls in a row' })]
    })
    expect(verdictLine(flapped)).toBe(
      'Cache warm failed: no endpoints to warm, metrics failed: 1/1 thresholds met, but not proven (see the metrics phase); the step stays green (fail-on: never)'
    )
  })
})
