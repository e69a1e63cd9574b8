import { describe, expect, it } from '@jest/globals'
import nock from 'nock'
import type { RawInputs } from '../src/config/settings.js'
import { NetworkError, type HttpRequest } from '../src/http/request.js'
import type { Log } from '../src/log.js'
import { runAll } from '../src/pipeline.js'
import { computeOutputs } from '../src/report/outputs.js'
import { renderSummary } from '../src/report/summary.js'
import { renderText } from '../src/report/text.js'
import { FakeClock } from './support/clock.js'
import { answer, API, fakeSend, phaseSettings, T0, type Reply } from './support/phases.js'

interface DeploymentOptions {
  /** /health answers 503 until then (ms after start). */
  readonly readyAfterMs?: number
  /** /health shows version v2 from then on, v1 before. */
  readonly versionAfterMs?: number
  /** The metrics show the counters as they were this long ago. */
  readonly metricsLagMs?: number
  readonly triggerStatus?: number
  /** Paths answered with CF-Cache-Status: BYPASS and a cookie. */
  readonly uncacheable?: string[]
  /** Extra counters the metrics report (they never move). */
  readonly extra?: Record<string, number>
  readonly metricsStatus?: number
}

/**
 * A fake deployment on the fake clock: cold answers take 200 ms, cached ones 10 ms; the metrics
 * count every data request and can lag behind; /health can be late and show the old version.
 */
function deployment(clock: FakeClock, opts: DeploymentOptions = {}) {
  const cached = new Set<string>()
  const counters = { totalRequests: 0, hits: 0, size: 0 }
  const history: [number, typeof counters][] = [[clock.now(), { ...counters }]]
  const seen: string[] = []
  const send = fakeSend((req: HttpRequest, path: string): Reply | undefined => {
    const at = clock.now() - T0
    seen.push(`${req.method} ${path}`)
    if (path === '/health') {
      if (at < (opts.readyAfterMs ?? 0)) return answer(503)
      return answer(200, {
        body: { status: 'ok', version: at < (opts.versionAfterMs ?? 0) ? 'v1' : 'v2' }
      })
    }
    if (path === '/metrics') {
      if (opts.metricsStatus) return answer(opts.metricsStatus)
      const lagged = history.filter(([t]) => t <= clock.now() - (opts.metricsLagMs ?? 0)).at(-1)![1]
      const rate = lagged.totalRequests ? lagged.hits / lagged.totalRequests : 0
      return answer(200, {
        body: {
          cacheStats: {
            totalRequests: lagged.totalRequests,
            l2Size: lagged.size,
            overallHitRate: rate,
            ...opts.extra
          }
        }
      })
    }
    if (path === '/warmup')
      return answer(opts.triggerStatus ?? 200, { body: { error: 'Warmup disabled' } })
    if (opts.uncacheable?.includes(path)) {
      clock.advance(150)
      return answer(200, {
        headers: { 'cf-cache-status': 'BYPASS' },
        setCookie: true,
        durationMs: 150,
        body: {}
      })
    }
    const hit = cached.has(path)
    counters.totalRequests++
    if (hit) counters.hits++
    else {
      cached.add(path)
      counters.size++
    }
    history.push([clock.now(), { ...counters }])
    const ms = hit ? 10 : 200
    clock.advance(ms)
    return answer(200, {
      headers: { 'cf-cache-status': hit ? 'HIT' : 'MISS' },
      durationMs: ms,
      body: { data: [1] }
    })
  })
  return { send, seen }
}

async function run(raw: RawInputs, opts: DeploymentOptions = {}) {
  const clock = new FakeClock(T0)
  const dep = deployment(clock, opts)
  const settings = phaseSettings({ endpoints: '- /a\n- /b\n- /c', concurrency: '1', ...raw })
  const lines: string[] = []
  const result = await runAll(settings, { clock, send: dep.send, log: line => lines.push(line) })
  return {
    result,
    clock,
    seen: dep.seen,
    send: dep.send,
    lines,
    summary: renderSummary(result),
    outputs: computeOutputs(result, '/tmp/r.json')
  }
}

