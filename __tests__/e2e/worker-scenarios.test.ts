/**
 * End to end against the example Worker (examples/worker) in workerd: the built action
 * (dist/index.js) run the way a GitHub runner runs it, one scenario per way a real deploy goes
 * wrong. Each describe starts one Worker with its own vars (a fresh isolate: empty L1, L2 and
 * counters) and closes it after; tests inside a describe share that Worker, in order.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { startWorker, type RunningWorker } from '../../scripts/worker.js'
import {
  artifactsContaining,
  cleanUp,
  ensureBuilt,
  runAction,
  type ReportEndpoint,
  type Run
} from '../support/run-action.js'

const KEY = `cwk_${randomBytes(16).toString('hex')}`
const VERSION = '2.3.0'
const WARMUP = '/api/v1/cache/warmup'
const METRICS = '/api/v1/cache/metrics'

/** The Worker's warm-up route fills the three reports and /api/v1/symbols, not the sentiment. */
const REPORTS = ['pre-market', 'intraday', 'end-of-day'].map(r => `/api/v1/reports/${r}`)
const SENTIMENT = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'SPY', 'QQQ'].map(s => `/api/v1/sentiment/${s}`)
const ENDPOINTS = `critical:
  - ${REPORTS[0]}
  - /api/v1/symbols
high:
  - ${REPORTS[1]}
  - ${REPORTS[2]}
normal:
${SENTIMENT.map(p => `  - ${p}`).join('\n')}
`
const PATHS = ENDPOINTS.match(/\/api\/\S+/g) ?? []
const COUNT = PATHS.length
const EXPECT = 'json: {success: true, data: non-empty, real_data: true}'

/** Short poll settings: every scenario's metrics hold (or not) on the first or second poll. */
const POLL = { 'poll-interval': '250ms', 'poll-timeout': '3s' }
/** A refused key: the metrics answer 401 on every poll until poll-timeout, so keep it short. */
const REFUSED_POLL = { 'poll-timeout': '1s' }

/**
 * What a healthy warm of the example reaches, every time: the warm-up route fills 4 routes
 * without counting lookups; the warm pass then makes 4 L1 hits and 6 misses, verify 10 hits,
 * so l1Size = l2Size = 10 and the L1 hit rate is 14/20 = 70 %.
 */
const HEALTHY_THRESHOLDS =
  'cacheStats.l1Size >= 10\ncacheStats.l2Size >= 10\nl1Stats.hitRate >= 65%'

afterEach(cleanUp)
beforeAll(ensureBuilt, 180_000)

/** Starts one Worker for the enclosing describe, closes it after. */
function useWorker(vars: Record<string, string> = {}): () => RunningWorker {
  let worker: RunningWorker | undefined
  beforeAll(async () => {
    worker = await startWorker({ vars: { API_KEY: KEY, VERSION, ...vars } })
  })
  afterAll(async () => {
    await worker?.close()
  })
  return () => {
    if (!worker) throw new Error('the Worker did not start')
    return worker
  }
}

function inputs(worker: RunningWorker, more: Record<string, string | undefined> = {}) {
  return { url: worker.url, 'api-key': KEY, endpoints: ENDPOINTS, expect: EXPECT, ...more }
}

/** Every phase, as a deploy pipeline would configure it. */
function everyPhase(worker: RunningWorker, more: Record<string, string | undefined> = {}) {
  return inputs(worker, {
    'wait-for': '/health',
    'wait-for-version': `version=${VERSION}`,
    'warmup-trigger': `POST ${WARMUP}`,
    'metrics-path': METRICS,
    thresholds: HEALTHY_THRESHOLDS,
    'min-cached': '80%',
    ...POLL,
    ...more
  })
}

const endpoints = (run: Run): ReportEndpoint[] => run.report?.tiers.flatMap(t => t.endpoints) ?? []
const endpoint = (run: Run, p: string) => endpoints(run).find(e => e.path === p)
const phases = (run: Run): Record<string, string> =>
  Object.fromEntries(run.report?.phases?.map(p => [p.name, p.status]) ?? [])
const annotations = (run: Run, kind: 'warning' | 'error'): string[] =>
  run.stdout.split('\n').filter(line => line.startsWith(`::${kind}`))

