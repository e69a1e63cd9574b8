import { describe, expect, it } from '@jest/globals'
import { renderSummary } from '../../src/report/summary.js'
import { renderText } from '../../src/report/text.js'
import {
  aMetrics,
  aPhase,
  aResult,
  aTier,
  aVerify,
  aVerifyEntry,
  anEndpoint,
  sampleResult
} from '../support/results.js'

/** How often `text` occurs in `md`. */
const count = (md: string, text: string) => md.split(text).length - 1

/** The summary's parts, one per `###` heading (the first is everything above the first one). */
const sections = (md: string) => md.split(/^### /m)

/** A run where the same endpoint is in the result twice: a failed try and a retried entry. */
const twice = () =>
  aResult({
    result: 'failed',
    stepFailed: true,
    tiers: [
      aTier('critical', [
        anEndpoint({
          path: '/a',
          priority: 'critical',
          outcome: 'failed',
          status: 503,
          latencyMs: 300,
          attempts: 3,
          reason: 'returned 503 after 3 attempts'
        }),
        anEndpoint({ path: '/b', priority: 'critical', status: 200, latencyMs: 100 }),
        anEndpoint({
          path: '/a',
          priority: 'critical',
          status: 200,
          latencyMs: 500,
          suspicious: 'real_data is false'
        }),
        anEndpoint({
          path: '/a',
          priority: 'critical',
          outcome: 'failed',
          status: 503,
          latencyMs: 20,
          reason: 'returned 503 again'
        }),
        anEndpoint({ path: '/b', priority: 'critical', status: 200, latencyMs: 90 })
      ])
    ],
    verify: aVerify({
      entries: [
        aVerifyEntry({ path: '/a', status: 200, latencyMs: 5, evidence: 'X-Cache: HIT' }),
        aVerifyEntry({ path: '/b', status: 200, latencyMs: 6, evidence: 'X-Cache: HIT' }),
        aVerifyEntry({
          path: '/a',
          status: 200,
          latencyMs: 7,
          state: 'not cached',
          evidence: 'X-Cache: MISS'
        })
      ]
    })
  })

describe('renderSummary', () => {
  it('renders verdict, phases, failures, thresholds, verify and tiers (snapshot)', () => {
    expect(renderSummary(sampleResult())).toMatchSnapshot()
  })

  it('leads with the verdict and the reason the step failed', () => {
    const md = renderSummary(sampleResult())
    expect(md.split('\n')[0]).toBe(
      '## ❌ Cache warm failed: 2/5 endpoints warmed, 2 failed, 1 skipped; metrics failed'
    )
    expect(md).toContain('The step fails (fail-on: critical).')
    expect(md).toContain('Stopped early: the deadline (10m) passed')
  })

  it('lists every failure with its reason before the tier tables', () => {
    const md = renderSummary(sampleResult())
    const why = md.indexOf('### Why it failed')
    expect(why).toBeGreaterThan(0)
    expect(why).toBeLessThan(md.indexOf('### critical'))
    expect(md).toContain('`data` missing')
    expect(md).toContain('after 3 attempts')
  })

  it('escapes pipes so a path cannot break the table', () => {
    const md = renderSummary(sampleResult())
    const row = md.split('\n').find(l => l.includes('TSLA') && l.startsWith('| ❌'))
    expect(row).toBeDefined()
    // 9 columns => 10 unescaped pipes.
    expect(row!.replace(/\\\|/g, '').split('|').length - 1).toBe(9)
  })

  it('says when fail-on keeps the step green although the result is failed', () => {
    const md = renderSummary(sampleResult({ stepFailed: false, failOn: 'never' }))
    expect(md).toContain(
      'The step stays green only because fail-on is never; the result output is "failed".'
    )
  })

  it('shows thresholds with baseline, progression, final and target on the right scale', () => {
    const md = renderSummary(sampleResult())
    expect(md).toContain(
      '| ❌ | `cacheStats.l1Size >= 100` | 0 | 0 → 2 → 3 | 3 | >= 100 | number |'
    )
    expect(md).toContain(
      '| ✅ | `l1Stats.hitRate >= 70%` | 0 % | 0 % → – → 78 % | 78 % | >= 70 % | "NN%" string |'
    )
  })

  it('shows each verified endpoint with its cache state and evidence', () => {
    const md = renderSummary(sampleResult())
    expect(md).toContain('### Verify · 1/2 from cache · warm p50 6ms · p95 140ms · 25× faster')
    expect(md).toContain(
      'not cacheable | CF-Cache-Status: BYPASS · not cacheable: it sets a cookie (Set-Cookie), the likely cause |'
    )
  })

  it('renders a passing run without failure sections', () => {
    const passing = sampleResult({
      result: 'passed',
      stepFailed: false,
      tiers: [],
      totals: { total: 0, passed: 0, failed: 0, skipped: 0 }
    })
    const { stoppedBy: _s, ...rest } = passing
    const md = renderSummary({ ...rest, metrics: undefined, verify: undefined, phases: [] })
    expect(md.startsWith('## ✅ Cache warm passed')).toBe(true)
    expect(md).not.toContain('Why it failed')
    expect(md).not.toContain('[!WARNING]')
  })
})

describe('renderSummary: each thing said once', () => {
  it('lists an endpoint at most once in every table, with its worst record', () => {
    const md = renderSummary(twice())
    for (const part of sections(md).slice(1)) {
      // `/a` in a table cell, `GET /a` in a list.
      expect([part.split('\n')[0], count(part, '/a`')]).toEqual([part.split('\n')[0], 1])
      expect(count(part, '/b`')).toBeLessThanOrEqual(1)
    }
    // Every table that can hold /a does.
    expect(sections(md).map(p => p.split(' ')[0])).toEqual([
      '##',
      'Why',
      'Suspicious',
      'Verify',
      'critical',
      'Slowest\n\n|'
    ])
    const tier = sections(md).find(p => p.startsWith('critical'))!
    expect(tier).toContain('critical · 1/2 warmed')
    expect(tier).toContain(
      '| ❌ | GET | `/a` | 503 | 300ms | 3 |  | returned 503 after 3 attempts |'
    )
    expect(md).toContain('| ❌ | GET | `/a` | 200 | 7ms | not cached | X-Cache: MISS |')
    expect(md).toContain('| GET | `/a` | 500ms |')
    expect(md).not.toContain('returned 503 again')
  })

  it('tells the terminal of an endpoint once per list too', () => {
    const text = renderText(twice())
    expect(count(text, 'FAIL GET    /a ')).toBe(1)
    expect(count(text, 'GET    /b ')).toBe(1)
    expect(text).toContain('Slowest: GET /a 500ms, GET /b 100ms')
  })

  it('drops the "Why it failed" column from a table where nothing failed', () => {
    const md = renderSummary(
      aResult({
        tiers: [
          aTier('critical', [anEndpoint({ path: '/ok', priority: 'critical', status: 200 })]),
          aTier('normal', [
            anEndpoint({ path: '/fine', status: 200 }),
            anEndpoint({ path: '/late', outcome: 'skipped', attempts: 0, reason: 'not sent' })
          ])
        ]
      })
    )
    const [critical, normal] = sections(md).slice(1)
    expect(critical).toContain('| | Method | Path | Status | Latency | Attempts | Cache |\n')
    expect(critical).toContain('|---|---|---|---:|---:|---:|---|\n')
    expect(critical).toContain('| ✅ | GET | `/ok` | 200 | – | 1 |  |\n')
    // A skipped row has a reason to give: that table keeps the column.
    expect(normal).toContain('| Cache | Why it failed |')
    expect(normal).toContain('| ⏭️ | GET | `/late` |  | – | 0 |  | not sent |')
    expect(md).not.toContain(
      'Why it failed |\n|---|---|---|---:|---:|---:|---|---|\n| ✅ | GET | `/ok`'
    )
  })

  it('keeps the "more endpoints" row as wide as its table', () => {
    const many = Array.from({ length: 205 }, (_, i) => anEndpoint({ path: `/p${i}`, status: 200 }))
    const md = renderSummary(aResult({ tiers: [aTier('normal', many)] }))
    const more = md.split('\n').find(l => l.includes('more endpoint(s)'))!
    expect(more).toBe('| | | … 5 more endpoint(s), listed in the JSON report | | | | |')
    expect(md).not.toContain('Why it failed')
  })

  it('says a warning once, not again where a phase row, a verify row or a caution says it', () => {
    const refused = 'warm-up route refused (403): the deployment may have warm-up disabled'
    const note = 'not cacheable: it sets a cookie (Set-Cookie), the likely cause'
    const doubt = 'the hit rate rose before anything was warmed'
    const result = aResult({
      tiers: [aTier('normal', [anEndpoint({ path: '/b', status: 200 })])],
      warnings: [refused, `GET /b: ${note}`, doubt, 'a warning said twice', 'a warning said twice'],
      phases: [aPhase('trigger', { status: 'warning', detail: refused })],
      verify: aVerify({
        entries: [aVerifyEntry({ path: '/b', state: 'not cacheable', evidence: 'Age: 0', note })]
      }),
      metrics: aMetrics({ doubts: [doubt] })
    })
    const md = renderSummary(result)
    expect(count(md, refused)).toBe(1)
    expect(count(md, note)).toBe(1)
    expect(count(md, doubt)).toBe(1)
    expect(count(md, 'a warning said twice')).toBe(1)
    expect(count(md, '[!NOTE]')).toBe(1)

    const text = renderText(result)
    expect(count(text, refused)).toBe(1)
    expect(count(text, doubt)).toBe(1)
    expect(count(text, 'a warning said twice')).toBe(1)
    // The terminal has no verify rows: there the note is said as a warning, once.
    expect(count(text, note)).toBe(1)
  })

  it('compares warnings as written, before they are escaped for Markdown', () => {
    const note = 'not cacheable: <b>cookie</b> & [more]'
    const md = renderSummary(
      aResult({
        warnings: [`GET /x[1]: ${note}`],
        verify: aVerify({
          entries: [aVerifyEntry({ path: '/x[1]', state: 'not cacheable', note })]
        })
      })
    )
    expect(md).not.toContain('[!NOTE]')
    expect(md).toContain('&lt;b>cookie&lt;/b> &amp; &#91;more&#93;')
  })
})

describe('renderText', () => {
  it('gives the terminal the same story in plain text', () => {
    const text = renderText(sampleResult())
    expect(text).toContain('Cache warm failed: 2/5 endpoints warmed, 2 failed, 1 skipped')
    expect(text).toContain('NOT MET cacheStats.l1Size >= 100: 0 → 2 → 3')
    expect(text).toContain('FAIL GET    /api/v1/reports/intraday')
    expect(text).not.toMatch(/^\|/m)
  })
})

describe('renderSummary: where the warm landed', () => {
  const COLD = 'users served by other colos start cold for the Cache API and KV cacheTtl'

  it('says which colos answered, with their counts, and nothing without them', () => {
    const md = renderSummary(
      aResult({
        colos: [
          { colo: 'IAD', answers: 5 },
          { colo: 'EWR', answers: 1 }
        ]
      })
    )
    expect(md).toContain(`🌍 Warmed in IAD (5), EWR (1): ${COLD}`)
    expect(renderText(aResult({ colos: [{ colo: 'IAD', answers: 5 }] }))).toContain(
      `Warmed in IAD: ${COLD}`
    )
    expect(renderSummary(aResult())).not.toContain('Warmed in')
  })

  it('shows no code that is not a colo, from a report written by hand or tampered with', () => {
    const md = renderSummary(
      aResult({
        colos: [
          { colo: '<img src=x>', answers: 9 },
          { colo: '[a](https://evil.example)', answers: 3 },
          { colo: 'SJC', answers: 2 }
        ]
      })
    )
    expect(md).toContain(`Warmed in SJC: ${COLD}`)
    expect(md).not.toMatch(/<img|evil\.example/)
  })
})