const FULL: RawInputs = {
  'wait-for': '/health',
  'wait-for-version': 'version=v2',
  'warmup-trigger': '/warmup',
  'metrics-path': '/metrics',
  'min-hit-rate': '40%',
  'min-cache-size': '3',
  'poll-interval': '1s',
  'poll-timeout': '30s',
  'version-override': 'api="v2-id"'
}

describe('runAll', () => {
  it('runs wait → baseline → trigger → warm → verify → metrics, waits for lagging metrics, and passes', async () => {
    const { result, seen, send, clock, summary, outputs } = await run(FULL, {
      readyAfterMs: 2000,
      versionAfterMs: 4000,
      metricsLagMs: 3000
    })

    const order = seen.filter((s, i) => seen[i - 1] !== s)
    expect(order).toEqual([
      'GET /health',
      'GET /metrics',
      'POST /warmup',
      'GET /a',
      'GET /b',
      'GET /c',
      'GET /a',
      'GET /b',
      'GET /c',
      'GET /metrics'
    ])
    expect(seen.filter(s => s === 'GET /health')).toHaveLength(5)
    expect(result.phases?.map(p => [p.name, p.status])).toEqual([
      ['wait', 'passed'],
      ['trigger', 'passed'],
      ['warm', 'passed'],
      ['verify', 'passed'],
      ['metrics', 'passed']
    ])
    expect(result).toMatchObject({ result: 'passed', stepFailed: false, warnings: [] })
    expect(result.wait).toMatchObject({ ready: true, polls: 5, versionSeen: 'version="v2"' })
    expect(result.verify).toMatchObject({ cached: 3, cachedShare: 1, warmP50Ms: 10, speedup: 20 })
    const m = result.metrics!
    expect(m.met).toBe(true)
    expect(m.polls).toBeGreaterThan(1)
    expect(m.thresholds[0]).toMatchObject({
      baseline: 0,
      final: 0.5,
      met: true,
      scale: '0-1 fraction'
    })
    expect(m.thresholds[0]!.progression.at(0)).toBe(0)
    expect(m.thresholds[1]).toMatchObject({ baseline: 0, final: 3, target: 3, met: true })
    // Every request carried the version override.
    for (const req of send.calls)
      expect(req.headers['Cloudflare-Workers-Version-Overrides']).toBe('api="v2-id"')
    // The metrics answered only once the lag had passed: about 3 s after the warm.
    expect(clock.now() - T0).toBeGreaterThanOrEqual(4000 + 600 + 3000)

    expect(outputs).toMatchObject({
      result: 'passed',
      'warm-p50-ms': '10',
      'warm-p95-ms': '10',
      speedup: '20',
      'hit-rate': '0.5',
      'cache-size': '3',
      'thresholds-met': 'true'
    })
    expect(summary).toContain('| ✅ wait |')
    expect(summary).toContain('version v2 live after 5 poll(s)')
    expect(summary).toMatch(
      /\| ✅ \| `cacheStats\.overallHitRate >= 40%` \| 0 % \| 0 % → .*50 % \| 50 % \| >= 40 % \| 0-1 fraction \|/
    )
    expect(summary).toMatch(
      /\| ✅ \| `cacheStats\.l2Size >= 3` \| 0 \| 0 → .*3 \| 3 \| >= 3 \| number \|/
    )
    expect(summary).toContain('### Verify · 3/3 from cache · warm p50 10ms · p95 10ms · 20× faster')
    expect(renderText(result)).toMatch(
      /met {5}cacheStats\.overallHitRate >= 40%: 0 % → .*50 % \(baseline 0 %, read as 0-1 fraction\)/
    )
  })

  it('fails after poll-timeout with an unreachable threshold, showing it and its last value', async () => {
    const { result, clock, summary, outputs } = await run({
      'metrics-path': '/metrics',
      thresholds: 'cacheStats.l2Size >= 1000',
      'poll-interval': '500ms',
      'poll-timeout': '2s'
    })

    const metricsPhase = result.phases?.find(p => p.name === 'metrics')
    expect(metricsPhase).toMatchObject({ status: 'failed', durationMs: 2000 })
    expect(metricsPhase?.detail).toBe(
      '1 threshold(s) not met after 2s: cacheStats.l2Size >= 1000 (last 3)'
    )
    expect(result).toMatchObject({ result: 'failed', stepFailed: true })
    expect(result.metrics?.thresholds[0]).toMatchObject({
      final: 3,
      met: false,
      progression: [3, 3, 3, 3, 3]
    })
    // Warm 3 × 200 ms, verify 3 × 10 ms, then exactly the poll-timeout.
    expect(clock.now() - T0).toBe(600 + 30 + 2000)
    expect(summary).toContain(
      '| ❌ | `cacheStats.l2Size >= 1000` | 0 | 3 → 3 → 3 → 3 → 3 | 3 | >= 1000 | number |'
    )
    expect(summary).toContain(
      '| ❌ metrics | 2s | 1 threshold(s) not met after 2s: cacheStats.l2Size >= 1000 (last 3) |'
    )
    expect(outputs['thresholds-met']).toBe('false')
  })

  it('stays green with fail-on never, while result says failed', async () => {
    const { result } = await run({
      'metrics-path': '/metrics',
      thresholds: 'cacheStats.l2Size >= 1000',
      'poll-timeout': '1s',
      'fail-on': 'never'
    })
    expect(result).toMatchObject({ result: 'failed', stepFailed: false })
  })

  it('fails at once on a missing metrics field, listing the fields there are', async () => {
    const { result, clock, summary } = await run({
      'metrics-path': '/metrics',
      thresholds: 'cacheStats.l1Size >= 3',
      'poll-timeout': '1m'
    })

    expect(result.metrics).toMatchObject({ polls: 1, met: false })
    expect(result.metrics?.error).toMatch(
      /^metrics field cacheStats\.l1Size is missing from \/metrics; fields there: cacheStats\.l2Size, /
    )
    expect(result.phases?.find(p => p.name === 'metrics')?.status).toBe('failed')
    expect(clock.now() - T0).toBe(630)
    expect(summary).toContain(
      '**metrics field cacheStats.l1Size is missing from /metrics; fields there: cacheStats.l2Size, '
    )
  })

  it('fails after poll-timeout when the metrics never answer well, with the last answer', async () => {
    const { result } = await run(
      {
        'metrics-path': '/metrics',
        'min-hit-rate': '0.5',
        'poll-timeout': '10s',
        'poll-interval': '5s',
        'api-key': 'k'
      },
      { metricsStatus: 503 }
    )
    expect(result.metrics?.error).toBe(
      'no good answer from /metrics in 10s (3 poll(s)): last answer 503'
    )
    expect(result.stepFailed).toBe(true)
  })

  describe('a key the metrics endpoint refuses (401/403) fails the run, and is not polled', () => {
    it.each(['critical', 'any'])(
      'fails the step under fail-on %s when the baseline read is refused, polling no more',
      async failOn => {
        const { result, seen, clock, summary } = await run(
          {
            'metrics-path': '/metrics',
            'min-hit-rate': '40%',
            'poll-timeout': '2m',
            'api-key': 'k-secret-9',
            'fail-on': failOn
          },
          { metricsStatus: 401 }
        )

        expect(seen.filter(s => s === 'GET /metrics')).toHaveLength(1)
        expect(clock.now() - T0).toBeLessThan(1000)
        expect(result).toMatchObject({ result: 'failed', stepFailed: true })
        expect(result.phases?.find(p => p.name === 'metrics')).toMatchObject({ status: 'failed' })
        expect(result.metrics).toMatchObject({ keyRefused: true, polls: 0 })
        expect(result.metrics?.error).toBe(
          'the baseline read was refused: GET /metrics returned 401 (unauthorized): the key sent in header X-API-Key was refused; check the api-key secret and api-key-header; not polled (the key would only be refused again)'
        )
        expect(summary).toContain('the key sent in header X-API-Key was refused')
        expect(JSON.stringify(result)).not.toContain('k-secret-9')
      }
    )

    it('keeps the step green under fail-on never, while result says failed', async () => {
      const { result } = await run(
        { 'metrics-path': '/metrics', 'min-hit-rate': '40%', 'fail-on': 'never' },
        { metricsStatus: 403 }
      )
      expect(result).toMatchObject({ result: 'failed', stepFailed: false })
      expect(result.phases?.find(p => p.name === 'metrics')?.status).toBe('failed')
    })

    it('fails even without thresholds, where any other bad answer is only a warning', async () => {
      const { result } = await run({ 'metrics-path': '/metrics' }, { metricsStatus: 403 })
      expect(result.phases?.find(p => p.name === 'metrics')).toMatchObject({
        status: 'failed',
        detail: expect.stringMatching(/returned 403 \(forbidden\): no api-key was given/)
      })
      expect(result).toMatchObject({ result: 'failed', stepFailed: true })
    })

    it('hostile: a key refused after a good baseline stops the polls at once', async () => {
      const clock = new FakeClock(T0)
      let metricsAsked = 0
      const send = fakeSend((_req, path): Reply | undefined => {
        if (path === '/a') return answer(200, { body: { data: [1] } })
        if (path !== '/metrics') return undefined
        metricsAsked++
        return metricsAsked === 1
          ? answer(200, { body: { cacheStats: { l2Size: 0, overallHitRate: 0 } } })
          : answer(401)
      })
      const settings = phaseSettings({
        'metrics-path': '/metrics',
        'min-cache-size': '1',
        'poll-timeout': '5m',
        verify: 'false'
      })

      const result = await runAll(settings, { clock, send })

      expect(metricsAsked).toBe(2)
      expect(clock.now() - T0).toBeLessThan(1000)
      expect(result.metrics).toMatchObject({ keyRefused: true, polls: 1 })
      expect(result).toMatchObject({ result: 'failed', stepFailed: true })
    })

    it('a gate-only job (no endpoints) fails at once on a refused key', async () => {
      const clock = new FakeClock(T0)
      const send = fakeSend((_req, path) => (path === '/metrics' ? answer(401) : undefined))
      const settings = phaseSettings({
        endpoints: '',
        'metrics-path': '/metrics',
        'min-cache-size': '1',
        'poll-timeout': '5m'
      })

      const result = await runAll(settings, { clock, send })

      expect(send.calls).toHaveLength(1)
      expect(result.phases?.map(p => [p.name, p.status])).toEqual([
        ['warm', 'skipped'],
        ['metrics', 'failed']
      ])
      expect(result).toMatchObject({ result: 'failed', stepFailed: true })
    })
  })

  it('without thresholds reads the metrics once for the outputs, and a failure is only a warning', async () => {
    const good = await run({ 'metrics-path': '/metrics' })
    expect(good.result.phases?.find(p => p.name === 'metrics')).toMatchObject({
      status: 'passed',
      detail: 'read once (no thresholds set), hit rate 50 %'
    })
    expect(good.outputs).toMatchObject({
      'hit-rate': '0.5',
      'cache-size': '3',
      'thresholds-met': ''
    })

    const bad = await run({ 'metrics-path': '/metrics' }, { metricsStatus: 500 })
    expect(bad.result.phases?.find(p => p.name === 'metrics')?.status).toBe('warning')
    expect(bad.result).toMatchObject({ result: 'passed', stepFailed: false })
  })

  it('does not warm when the deployment never becomes ready, and says so', async () => {
    const { result, seen, summary } = await run(
      {
        'wait-for': '/health',
        'wait-timeout': '10s',
        'poll-interval': '5s',
        'metrics-path': '/metrics',
        'min-hit-rate': '1%'
      },
      { readyAfterMs: 60_000 }
    )

    expect(seen).toEqual(['GET /health', 'GET /health', 'GET /health'])
    expect(result.wait?.message).toBe(
      `deployment at ${API}/health not ready after 10s: last answer 503`
    )
    expect(result.phases).toEqual([expect.objectContaining({ name: 'wait', status: 'failed' })])
    expect(result).toMatchObject({
      result: 'failed',
      stepFailed: true,
      totals: { total: 3, skipped: 3 }
    })
    expect(result.tiers[0]?.endpoints[0]).toMatchObject({
      outcome: 'skipped',
      reason: 'not sent: the deployment was not ready',
      cause: 'not-ready'
    })
    expect(summary).toContain(`not ready after 10s: last answer 503`)
  })

  it('warns and goes on when an optional warm-up trigger is not found', async () => {
    const { result, summary } = await run({ 'warmup-trigger': '/warmup' }, { triggerStatus: 404 })

    expect(result.phases?.find(p => p.name === 'trigger')).toMatchObject({ status: 'warning' })
    expect(result).toMatchObject({ result: 'passed', stepFailed: false })
    expect(result.warnings).toEqual([
      'warm-up route not found (404): POST /warmup; check the path, and that this deployment has a warm-up route (server said: "Warmup disabled")'
    ])
    expect(summary).toMatch(
      /\| ⚠️ trigger \| [^|]+ \| warm-up route not found \(404\): POST \/warmup/
    )
    // Said once, in its phase row, not again as a callout.
    expect(summary.split('warm-up route not found (404)').length - 1).toBe(1)
  })

  describe('a key the warm-up trigger refuses (401/403) fails the run, required or not', () => {
    it.each([
      [401, 'critical', 'false'],
      [403, 'critical', 'false'],
      [401, 'any', 'false'],
      [403, 'any', 'true']
    ])(
      '%d under fail-on %s (warmup-trigger-required %s): the step fails, and still warms',
      async (status, failOn, required) => {
        const { result, seen, summary } = await run(
          {
            'warmup-trigger': '/warmup',
            'warmup-trigger-required': required,
            'fail-on': failOn,
            'api-key': 'k-secret-7'
          },
          { triggerStatus: status }
        )

        expect(result.phases?.find(p => p.name === 'trigger')).toMatchObject({ status: 'failed' })
        expect(result).toMatchObject({ result: 'failed', stepFailed: true })
        expect(result.trigger).toMatchObject({ ok: false, status, keyRefused: true })
        expect(result.trigger?.message).toMatch(
          new RegExp(
            `^warm-up trigger failed: POST /warmup returned ${status} \\((unauthorized|forbidden)\\): the key sent in header X-API-Key was refused`
          )
        )
        // A failure, not a warning: said once, in the phase table.
        expect(result.warnings).toEqual([])
        expect(summary).toContain('the key sent in header X-API-Key was refused')
        expect(JSON.stringify(result)).not.toContain('k-secret-7')
        expect(seen).toContain('GET /a')
      }
    )

    it('keeps the step green under fail-on never, while result says failed', async () => {
      const { result } = await run(
        { 'warmup-trigger': '/warmup', 'fail-on': 'never' },
        { triggerStatus: 401 }
      )
      expect(result).toMatchObject({ result: 'failed', stepFailed: false })
      expect(result.phases?.find(p => p.name === 'trigger')?.status).toBe('failed')
    })
  })

  it('fails the step when a required warm-up trigger is refused, but still warms', async () => {
    const { result, seen } = await run(
      { 'warmup-trigger': '/warmup', 'warmup-trigger-required': 'true' },
      { triggerStatus: 404 }
    )

    expect(result.phases?.find(p => p.name === 'trigger')).toMatchObject({ status: 'failed' })
    expect(result.trigger?.message).toMatch(/^warm-up route not found \(404\): POST \/warmup/)
    expect(result).toMatchObject({ result: 'failed', stepFailed: true })
    expect(seen).toContain('GET /a')
  })

  it('warns about an endpoint that cannot be cached, naming it and the cookie', async () => {
    const { result, summary } = await run({}, { uncacheable: ['/b'] })

    expect(result.warnings).toEqual([
      'GET /b: not cacheable: it sets a cookie (Set-Cookie), the likely cause'
    ])
    expect(result.phases?.find(p => p.name === 'verify')).toMatchObject({
      status: 'passed',
      detail: expect.stringMatching(/^2\/3 from cache/)
    })
    expect(summary).toContain(
      '| ❌ | GET | `/b` | 200 | 150ms | not cacheable | CF-Cache-Status: BYPASS · not cacheable: it sets a cookie (Set-Cookie), the likely cause |'
    )
  })

  it('fails the step on min-cached, and on max-warm-latency', async () => {
    const share = await run({ 'min-cached': '100%' }, { uncacheable: ['/b'] })
    expect(share.result.phases?.find(p => p.name === 'verify')?.status).toBe('failed')
    expect(share.result.stepFailed).toBe(true)
    expect(share.summary).toContain(
      '- ❌ min-cached: 2/3 verified endpoints came from cache (67 %), below 100 %; not cached: /b (not cacheable)'
    )

    const slow = await run({ 'max-warm-latency': '100ms' }, { uncacheable: ['/c'] })
    expect(slow.result.stepFailed).toBe(true)
    expect(slow.result.verify?.problems).toEqual([
      'max-warm-latency: 1 endpoint(s) slower than 100ms when warm: /c 150ms'
    ])
  })

  it('marks metrics that look warm for the wrong reason, in the phase and the summary', async () => {
    const { result, summary } = await run({ 'metrics-path': '/metrics', 'min-cache-size': '0' })

    expect(result.metrics?.doubts).toEqual([
      'every threshold already held before warming began (the baseline), so meeting them proves nothing about this warm'
    ])
    expect(result.phases?.find(p => p.name === 'metrics')?.status).toBe('warning')
    // Shown once, as a caution of its own, not again among the notes.
    expect(result.warnings).not.toContain(result.metrics?.doubts[0])
    expect(summary.split('every threshold already held').length - 1).toBe(1)
    expect(summary).toContain(
      '> The metrics look warm for the wrong reason: every threshold already held'
    )
  })

  it('skips verify when verify is false', async () => {
    const { result, seen } = await run({ verify: 'false' })
    expect(result.verify).toBeUndefined()
    expect(seen).toEqual(['GET /a', 'GET /b', 'GET /c'])
    expect(result.phases?.map(p => p.name)).toEqual(['warm'])
  })
})