describe('a healthy deploy (WARMUP_ENABLED=true)', () => {
  const worker = useWorker({ WARMUP_ENABLED: 'true' })

  it('passes every phase, meets the thresholds and reports the speedup', async () => {
    const run = await runAction(everyPhase(worker()))

    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({
      result: 'passed',
      warmed: String(COUNT),
      failed: '0',
      skipped: '0',
      'thresholds-met': 'true',
      'hit-rate': '0.7',
      'cache-size': String(COUNT)
    })
    expect(phases(run)).toEqual({
      wait: 'passed',
      trigger: 'passed',
      warm: 'passed',
      verify: 'passed',
      metrics: 'passed'
    })
    expect(run.report?.wait).toMatchObject({ ready: true, versionSeen: `version="${VERSION}"` })
    expect(run.report?.trigger).toMatchObject({ ok: true, status: 200, method: 'POST' })
    // The warm-up route filled the reports and symbols: the warm pass finds them in cache.
    expect(endpoint(run, REPORTS[0]!)?.cache).toBe('X-Cache: HIT')
    expect(endpoint(run, SENTIMENT[0]!)?.cache).toBe('X-Cache: MISS')
    expect(run.summary).toMatch(
      /`\/api\/v1\/reports\/pre-market` \| 200 \| \d+ms \| 1 \| X-Cache: HIT/
    )
    expect(run.summary).toMatch(
      /`\/api\/v1\/sentiment\/AAPL` \| 200 \| \d+ms \| 1 \| X-Cache: MISS/
    )

    expect(run.report?.verify).toMatchObject({ cached: COUNT, cachedShare: 1, passed: true })
    const cold = Number(run.outputs['cold-p50-ms'])
    const warm = Number(run.outputs['warm-p50-ms'])
    const speedup = Number(run.outputs.speedup)
    // Six of the ten waited 150-300 ms for the simulated upstream; cached answers do not wait.
    expect(cold).toBeGreaterThanOrEqual(100)
    expect(warm).toBeLessThan(cold)
    expect(speedup).toBeGreaterThan(1)
    expect(run.summary).toContain(`${speedup}× faster`)

    const thresholds = run.report?.metrics?.thresholds ?? []
    expect(thresholds.map(t => [t.text, t.baseline, t.final, t.met])).toEqual([
      ['cacheStats.l1Size >= 10', 0, COUNT, true],
      ['cacheStats.l2Size >= 10', 0, COUNT, true],
      ['l1Stats.hitRate >= 65%', 0, 0.7, true]
    ])
    expect(run.report?.metrics?.doubts).toEqual([])
    expect(run.summary).toContain(`Cache warm passed: ${COUNT}/${COUNT} endpoints warmed`)
    expect(artifactsContaining(run, KEY)).toEqual([])
  })

  it('fails on a wrong key, explains the 401, and keeps the key out of every artifact', async () => {
    const wrong = `cwk_${randomBytes(16).toString('hex')}`
    const run = await runAction(everyPhase(worker(), { 'api-key': wrong, ...REFUSED_POLL }))

    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({ result: 'failed', warmed: '0' })
    expect(run.summary).toMatch(/401 \(unauthorized\)/)
    expect(run.summary).toMatch(/key sent in header X-API-Key was refused/)
    expect(endpoint(run, '/api/v1/symbols')?.cause).toBe('http-401')
    expect(run.stdout.split('\n')).toContain(`::add-mask::${wrong}`)
    expect(artifactsContaining(run, wrong)).toEqual([])
    expect(artifactsContaining(run, KEY)).toEqual([])
  })

  it('fails without a key and says none was sent', async () => {
    const run = await runAction(everyPhase(worker(), { 'api-key': undefined, ...REFUSED_POLL }))

    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({ result: 'failed', warmed: '0' })
    expect(run.summary).toMatch(/401 \(unauthorized\): no api-key was given/)
    expect(run.summary).toContain('X-API-Key')
    expect(endpoint(run, REPORTS[0]!)?.cause).toBe('http-401')
    expect(run.stdout).not.toContain('::add-mask::')
    expect(artifactsContaining(run, KEY)).toEqual([])
  })

  it('diagnoses a GET to the POST-only warm-up route, naming POST', async () => {
    const run = await runAction(inputs(worker(), { 'warmup-trigger': `GET ${WARMUP}` }))

    // Not required by default: a warning, and the endpoints still warm.
    expect(run.code).toBe(0)
    expect(phases(run).trigger).toBe('warning')
    expect(run.report?.trigger).toMatchObject({ ok: false, status: 404, method: 'GET' })
    const diagnosis = `warm-up routes usually need POST, set warmup-trigger: POST ${WARMUP}`
    expect(run.report?.trigger?.message).toContain(diagnosis)
    expect(run.report?.trigger?.message).toContain('Cache endpoint not found')
    expect(run.summary).toContain(diagnosis)
    expect(annotations(run, 'warning').join('\n')).toContain(diagnosis)
  })
})

