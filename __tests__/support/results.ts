/**
 * The one place tests get a result from. Each builder returns the smallest valid value and
 * takes overrides, so a test spells out only the fields its assertions are about.
 */
import type { Priority } from '../../src/config/endpoints.js'
import type {
  EndpointResult,
  FullResult,
  MetricsResult,
  PhaseName,
  PhaseResult,
  RunResult,
  ThresholdResult,
  TierResult,
  Totals,
  VerifyEntry,
  VerifyResult
} from '../../src/result.js'

type Settings = RunResult['settings']

/** Overrides for `aResult`: any field, and `settings` field by field. */
export type ResultOverrides = Partial<Omit<FullResult, 'settings'>> & {
  readonly settings?: Partial<Settings>
}

/** An endpoint that passed on the first attempt; `source` follows the priority. */
export function anEndpoint(overrides: Partial<EndpointResult> = {}): EndpointResult {
  const priority = overrides.priority ?? 'normal'
  return {
    source: `endpoints.${priority}`,
    method: 'GET',
    path: '/',
    priority,
    outcome: 'passed',
    attempts: 1,
    ...overrides
  }
}

export function aTier(
  priority: Priority,
  endpoints: readonly EndpointResult[],
  durationMs = 0
): TierResult {
  return { priority, endpoints, durationMs }
}

/** What `totals` says of these tiers. */
function totalsFor(tiers: readonly TierResult[]): Totals {
  const all = tiers.flatMap(t => t.endpoints)
  const count = (outcome: EndpointResult['outcome']) =>
    all.filter(e => e.outcome === outcome).length
  return {
    total: all.length,
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped')
  }
}

export function aPhase(name: PhaseName, overrides: Partial<PhaseResult> = {}): PhaseResult {
  return { name, status: 'passed', durationMs: 0, detail: '', ...overrides }
}

export function aVerifyEntry(overrides: Partial<VerifyEntry> = {}): VerifyEntry {
  return {
    method: 'GET',
    path: '/',
    priority: 'normal',
    state: 'cached',
    evidence: '',
    ...overrides
  }
}

/** A verify pass that passed; `cached` and `cachedShare` follow the entries unless given. */
export function aVerify(overrides: Partial<VerifyResult> = {}): VerifyResult {
  const entries = overrides.entries ?? []
  const cached = entries.filter(e => e.state === 'cached').length
  return {
    entries,
    cached,
    cachedShare: entries.length === 0 ? 0 : cached / entries.length,
    passed: true,
    problems: [],
    ...overrides
  }
}

export function aThreshold(overrides: Partial<ThresholdResult> = {}): ThresholdResult {
  return {
    text: 'a >= 1',
    path: 'a',
    op: '>=',
    target: 1,
    rate: false,
    progression: [],
    met: true,
    ...overrides
  }
}

export function aMetrics(overrides: Partial<MetricsResult> = {}): MetricsResult {
  return { path: '/metrics', polls: 1, thresholds: [], met: true, doubts: [], ...overrides }
}

/**
 * The smallest result a finished run can have: passed, nothing warmed, no phases. `totals`
 * follows `tiers` unless given.
 */
export function aResult(overrides: ResultOverrides = {}): FullResult {
  const { settings, ...rest } = overrides
  const tiers = overrides.tiers ?? []
  return {
    schemaVersion: 1,
    tool: { name: 'cache-warm-action', version: '0.0.0' },
    target: 'https://example.com/',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1,
    dryRun: false,
    result: 'passed',
    stepFailed: false,
    failOn: 'critical',
    settings: {
      concurrency: 8,
      timeoutMs: 10_000,
      retries: 2,
      deadlineMs: 600_000,
      apiKeyHeader: 'X-API-Key',
      apiKeySent: false,
      ...settings
    },
    tiers,
    totals: totalsFor(tiers),
    latency: {},
    warnings: [],
    phases: [],
    ...rest
  }
}

const warmed = (path: string, priority: Priority, latencyMs: number): EndpointResult =>
  anEndpoint({ path, priority, status: 200, latencyMs, cache: 'X-Cache: MISS' })

