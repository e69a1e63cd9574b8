import type { EndpointResult, FullResult } from '../../src/result.js'

const ok = (
  path: string,
  priority: EndpointResult['priority'],
  latencyMs: number
): EndpointResult => ({
  source: `endpoints.${priority}`,
  method: 'GET',
  path,
  priority,
  outcome: 'passed',
  status: 200,
  latencyMs,
  attempts: 1,
  cache: 'X-Cache: MISS'
})

/** A result with something of everything: phases, a failure per kind, thresholds, verify. */
export function sampleResult(overrides: Partial<FullResult> = {}): FullResult {
  const critical: EndpointResult[] = [
    ok('/api/v1/reports/pre-market', 'critical', 240),
    {
      source: 'endpoints.critical[1]',
      method: 'GET',
      path: '/api/v1/reports/intraday',
      priority: 'critical',
      outcome: 'failed',
      status: 200,
      latencyMs: 180,
      attempts: 1,
      reason: '200 but the JSON did not match expect: `data` missing',
      cause: 'assertion'
    }
  ]
  const normal: EndpointResult[] = [
    ok('/api/v1/sentiment/AAPL', 'normal', 150),
    {
      source: 'endpoints.normal[1]',
      method: 'GET',
      path: '/api/v1/sentiment/TSLA|x',
      priority: 'normal',
      outcome: 'failed',
      status: 503,
      latencyMs: 12,
      attempts: 3,
      reason: 'GET /api/v1/sentiment/TSLA|x returned 503 Service Unavailable after 3 attempts',
      cause: 'http-503'
    },
    {
      source: 'endpoints.normal[2]',
      method: 'POST',
      path: '/api/v1/slow',
      priority: 'normal',
      outcome: 'skipped',
      attempts: 0,
      reason: 'not sent: the deadline passed',
      cause: 'deadline'
    }
  ]
  return {
    schemaVersion: 1,
    tool: { name: 'cache-warm-action', version: '0.1.0' },
    target: 'https://reports.example.workers.dev/',
    startedAt: '2026-11-25T14:00:00.000Z',
    durationMs: 4321,
    dryRun: false,
    result: 'failed',
    stepFailed: true,
    failOn: 'critical',
    stoppedBy: 'deadline',
    settings: {
      concurrency: 8,
      timeoutMs: 10_000,
      retries: 2,
      deadlineMs: 600_000,
      apiKeyHeader: 'X-API-Key',
      apiKeySent: true
    },
    tiers: [
      { priority: 'critical', endpoints: critical, durationMs: 250 },
      { priority: 'normal', endpoints: normal, durationMs: 900 }
    ],
    totals: { total: 5, passed: 2, failed: 2, skipped: 1 },
    latency: { coldP50Ms: 150, coldP95Ms: 240 },
    warnings: [
      'GET /api/v1/sentiment/AAPL: not cacheable: it sets a cookie (Set-Cookie), the likely cause'
    ],
    phases: [
      {
        name: 'wait',
        status: 'passed',
        durationMs: 1200,
        detail: 'version 1.4.2 live after 3 poll(s)'
      },
      {
        name: 'trigger',
        status: 'warning',
        durationMs: 40,
        detail: 'warm-up route refused (403): the deployment may have warm-up disabled'
      },
      {
        name: 'warm',
        status: 'failed',
        durationMs: 1150,
        detail: '2/5 warmed, 2 failed, 1 skipped'
      },
      { name: 'verify', status: 'passed', durationMs: 30, detail: '1/2 from cache' },
      {
        name: 'metrics',
        status: 'failed',
        durationMs: 2000,
        detail: '1 threshold(s) not met after 2s: cacheStats.l1Size >= 100'
      }
    ],
    verify: {
      entries: [
        {
          method: 'GET',
          path: '/api/v1/reports/pre-market',
          priority: 'critical',
          status: 200,
          latencyMs: 6,
          state: 'cached',
          evidence: 'X-Cache: HIT'
        },
        {
          method: 'GET',
          path: '/api/v1/sentiment/AAPL',
          priority: 'normal',
          status: 200,
          latencyMs: 140,
          state: 'not cacheable',
          evidence: 'CF-Cache-Status: BYPASS',
          note: 'not cacheable: it sets a cookie (Set-Cookie), the likely cause'
        }
      ],
      cached: 1,
      cachedShare: 0.5,
      warmP50Ms: 6,
      warmP95Ms: 140,
      speedup: 25,
      passed: true,
      problems: []
    },
    metrics: {
      path: '/api/v1/cache/metrics',
      polls: 3,
      met: false,
      thresholds: [
        {
          text: 'cacheStats.l1Size >= 100',
          path: 'cacheStats.l1Size',
          op: '>=',
          target: 100,
          rate: false,
          baseline: 0,
          progression: [0, 2, 3],
          final: 3,
          scale: 'number',
          met: false
        },
        {
          text: 'l1Stats.hitRate >= 70%',
          path: 'l1Stats.hitRate',
          op: '>=',
          target: 0.7,
          rate: true,
          baseline: 0,
          progression: [0, null, 0.78],
          final: 0.78,
          scale: '"NN%" string',
          met: true
        }
      ],
      hitRate: 0.78,
      cacheSize: 3,
      doubts: []
    },
    ...overrides
  }
}