describe('warm-up disabled on the deploy (no WARMUP_ENABLED): 403', () => {
  const worker = useWorker()

  // A 403 cannot be told from a refused key, so it fails the step whether the trigger is
  // required or not; the words say both possibilities.
  it('fails the step even while warmup-trigger-required is false', async () => {
    const run = await runAction(
      inputs(worker(), { 'warmup-trigger': `POST ${WARMUP}`, 'warmup-trigger-required': 'false' })
    )

    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({ result: 'failed', warmed: String(COUNT) })
    expect(phases(run)).toMatchObject({ trigger: 'failed', warm: 'passed' })
    expect(run.report?.trigger).toMatchObject({ ok: false, status: 403, required: false })
    expect(run.summary).toMatch(/returned 403 \(forbidden\)/)
    expect(run.summary).toContain('warm-up is disabled on this deployment')
    expect(run.summary).toContain('WARMUP_ENABLED is not')
  })

  it('fails the step when warmup-trigger-required is true', async () => {
    const run = await runAction(
      inputs(worker(), { 'warmup-trigger': `POST ${WARMUP}`, 'warmup-trigger-required': 'true' })
    )

    expect(run.code).toBe(1)
    expect(run.outputs.result).toBe('failed')
    expect(run.report).toMatchObject({ stepFailed: true })
    expect(phases(run).trigger).toBe('failed')
    expect(run.report?.trigger).toMatchObject({ ok: false, status: 403, required: true })
    expect(run.summary).toMatch(/trigger failed/)
    expect(run.summary).toMatch(/returned 403 \(forbidden\)/)
  })
})

describe('placeholder data (PLACEHOLDER_DATA=true): every status is 200', () => {
  const worker = useWorker({ PLACEHOLDER_DATA: 'true' })

  it('fails on the assertion, naming real_data', async () => {
    const run = await runAction(inputs(worker()))

    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({ result: 'failed', warmed: '0', failed: String(COUNT) })
    for (const e of endpoints(run)) {
      expect(e).toMatchObject({ status: 200, outcome: 'failed', cause: 'assertion' })
      expect(e.reason).toContain('`real_data` was false (expected true)')
    }
    expect(run.summary).toContain('`real_data` was false (expected true)')
  })
})

describe('a route that lost its data (MISSING_DATA_ROUTES): 200 {"success": true}', () => {
  const worker = useWorker({ MISSING_DATA_ROUTES: REPORTS[0]! })

  it('fails on the assertion, naming data', async () => {
    const run = await runAction(inputs(worker()))

    // The route is critical: the step fails.
    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({
      result: 'failed',
      warmed: String(COUNT - 1),
      failed: '1'
    })
    const missing = endpoint(run, REPORTS[0]!)
    expect(missing).toMatchObject({ status: 200, outcome: 'failed', cause: 'assertion' })
    expect(missing?.reason).toMatch(/`data` missing/)
    expect(missing?.reason).toMatch(/`real_data` missing/)
    expect(run.summary).toMatch(/`data` missing/)
  })
})

describe('a route whose upstream is down (FAILING_ROUTES): 503 in the normal tier', () => {
  const failing = '/api/v1/sentiment/TSLA'
  const worker = useWorker({ FAILING_ROUTES: failing })
  const more = { retries: '1' }

  it('is retried, then failed; fail-on critical keeps the step green, result=failed', async () => {
    const run = await runAction(inputs(worker(), { ...more, 'fail-on': 'critical' }))

    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({
      result: 'failed',
      warmed: String(COUNT - 1),
      failed: '1'
    })
    expect(run.report).toMatchObject({ result: 'failed', stepFailed: false })
    expect(endpoint(run, failing)).toMatchObject({
      outcome: 'failed',
      status: 503,
      cause: 'http-503',
      attempts: 2
    })
    expect(endpoint(run, failing)?.reason).toMatch(/503 Service Unavailable after 2 attempts/)
    expect(run.summary).toContain('fail-on is critical')
    expect(annotations(run, 'error')).toEqual([])
  })

  it('fails the step with fail-on any', async () => {
    const run = await runAction(inputs(worker(), { ...more, 'fail-on': 'any' }))

    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({ result: 'failed', failed: '1' })
    expect(run.report).toMatchObject({ result: 'failed', stepFailed: true })
    expect(endpoint(run, failing)).toMatchObject({ cause: 'http-503', attempts: 2 })
  })
})