/** A result with something of everything: phases, a failure per kind, thresholds, verify. */
export function sampleResult(overrides: ResultOverrides = {}): FullResult {
  const { settings, ...rest } = overrides
  return aResult({
    tool: { name: 'cache-warm-action', version: '0.1.0' },
    target: 'https://reports.example.workers.dev/',
    startedAt: '2026-11-25T14:00:00.000Z',
    durationMs: 4321,
    result: 'failed',
    stepFailed: true,
    stoppedBy: 'deadline',
    tiers: [
      aTier(
        'critical',
        [
          warmed('/api/v1/reports/pre-market', 'critical', 240),
          anEndpoint({
            source: 'endpoints.critical[1]',
            path: '/api/v1/reports/intraday',
            priority: 'critical',
            outcome: 'failed',
            status: 200,
            latencyMs: 180,
            reason: '200 but the JSON did not match expect: `data` missing',
            cause: 'assertion'
          })
        ],
        250
      ),
      aTier(
        'normal',
        [
          warmed('/api/v1/sentiment/AAPL', 'normal', 150),
          anEndpoint({
            source: 'endpoints.normal[1]',
            path: '/api/v1/sentiment/TSLA|x',
            outcome: 'failed',
            status: 503,
            latencyMs: 12,
            attempts: 3,
            reason:
              'GET /api/v1/sentiment/TSLA|x returned 503 Service Unavailable after 3 attempts',
            cause: 'http-503'
          }),
          anEndpoint({
            source: 'endpoints.normal[2]',
            method: 'POST',
            path: '/api/v1/slow',
            outcome: 'skipped',
            attempts: 0,
            reason: 'not sent: the deadline passed',
            cause: 'deadline'
          })
        ],
        900
      )
    ],
    latency: { coldP50Ms: 150, coldP95Ms: 240 },
    warnings: [
      'GET /api/v1/sentiment/AAPL: not cacheable: it sets a cookie (Set-Cookie), the likely cause'
    ],
    phases: [
      aPhase('wait', { durationMs: 1200, detail: 'version 1.4.2 live after 3 poll(s)' }),
      aPhase('trigger', {
        status: 'warning',
        durationMs: 40,
        detail: 'warm-up route refused (403): the deployment may have warm-up disabled'
      }),
      aPhase('warm', {
        status: 'failed',
        durationMs: 1150,
        detail: '2/5 warmed, 2 failed, 1 skipped'
      }),
      aPhase('verify', { durationMs: 30, detail: '1/2 from cache' }),
      aPhase('metrics', {
        status: 'failed',
        durationMs: 2000,
        detail: '1 threshold(s) not met after 2s: cacheStats.l1Size >= 100'
      })
    ],
    verify: aVerify({
      entries: [
        aVerifyEntry({
          path: '/api/v1/reports/pre-market',
          priority: 'critical',
          status: 200,
          latencyMs: 6,
          evidence: 'X-Cache: HIT'
        }),
        aVerifyEntry({
          path: '/api/v1/sentiment/AAPL',
          status: 200,
          latencyMs: 140,
          state: 'not cacheable',
          evidence: 'CF-Cache-Status: BYPASS',
          note: 'not cacheable: it sets a cookie (Set-Cookie), the likely cause'
        })
      ],
      warmP50Ms: 6,
      warmP95Ms: 140,
      speedup: 25
    }),
    metrics: aMetrics({
      path: '/api/v1/cache/metrics',
      polls: 3,
      met: false,
      thresholds: [
        aThreshold({
          text: 'cacheStats.l1Size >= 100',
          path: 'cacheStats.l1Size',
          target: 100,
          baseline: 0,
          progression: [0, 2, 3],
          final: 3,
          scale: 'number',
          met: false
        }),
        aThreshold({
          text: 'l1Stats.hitRate >= 70%',
          path: 'l1Stats.hitRate',
          target: 0.7,
          rate: true,
          baseline: 0,
          progression: [0, null, 0.78],
          final: 0.78,
          scale: '"NN%" string'
        })
      ],
      hitRate: 0.78,
      cacheSize: 3
    }),
    ...rest,
    settings: { apiKeySent: true, ...settings }
  })
}
