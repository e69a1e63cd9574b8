import { describe, expect, it } from '@jest/globals'
import { planTiers, renderPlan } from '../../src/warm/plan.js'
import { settingsFrom } from '../support/settings.js'

const ENDPOINTS = `
- path: /low-one
  priority: low
- path: /crit-one
  priority: critical
- /normal-one
- path: /crit-two
  priority: critical
  expect: {status: 204}
- path: /high-one
  method: POST
  priority: high
`

describe('planTiers', () => {
  it('groups endpoints critical, high, normal, low, keeping the written order in each', () => {
    const s = settingsFrom({ url: 'https://api.example.com', endpoints: ENDPOINTS })
    const tiers = planTiers(s)
    expect(tiers.map(t => [t.priority, t.endpoints.map(e => e.path)])).toEqual([
      ['critical', ['/crit-one', '/crit-two']],
      ['high', ['/high-one']],
      ['normal', ['/normal-one']],
      ['low', ['/low-one']]
    ])
  })

  it('leaves out empty tiers', () => {
    const s = settingsFrom({ url: 'https://api.example.com', endpoints: '[/a, /b]' })
    expect(planTiers(s).map(t => t.priority)).toEqual(['normal'])
  })

  it('reads tiers written as a mapping', () => {
    const s = settingsFrom({
      url: 'https://api.example.com',
      endpoints: 'low: [/l]\ncritical: [/c1, /c2]\nhigh: [/h]'
    })
    expect(planTiers(s).map(t => [t.priority, t.endpoints.length])).toEqual([
      ['critical', 2],
      ['high', 1],
      ['low', 1]
    ])
  })

  it("uses the endpoint's expect, else the expect input, else any 2xx", () => {
    const withDefault = settingsFrom({
      url: 'https://api.example.com',
      endpoints: ENDPOINTS,
      expect: '{json: {success: true}}'
    })
    const byPath = Object.fromEntries(
      planTiers(withDefault)
        .flatMap(t => t.endpoints)
        .map(e => [e.path, e.expect])
    )
    expect(byPath['/crit-two']).toEqual({ status: [204] })
    expect(byPath['/crit-one']).toEqual({ json: { success: true } })

    const without = settingsFrom({ url: 'https://api.example.com', endpoints: '- /a' })
    expect(planTiers(without)[0]?.endpoints[0]?.expect).toEqual({})
  })
})

describe('renderPlan', () => {
  it('shows tiers, methods and URLs, and names the key header without its value', () => {
    const s = settingsFrom({
      url: 'https://api.example.com/v1',
      endpoints: 'critical: [/a]\nlow: ["POST /cache/warmup"]',
      'api-key': 'sekrit-value-123',
      concurrency: '4',
      retries: '1'
    })
    const text = renderPlan(planTiers(s), s)
    expect(text).toContain('Plan: 2 endpoint(s) on https://api.example.com, 4 at a time')
    expect(text).toContain('1 retries')
    expect(text).toContain('Key: sent as X-API-Key (value masked)')
    expect(text).toContain('critical (1):\n  GET    https://api.example.com/v1/a')
    expect(text).toContain('low (1):\n  POST   https://api.example.com/v1/cache/warmup')
    expect(text).not.toContain('sekrit-value-123')
  })

  it('says when no key is sent', () => {
    const s = settingsFrom({ url: 'https://api.example.com', endpoints: '- /a' })
    expect(renderPlan(planTiers(s), s)).toContain('Key: none given; no key header is sent')
  })
})