describe('metrics that report rates as "NN%" strings (PERCENT_STRINGS=true)', () => {
  const worker = useWorker({ PERCENT_STRINGS: 'true' })

  it('evaluates the thresholds on the right scale and says which it read', async () => {
    // Warm: 10 misses; verify: 10 hits. The Worker reports "50%". Read as 50 (not 0.5), the
    // second threshold would fail; read as 0.005, the first would.
    const thresholds = 'l1Stats.hitRate >= 45%\ncacheStats.overallHitRate <= 0.55'
    const run = await runAction(
      inputs(worker(), { 'metrics-path': METRICS, thresholds, 'min-cached': '80%', ...POLL })
    )

    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({
      result: 'passed',
      'thresholds-met': 'true',
      'hit-rate': '0.5'
    })
    expect(
      run.report?.metrics?.thresholds.map(t => [t.text, t.final, t.target, t.met, t.scale])
    ).toEqual([
      ['l1Stats.hitRate >= 45%', 0.5, 0.45, true, '"NN%" string'],
      ['cacheStats.overallHitRate <= 0.55', 0.5, 0.55, true, '"NN%" string']
    ])
    expect(run.summary).toMatch(
      /\| ✅ \| `l1Stats\.hitRate >= 45%` \|.*\| 50 % \| >= 45 % \| "NN%" string \|/
    )
    expect(run.summary).toMatch(
      /\| ✅ \| `cacheStats\.overallHitRate <= 0\.55` \|.*\| 50 % \| <= 55 % \| "NN%" string \|/
    )
  })
})

describe('a rate-limited deploy (RATE_LIMIT_PER_SEC=2): 429 with Retry-After: 1', () => {
  const worker = useWorker({ RATE_LIMIT_PER_SEC: '2' })

  it('waits the 429s out and still warms everything', async () => {
    // Five at once against a limit of two: even split across a second boundary, one second
    // sees three, so at least one 429 every time. Verify is off to keep the test short.
    const five = PATHS.slice(0, 5)
    const run = await runAction(
      inputs(worker(), {
        endpoints: `critical:\n${five.map(p => `  - ${p}`).join('\n')}\n`,
        retries: '4',
        verify: 'false'
      })
    )

    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({ result: 'passed', warmed: '5', failed: '0' })
    const attempts = endpoints(run).map(e => e.attempts)
    expect(Math.max(...attempts)).toBeGreaterThan(1)
    for (const e of endpoints(run)) expect(e).toMatchObject({ outcome: 'passed', status: 200 })
    // A retry waited Retry-After (1 s), not the 250-500 ms first backoff.
    const warm = run.report?.phases?.find(p => p.name === 'warm')
    expect(warm?.durationMs).toBeGreaterThanOrEqual(1000)
  })
})

describe('a warm-up route that inflates the metrics (SELF_INFLATING_WARMUP), routes not cached', () => {
  // The warm-up route reads back its own 20 test entries 500 times, while the data routes'
  // cache is broken (UNCACHED_ROUTES: every request misses and nothing is stored).
  const worker = useWorker({
    WARMUP_ENABLED: 'true',
    SELF_INFLATING_WARMUP: 'true',
    UNCACHED_ROUTES: PATHS.join(',')
  })

  it('meets the hit-rate threshold but fails min-cached, and says the metrics lie', async () => {
    const run = await runAction(
      inputs(worker(), {
        'warmup-trigger': `POST ${WARMUP}`,
        'metrics-path': METRICS,
        thresholds: 'l1Stats.hitRate >= 70%',
        'min-cached': '80%',
        ...POLL
      })
    )

    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({
      result: 'failed',
      warmed: String(COUNT),
      'thresholds-met': 'true'
    })
    expect(Number(run.outputs['hit-rate'])).toBeGreaterThanOrEqual(0.9)
    expect(phases(run)).toMatchObject({
      trigger: 'passed',
      warm: 'passed',
      verify: 'failed',
      metrics: 'warning'
    })
    expect(run.report?.verify).toMatchObject({ cached: 0, passed: false })
    expect(run.report?.verify?.problems.join('\n')).toMatch(
      new RegExp(`min-cached: 0/${COUNT} verified endpoints came from cache \\(0 %\\), below 80 %`)
    )
    expect(run.report?.metrics?.doubts.join('\n')).toMatch(/hit rate rose .* 0\/10 listed/)
    expect(run.summary).toContain('> [!CAUTION]')
    expect(run.summary).toMatch(
      /The metrics look warm for the wrong reason: the hit rate rose \(0 % → 9\d %\) while the verify pass found only 0\/10 listed endpoints served from cache/
    )
    expect(run.summary).toMatch(/\*\*verify\*\*: .*min-cached: 0\/10/)
  })
})