describe('runAll over real HTTP (nock)', () => {
  it('sends the version override and the key with every request of every phase', async () => {
    const headers = {
      reqheaders: { 'cloudflare-workers-version-overrides': 'api="v2"', 'x-api-key': 'k-1' }
    }
    nock(API, headers).get('/health').reply(200, { version: 'v2' })
    nock(API, headers)
      .get('/metrics')
      .reply(200, { cacheStats: { l2Size: 0, overallHitRate: 0 } })
    nock(API, headers)
      .get('/metrics')
      .reply(200, { cacheStats: { l2Size: 1, overallHitRate: 0.5 } })
    nock(API, headers).post('/warmup').reply(200, {})
    nock(API, headers)
      .get('/a')
      .times(2)
      .reply(200, { data: [1] }, { 'CF-Cache-Status': 'HIT' })

    const settings = phaseSettings({
      'api-key': 'k-1',
      'version-override': 'api="v2"',
      'wait-for': '/health',
      'wait-for-version': 'version=v2',
      'warmup-trigger': '/warmup',
      'metrics-path': '/metrics'
    })
    const result = await runAll(settings, { clock: new FakeClock(T0) })

    expect(result.phases?.map(p => p.status)).toEqual([
      'passed',
      'passed',
      'passed',
      'passed',
      'passed'
    ])
    expect(result.verify?.entries[0]?.evidence).toBe('CF-Cache-Status: HIT')
  })

  it('does not poll a refused key until poll-timeout: verify and metrics are skipped, saying why', async () => {
    const clock = new FakeClock(T0)
    const seen: string[] = []
    const send = fakeSend((req: HttpRequest, path: string): Reply => {
      seen.push(path)
      return answer(401, { body: { error: 'Invalid API key' } })
    })
    const settings = phaseSettings({
      endpoints: 'critical: [/a]\nnormal: [/b]',
      'metrics-path': '/metrics',
      'min-cache-size': '1',
      'poll-timeout': '2m'
    })

    const result = await runAll(settings, { clock, send })

    expect(seen).toEqual(['/metrics', '/a'])
    expect(clock.now() - T0).toBeLessThan(1000)
    // The baseline read was refused too: the metrics phase failed on it, and was not polled.
    expect(result.phases?.map(p => [p.name, p.status])).toEqual([
      ['warm', 'failed'],
      ['verify', 'skipped'],
      ['metrics', 'failed']
    ])
    expect(result.phases?.[1]?.detail).toContain('skipped: every critical endpoint answered 401')
    expect(result.phases?.[2]?.detail).toMatch(
      /^the baseline read was refused: GET \/metrics returned 401 \(unauthorized\)/
    )
    expect(result.stepFailed).toBe(true)
  })

  it('skips metrics, saying why, when only the warmed endpoints refused the key', async () => {
    const clock = new FakeClock(T0)
    const seen: string[] = []
    const send = fakeSend((req: HttpRequest, path: string): Reply => {
      seen.push(path)
      return path === '/metrics'
        ? answer(200, { body: { cacheStats: { l2Size: 0 } } })
        : answer(401, { body: { error: 'Invalid API key' } })
    })
    const settings = phaseSettings({
      endpoints: 'critical: [/a]\nnormal: [/b]',
      'metrics-path': '/metrics',
      'min-cache-size': '1',
      'poll-timeout': '2m'
    })

    const result = await runAll(settings, { clock, send })

    expect(seen).toEqual(['/metrics', '/a'])
    expect(result.phases?.map(p => [p.name, p.status])).toEqual([
      ['warm', 'failed'],
      ['verify', 'skipped'],
      ['metrics', 'skipped']
    ])
    expect(result.phases?.[2]?.detail).toContain('skipped: every critical endpoint answered 401')
    expect(result.stepFailed).toBe(true)
  })

  it('is never passed when every listed endpoint ends skipped (nothing sent)', async () => {
    for (const failOn of ['critical', 'any', 'never'] as const) {
      const clock = new FakeClock(T0)
      const cancel = new AbortController()
      // The run is cancelled while the trigger answers: no endpoint is sent.
      const send = fakeSend((_req, path) => {
        if (path !== '/warmup') return undefined
        cancel.abort()
        return answer(200)
      })
      const settings = phaseSettings({
        endpoints: '- /a\n- /b',
        'warmup-trigger': '/warmup',
        'fail-on': failOn
      })
      const result = await runAll(settings, { clock, send, signal: cancel.signal })
      expect(send.calls.map(c => new URL(c.url).pathname)).toEqual(['/warmup'])
      expect(result.totals).toMatchObject({ total: 2, skipped: 2, passed: 0 })
      expect(result.result).toBe('failed')
      expect(result.stepFailed).toBe(failOn !== 'never')
    }
  })

  it('warns, without min-cached, when endpoints still miss the cache when asked again', async () => {
    const clock = new FakeClock(T0)
    const send = fakeSend((): Reply =>
      answer(200, { headers: { 'x-cache': 'MISS' }, body: { data: [1] } })
    )
    const settings = phaseSettings({ endpoints: '- /a\n- /b' })

    const result = await runAll(settings, { clock, send })

    expect(result.result).toBe('passed')
    expect(result.phases?.find(p => p.name === 'verify')?.status).toBe('warning')
    expect(result.warnings).toContain(
      '2/2 endpoint(s) were still not served from cache when asked again (/a: X-Cache: MISS, /b: X-Cache: MISS); set min-cached to fail the step on it'
    )
  })

  describe('a url written without a scheme', () => {
    const tlsFails = () =>
      fakeSend((): Reply => new NetworkError('tls', 'TLS handshake failed (wrong version number)'))

    it('says https:// was a guess when the TLS handshake fails', async () => {
      const settings = phaseSettings({ url: 'api.example.com', 'wait-for': '/health' })
      const result = await runAll(settings, { clock: new FakeClock(T0), send: tlsFails() })
      expect(result.result).toBe('failed')
      expect(result.warnings).toContain(
        'url has no scheme, so https:// was added, and the TLS handshake with api.example.com failed; if the deployment serves plain HTTP, write http:// in url'
      )
    })

    it('says it for a failed warm, too, and never when the user wrote https://', async () => {
      const guessed = await runAll(phaseSettings({ url: 'api.example.com' }), {
        clock: new FakeClock(T0),
        send: tlsFails()
      })
      expect(guessed.warnings.some(w => w.startsWith('url has no scheme'))).toBe(true)
      const written = await runAll(phaseSettings({ url: 'https://api.example.com' }), {
        clock: new FakeClock(T0),
        send: tlsFails()
      })
      expect(written.warnings.some(w => w.startsWith('url has no scheme'))).toBe(false)
    })

    it('a loopback host gets http://, so a local wrangler dev is reached at once', async () => {
      const settings = phaseSettings({ url: 'localhost:8788' })
      expect(settings.deployment.origin).toBe('http://localhost:8788')
      expect(settings.deployment.httpsAdded).toBeUndefined()
    })
  })
})

