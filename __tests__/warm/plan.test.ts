import { describe, expect, it } from '@jest/globals'
import { planTiers, renderPlan, settingDuration } from '../../src/warm/plan.js'
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

/** Settings with every phase configured, and secrets in the key and the headers. */
const EVERY_PHASE = settingsFrom({
  url: 'https://api.example.com',
  endpoints: 'critical: [/a]\nlow: [/b]',
  'api-key': 'sekrit-value-123',
  headers: 'X-Debug: debug-on\nAuthorization: Bearer tok-9f8e7d6c5b4a',
  concurrency: '4',
  'max-rps': '5',
  'wait-for': '/health',
  'wait-for-version': 'version=1.4.2',
  'wait-timeout': '1m30s',
  'poll-interval': '250ms',
  sitemap: '/sitemap.xml',
  'sitemap-exclude': '/private/*',
  'sitemap-limit': '500',
  'warmup-trigger': '/cache/warmup',
  'warmup-trigger-required': 'true',
  'min-cached': '80%',
  'max-warm-latency': '1.25s',
  'cache-markers': 'metadata.cacheStatus=hit\ncached=true',
  'metrics-path': '/api/v1/cache/metrics',
  thresholds: 'l1Stats.hitRate >= 70%\ncacheStats.l1Size >= 100'
})

describe('planTiers', () => {
  it('groups endpoints critical, high, normal, low, keeping the written order in each', () => {
    const s = settingsFrom({ url: 'https://api.example.com', endpoints: ENDPOINTS })
    const tiers = planTiers(s.warm)
    expect(tiers.map(t => [t.priority, t.endpoints.map(e => e.path)])).toEqual([
      ['critical', ['/crit-one', '/crit-two']],
      ['high', ['/high-one']],
      ['normal', ['/normal-one']],
      ['low', ['/low-one']]
    ])
  })

  it('leaves out empty tiers', () => {
    const s = settingsFrom({ url: 'https://api.example.com', endpoints: '[/a, /b]' })
    expect(planTiers(s.warm).map(t => t.priority)).toEqual(['normal'])
  })

  it('reads tiers written as a mapping', () => {
    const s = settingsFrom({
      url: 'https://api.example.com',
      endpoints: 'low: [/l]\ncritical: [/c1, /c2]\nhigh: [/h]'
    })
    expect(planTiers(s.warm).map(t => [t.priority, t.endpoints.length])).toEqual([
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
      planTiers(withDefault.warm)
        .flatMap(t => t.endpoints)
        .map(e => [e.path, e.expect])
    )
    expect(byPath['/crit-two']).toEqual({ status: [204] })
    expect(byPath['/crit-one']).toEqual({ json: { success: true } })

    const without = settingsFrom({ url: 'https://api.example.com', endpoints: '- /a' })
    expect(planTiers(without.warm)[0]?.endpoints[0]?.expect).toEqual({})
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
    const text = renderPlan(planTiers(s.warm), s)
    expect(text).toContain('Plan: 2 endpoint(s) on https://api.example.com, 4 at a time')
    expect(text).toContain('1 retries')
    expect(text).toContain('Key: sent as X-API-Key (value masked)')
    expect(text).toContain('critical (1):\n  GET    https://api.example.com/v1/a')
    expect(text).toContain('low (1):\n  POST   https://api.example.com/v1/cache/warmup')
    expect(text).not.toContain('sekrit-value-123')
  })

  it('says when no key is sent', () => {
    const s = settingsFrom({ url: 'https://api.example.com', endpoints: '- /a' })
    expect(renderPlan(planTiers(s.warm), s)).toContain('Key: none given; no key header is sent')
  })

  it('shows every configured phase, in the order they run', () => {
    const text = renderPlan(planTiers(EVERY_PHASE.warm), EVERY_PHASE)
    expect(text).toBe(
      [
        'Plan: 2 endpoint(s) on https://api.example.com, 4 at a time, timeout 10s, 2 retries, deadline 10m',
        'Key: sent as X-API-Key (value masked)',
        'Headers: X-Debug, Authorization (values masked)',
        'Rate: at most 5 request(s) a second',
        'Wait: GET /health until it answers 2xx and shows version=1.4.2; every 250ms, for up to 1m30s',
        'Sitemap: /sitemap.xml (not read in a dry run; up to 500 URLs, 1 exclude pattern(s))',
        'Trigger: POST /cache/warmup before warming; required: the step fails if it fails',
        'Warm: 2 endpoint(s) in 2 tier(s), in this order',
        'critical (1):',
        '  GET    https://api.example.com/a',
        'low (1):',
        '  GET    https://api.example.com/b',
        'Verify: on, each warmed GET endpoint asked again; min-cached 80 %, max-warm-latency 1s250ms, 2 cache marker(s)',
        'Metrics: GET /api/v1/cache/metrics until l1Stats.hitRate >= 70%, cacheStats.l1Size >= 100; every 250ms, for up to 2m'
      ].join('\n')
    )
  })

  it('writes durations as the inputs take them, never as thousands of milliseconds', () => {
    const text = renderPlan(planTiers(EVERY_PHASE.warm), EVERY_PHASE)
    expect(text).not.toMatch(/\d{4,}ms/)
    expect(text).toContain('timeout 10s')
    expect(text).toContain('deadline 10m')
  })

  it('leaves out the phases that are not configured, and says verify is off', () => {
    const s = settingsFrom({
      url: 'https://api.example.com',
      endpoints: '- /a',
      verify: 'false',
      'warmup-trigger': '/warm'
    })
    const text = renderPlan(planTiers(s.warm), s)
    expect(text).not.toMatch(/^(Wait|Sitemap|Metrics|Headers|Rate|Shard):/m)
    expect(text).toContain(
      'Trigger: POST /warm before warming; not required: a failure is a warning (a refused key still fails the step)'
    )
    expect(text.split('\n').at(-1)).toBe('Verify: off')
  })

  it('says a metrics path without thresholds is read once', () => {
    const s = settingsFrom({
      url: 'https://api.example.com',
      endpoints: '- /a',
      'metrics-path': '/metrics'
    })
    expect(renderPlan(planTiers(s.warm), s)).toContain(
      'Metrics: GET /metrics read once after warming (no thresholds set)'
    )
  })

  it('never prints a secret: not the key, not a header value, not the version override', () => {
    const text = renderPlan(planTiers(EVERY_PHASE.warm), EVERY_PHASE)
    for (const secret of ['sekrit-value-123', 'Bearer', 'tok-9f8e7d6c5b4a', 'debug-on'])
      expect(text).not.toContain(secret)
    const overridden = settingsFrom({
      url: 'https://api.example.com',
      endpoints: '- /a',
      'version-override': 'my-worker="v-8a7b6c5d"'
    })
    const plan = renderPlan(planTiers(overridden.warm), overridden)
    expect(plan).toContain(
      'Version override: sent as Cloudflare-Workers-Version-Overrides (value masked)'
    )
    expect(plan).not.toContain('v-8a7b6c5d')
  })
})

describe('settingDuration', () => {
  it('writes a duration the way an input takes it back, exactly', () => {
    expect(
      [250, 1000, 10_000, 90_000, 120_000, 1250, 59_950, 119_500, 5_400_000, 0].map(settingDuration)
    ).toEqual([
      '250ms',
      '1s',
      '10s',
      '1m30s',
      '2m',
      '1s250ms',
      '59s950ms',
      '1m59s500ms',
      '1h30m',
      '0s'
    ])
  })
})
