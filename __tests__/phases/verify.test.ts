import { describe, expect, it } from '@jest/globals'
import type { RawInputs } from '../../src/config/settings.js'
import type { EndpointResult } from '../../src/result.js'
import { classifyCache, verifyPass } from '../../src/phases/verify.js'
import { planTiers, type PlannedEndpoint } from '../../src/warm/plan.js'
import { answer, fakeSend, phaseContext, phaseSettings, type Reply } from '../support/phases.js'
import { anEndpoint } from '../support/results.js'

const MARKERS = [
  { path: 'cached', value: 'true' },
  { path: 'metadata.cacheStatus', value: 'hit' }
]

describe('classifyCache: the cache-header table', () => {
  it.each([
    ['cf-cache-status', 'HIT', 'cached'],
    ['cf-cache-status', 'STALE', 'cached'],
    ['cf-cache-status', 'UPDATING', 'cached'],
    ['cf-cache-status', 'REVALIDATED', 'cached'],
    ['cf-cache-status', 'hit', 'cached'],
    ['cf-cache-status', 'MISS', 'not cached'],
    ['cf-cache-status', 'EXPIRED', 'not cached'],
    ['cf-cache-status', 'BYPASS', 'not cacheable'],
    ['cf-cache-status', 'DYNAMIC', 'not cacheable'],
    ['x-cache', 'HIT', 'cached'],
    ['x-cache', 'Hit from cloudfront', 'cached'],
    ['x-cache', 'TCP_HIT', 'cached'],
    ['x-cache', 'MISS, HIT', 'cached'],
    ['x-cache', 'Miss from cloudfront', 'not cached'],
    ['x-cache', 'TCP_MISS', 'not cached'],
    ['x-cache', 'BYPASS', 'not cacheable']
  ])('%s: %s → %s', (name, value, state) => {
    const shown = name === 'cf-cache-status' ? 'CF-Cache-Status' : 'X-Cache'
    expect(classifyCache(answer(200, { headers: { [name]: value } }), MARKERS)).toEqual({
      state,
      evidence: `${shown}: ${value}`
    })
  })

  it('reads Age above 0 as cached, Age 0 as nothing', () => {
    expect(classifyCache(answer(200, { headers: { age: '12' } }), [])).toEqual({
      state: 'cached',
      evidence: 'Age: 12'
    })
    expect(classifyCache(answer(200, { headers: { age: '0' } }), []).state).toBe('unknown')
  })

  it('says unknown when nothing tells', () => {
    expect(classifyCache(answer(200, { body: { data: [1] } }), MARKERS)).toEqual({
      state: 'unknown',
      evidence: 'no cache header or marker'
    })
    expect(classifyCache(answer(200, { headers: { 'x-cache': 'whatever' } }), MARKERS).state).toBe(
      'unknown'
    )
  })

  it.each([
    [{ cached: true, data: 1 }, 'cached=true'],
    [{ metadata: { cacheStatus: 'HIT' } }, 'metadata.cacheStatus=HIT'],
    [{ metadata: { cacheStatus: 'hit' } }, 'metadata.cacheStatus=hit']
  ])('counts the JSON cache marker in %j', (body, evidence) => {
    expect(classifyCache(answer(200, { body }), MARKERS)).toEqual({ state: 'cached', evidence })
  })

  it('a marker with another value means not cached', () => {
    expect(classifyCache(answer(200, { body: { cached: false } }), MARKERS)).toEqual({
      state: 'not cached',
      evidence: 'cached=false'
    })
  })

  it('a marker saying cached beats a DYNAMIC header (the app cache answered behind the CDN)', () => {
    const res = answer(200, { headers: { 'cf-cache-status': 'DYNAMIC' }, body: { cached: true } })
    expect(classifyCache(res, MARKERS)).toEqual({ state: 'cached', evidence: 'cached=true' })
  })

  it('a HIT header wins over a marker saying otherwise', () => {
    const res = answer(200, { headers: { 'x-cache': 'HIT' }, body: { cached: false } })
    expect(classifyCache(res, MARKERS).state).toBe('cached')
  })

  it('not cacheable outranks a MISS from another layer', () => {
    const res = answer(200, { headers: { 'cf-cache-status': 'BYPASS', 'x-cache': 'MISS' } })
    expect(classifyCache(res, MARKERS)).toEqual({
      state: 'not cacheable',
      evidence: 'CF-Cache-Status: BYPASS'
    })
  })

  it('reads markers only from JSON, and not at all without markers', () => {
    expect(classifyCache(answer(200, { body: 'cached=true' }), MARKERS).state).toBe('unknown')
    expect(classifyCache(answer(200, { body: { cached: true } }), []).state).toBe('unknown')
  })
})

