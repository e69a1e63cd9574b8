import { describe, expect, it } from '@jest/globals'
import { fitJobSummary, renderSummary, SUMMARY_LIMIT_BYTES } from '../../src/report/summary.js'
import type { FullResult } from '../../src/result.js'
import { aResult, aTier, aVerify, aVerifyEntry, anEndpoint } from '../support/results.js'

/** A result with `n` endpoints, every one failed with a long reason and a verify note. */
function huge(n: number): FullResult {
  const endpoints = Array.from({ length: n }, (_, i) =>
    anEndpoint({
      source: `endpoints[${i}]`,
      path: `/api/v1/reports/${'segment/'.repeat(20)}${i}`,
      outcome: 'failed',
      status: 503,
      latencyMs: 12,
      attempts: 3,
      reason: `GET /api/v1/reports/${i} returned 503 Service Unavailable after 3 attempts (server said: "${'overloaded '.repeat(10)}")`,
      cause: 'http-503'
    })
  )
  return aResult({
    durationMs: 1000,
    result: 'failed',
    stepFailed: true,
    tiers: [aTier('normal', endpoints, 1000)],
    warnings: endpoints.map(e => `${e.method} ${e.path}: a Set-Cookie header makes it uncacheable`),
    verify: aVerify({
      entries: endpoints.map(e =>
        aVerifyEntry({
          path: e.path,
          status: 200,
          latencyMs: 3,
          state: 'not cached',
          evidence: 'X-Cache: MISS',
          note: 'a Set-Cookie header makes it uncacheable'
        })
      )
    })
  })
}

describe('the job summary stays under GitHub’s 1 MiB', () => {
  it('cuts the per-endpoint tables and lists with a note pointing at the JSON report', () => {
    const md = renderSummary(huge(20_000))
    expect(Buffer.byteLength(md)).toBeLessThan(SUMMARY_LIMIT_BYTES)
    expect(md).toContain('the JSON report')
    // The first 200 warnings are on their verify rows already, so not listed again: 20 of the
    // other 19,800 are.
    expect(md).toMatch(/… 19780 more warnings; the JSON report has all of them/)
    expect(md).toMatch(/… 19800 more endpoint\(s\); the JSON report has all of them/)
  })

  it('keeps a small summary whole', () => {
    const md = renderSummary(huge(3))
    expect(md).not.toContain('more endpoint')
    expect(md).not.toContain('cut to fit')
  })

  it('cuts anything still too long at a line, with a note, under the limit', () => {
    const line = `| ${'é'.repeat(500)} |\n`
    const cut = fitJobSummary(line.repeat(3000))
    expect(Buffer.byteLength(cut)).toBeLessThan(SUMMARY_LIMIT_BYTES)
    expect(cut).toMatch(
      /\|\n\n… \(cut to fit GitHub's 1 MiB job summary limit; the JSON report has every endpoint\)\n$/
    )
    expect(fitJobSummary('short')).toBe('short')
  })
})