/** A Log that records the step log as the runner reads it. */
function stepLog(): { log: Log; lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    log: {
      line: t => lines.push(t),
      group: t => lines.push(`::group::${t}`),
      endGroup: () => lines.push('::endgroup::'),
      result: t => lines.push(t)
    }
  }
}

/** Every group opened is closed before the next opens, and by the end. */
function expectGroupsBalanced(lines: readonly string[]): void {
  let open = false
  for (const line of lines) {
    if (line.startsWith('::group::')) {
      expect({ line, nested: open }).toEqual({ line, nested: false })
      open = true
    } else if (line === '::endgroup::') {
      expect({ line, open }).toEqual({ line, open: true })
      open = false
    }
  }
  expect(open).toBe(false)
}

describe('runAll: the step log', () => {
  it('gives each phase and each tier its own group, with its result outside it, in order', async () => {
    const clock = new FakeClock(T0)
    const dep = deployment(clock, { readyAfterMs: 2000, versionAfterMs: 4000 })
    const settings = phaseSettings({
      ...FULL,
      endpoints: 'critical: [/a]\nnormal: [/b, /c]',
      concurrency: '1'
    })
    const { log, lines } = stepLog()

    const result = await runAll(settings, { clock, send: dep.send, log })

    expect(result.result).toBe('passed')
    expectGroupsBalanced(lines)
    const outside: string[] = []
    let inGroup = false
    for (const l of lines) {
      if (l.startsWith('::group::')) inGroup = true
      else if (l === '::endgroup::') inGroup = false
      else if (!inGroup) outside.push(l)
    }
    expect(lines.filter(l => l.startsWith('::group::'))).toEqual([
      '::group::Waiting for /health to show version=v2',
      '::group::Calling the warm-up trigger POST /warmup',
      '::group::Warming critical: 1 endpoint(s)',
      '::group::Warming normal: 2 endpoint(s)',
      '::group::Verifying: each GET endpoint once more',
      expect.stringMatching(/^::group::Polling \/metrics until /)
    ])
    expect(outside).toEqual([
      expect.stringMatching(/^wait passed in \d+(\.\d)?s: /),
      'Metrics baseline: read',
      expect.stringMatching(/^trigger passed in \d+ms: /),
      'critical: 1/1 warmed in 200ms, p50 200ms',
      'normal: 2/2 warmed in 400ms, p50 200ms',
      expect.stringMatching(/^verify passed in \d+ms: 3\/3 from cache/),
      expect.stringMatching(/^metrics passed in .*: 2\/2 thresholds met/)
    ])
    expect(lines).toContain('  ok   GET /b 200 200ms')
  })

  it('closes the open group when the run is cancelled in the middle of a phase', async () => {
    const clock = new FakeClock(T0)
    const cancel = new AbortController()
    const send = fakeSend((_req, path) => {
      if (path === '/b') cancel.abort()
      return answer(200, { body: { data: [1] } })
    })
    const settings = phaseSettings({
      endpoints: 'normal: [/a, /b, /c]\nlow: [/d]',
      concurrency: '1'
    })
    const { log, lines } = stepLog()

    const result = await runAll(settings, { clock, send, signal: cancel.signal, log })

    expect(result.stoppedBy).toBe('cancelled')
    expectGroupsBalanced(lines)
    expect(lines.slice(-2)).toEqual([
      'normal: 2/3 warmed in 0ms, 1 skipped, p50 5ms',
      'low: 0/1 warmed, 1 skipped (not sent: the run was cancelled)'
    ])
  })

  it('closes the open group when a phase throws', async () => {
    const send = fakeSend((_req, path) => {
      if (path === '/b') throw new RangeError('Maximum call stack size exceeded')
      return answer(200, { body: { data: [1] } })
    })
    const settings = phaseSettings({ endpoints: '- /a\n- /b', concurrency: '1' })
    const { log, lines } = stepLog()

    await expect(runAll(settings, { clock: new FakeClock(T0), send, log })).rejects.toThrow(
      RangeError
    )

    expect(lines).toEqual(['::group::Warming normal: 2 endpoint(s)', '::endgroup::'])
  })
})