/** What the warm pass said of a planned endpoint: passed on the first attempt, unless told. */
const warmedAs = (e: PlannedEndpoint, more: Partial<EndpointResult> = {}): EndpointResult =>
  anEndpoint({ source: e.source, method: e.method, path: e.path, priority: e.priority, ...more })

async function verify(
  raw: RawInputs,
  route: (path: string) => Reply | undefined,
  outcome: (path: string) => EndpointResult['outcome'] = () => 'passed',
  coldP50Ms?: number
) {
  const settings = phaseSettings({ concurrency: '1', retries: '0', ...raw })
  const planned = planTiers(settings.warm).flatMap(t => t.endpoints)
  const warmed = planned.map(e => warmedAs(e, { outcome: outcome(e.path) }))
  const send = fakeSend((_req, path) => route(path))
  const ctx = phaseContext(settings, send)
  return { result: await verifyPass(planned, warmed, coldP50Ms, ctx), send }
}

describe('verifyPass', () => {
  const ENDPOINTS = '- /hit\n- /miss\n- /cookie\n- /plain'
  const route = (path: string): Reply | undefined =>
    ({
      '/hit': answer(200, { headers: { 'cf-cache-status': 'HIT' }, durationMs: 10 }),
      '/miss': answer(200, { headers: { 'cf-cache-status': 'MISS' }, durationMs: 30 }),
      '/cookie': answer(200, {
        headers: { 'cf-cache-status': 'BYPASS' },
        setCookie: true,
        durationMs: 40
      }),
      '/plain': answer(200, { durationMs: 20 })
    })[path]

  it('re-requests each warmed GET endpoint and says, for each, cached / not cached / unknown', async () => {
    const { result } = await verify({ endpoints: ENDPOINTS }, route, undefined, 200)

    expect(result.entries).toEqual([
      {
        method: 'GET',
        path: '/hit',
        priority: 'normal',
        status: 200,
        latencyMs: 10,
        state: 'cached',
        evidence: 'CF-Cache-Status: HIT'
      },
      {
        method: 'GET',
        path: '/miss',
        priority: 'normal',
        status: 200,
        latencyMs: 30,
        state: 'not cached',
        evidence: 'CF-Cache-Status: MISS'
      },
      {
        method: 'GET',
        path: '/cookie',
        priority: 'normal',
        status: 200,
        latencyMs: 40,
        state: 'not cacheable',
        evidence: 'CF-Cache-Status: BYPASS',
        note: 'not cacheable: it sets a cookie (Set-Cookie), the likely cause'
      },
      {
        method: 'GET',
        path: '/plain',
        priority: 'normal',
        status: 200,
        latencyMs: 20,
        state: 'unknown',
        evidence: 'no cache header or marker'
      }
    ])
    expect(result).toMatchObject({
      cached: 1,
      cachedShare: 0.25,
      warmP50Ms: 20,
      warmP95Ms: 40,
      speedup: 10,
      passed: true,
      problems: []
    })
  })

  it('says not cacheable without blaming a cookie when none was set', async () => {
    const { result } = await verify({ endpoints: '- /dyn' }, () =>
      answer(200, { headers: { 'cf-cache-status': 'DYNAMIC' } })
    )
    expect(result.entries[0]?.note).toBe('not cacheable')
  })

  it('skips endpoints that did not warm, and anything but GET', async () => {
    const { result, send } = await verify(
      { endpoints: '- /ok\n- /broken\n- {path: /write, method: POST}' },
      () => answer(200, { headers: { 'x-cache': 'HIT' } }),
      path => (path === '/broken' ? 'failed' : 'passed')
    )
    expect(send.calls.map(c => `${c.method} ${new URL(c.url).pathname}`)).toEqual(['GET /ok'])
    expect(result.entries.map(e => e.path)).toEqual(['/ok'])
  })

  it('records a verify request that failed as not cached, with the answer', async () => {
    const { result } = await verify({ endpoints: '- /gone' }, () =>
      answer(503, { statusText: 'Service Unavailable' })
    )
    expect(result.entries[0]).toEqual({
      method: 'GET',
      path: '/gone',
      priority: 'normal',
      status: 503,
      state: 'not cached',
      evidence: 'no good answer',
      note: 'verify request: 503 Service Unavailable'
    })
  })

  it('min-cached fails when too few endpoints come from cache, naming those that did not', async () => {
    const { result } = await verify({ endpoints: ENDPOINTS, 'min-cached': '50%' }, route)
    expect(result.passed).toBe(false)
    expect(result.minCached).toBe(0.5)
    expect(result.problems).toEqual([
      'min-cached: 1/4 verified endpoints came from cache (25 %), below 50 %; not cached: /miss (not cached), /cookie (not cacheable), /plain (unknown)'
    ])
  })

  it('min-cached passes at the share exactly', async () => {
    const { result } = await verify({ endpoints: '- /hit\n- /miss', 'min-cached': '0.5' }, route)
    expect(result).toMatchObject({ passed: true, cachedShare: 0.5, problems: [] })
  })

  it('min-cached fails when there was nothing to verify', async () => {
    const { result } = await verify(
      { endpoints: '- /x', 'min-cached': '10%' },
      () => answer(200),
      () => 'failed'
    )
    expect(result.problems).toEqual([
      'min-cached: no GET endpoint warmed, so nothing could be verified'
    ])
  })

  it('max-warm-latency names each endpoint slower than it when warm', async () => {
    const { result } = await verify({ endpoints: ENDPOINTS, 'max-warm-latency': '25ms' }, route)
    expect(result.passed).toBe(false)
    expect(result.maxWarmLatencyMs).toBe(25)
    expect(result.entries.filter(e => e.tooSlow).map(e => e.path)).toEqual(['/miss', '/cookie'])
    expect(result.problems).toEqual([
      'max-warm-latency: 2 endpoint(s) slower than 25ms when warm: /miss 30ms, /cookie 40ms'
    ])
  })

  it('without gates, uncached endpoints do not fail the pass', async () => {
    const { result } = await verify({ endpoints: '- /miss' }, route)
    expect(result).toMatchObject({ passed: true, cached: 0, cachedShare: 0 })
    expect(result.speedup).toBeUndefined()
  })

  it('sends the key, extra headers and version override again', async () => {
    const { send } = await verify(
      { endpoints: '- /hit', 'api-key': 'k-9', 'version-override': 'w="v2"' },
      route
    )
    expect(send.calls[0]?.headers).toMatchObject({
      'X-API-Key': 'k-9',
      'Cloudflare-Workers-Version-Overrides': 'w="v2"'
    })
  })
})

describe('verifyPass when the deadline has passed but its timer has not fired yet', () => {
  it('marks each endpoint not sent instead of crashing the run', async () => {
    const settings = phaseSettings({ endpoints: '- /a\n- /b' })
    const send = fakeSend(() => answer(200, { headers: { 'x-cache': 'HIT' } }))
    const ctx = phaseContext(settings, send)
    // The clock is past the deadline; no signal has aborted (a late timer on a busy runner).
    ctx.clock.advance(settings.run.deadlineMs + 1)
    const planned = planTiers(settings.warm).flatMap(t => t.endpoints)
    const warmed = planned.map(e => warmedAs(e, { latencyMs: 10 }))

    const result = await verifyPass(planned, warmed, 10, ctx)

    expect(send.calls).toEqual([])
    expect(result.entries.map(e => e.note)).toEqual([
      'verify request: not sent: the run was stopped',
      'verify request: not sent: the run was stopped'
    ])
  })
})
