import { describe, expect, it } from '@jest/globals'
import { renderSummary } from '../../src/report/summary.js'
import { renderText } from '../../src/report/text.js'
import { sampleResult } from '../support/results.js'

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

describe('renderText', () => {
  it('gives the terminal the same story in plain text', () => {
    const text = renderText(sampleResult())
    expect(text).toContain('Cache warm failed: 2/5 endpoints warmed, 2 failed, 1 skipped')
    expect(text).toContain('NOT MET cacheStats.l1Size >= 100: 0 → 2 → 3')
    expect(text).toContain('FAIL GET    /api/v1/reports/intraday')
    expect(text).not.toMatch(/^\|/m)
  })
})
