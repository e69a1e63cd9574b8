import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import nock from 'nock'
import type { RawInputs, Settings } from '../../src/config/settings.js'
import { StoppedError } from '../../src/errors.js'
import { sendFollowing } from '../../src/http/redirect.js'
import { NetworkError } from '../../src/http/request.js'
import { type Send } from '../../src/http/send.js'
import { checkExpect, warmEndpoint, type EndpointContext } from '../../src/warm/endpoint.js'
import { planTiers, type PlannedEndpoint } from '../../src/warm/plan.js'
import { FakeClock } from '../support/clock.js'
import { API, rawAnswer as answer, T0 } from '../support/phases.js'
import { closedPort, json, startServer, type LocalServer } from '../support/server.js'
import { settingsFrom } from '../support/settings.js'

const KEY = 'sekrit-key-123'

function endpointOf(settings: Settings, path: string): PlannedEndpoint {
  const ep = planTiers(settings.warm)
    .flatMap(t => t.endpoints)
    .find(e => e.path === path)
  if (!ep) throw new Error(`no endpoint ${path}`)
  return ep
}

function warmCtx(settings: Settings, clock = new FakeClock(T0), maxBodyBytes = 1024 * 1024) {
  const send: Send = (req, opts) =>
    sendFollowing(req, { ...opts, maxBodyBytes, now: () => clock.now() })
  const ctx: EndpointContext = {
    settings,
    send,
    clock,
    deadlineAt: clock.now() + settings.run.deadlineMs,
    userAgent: 'cache-warm-test'
  }
  return ctx
}

/** Warms the one endpoint of a settings built from `raw` (url defaults to API). */
async function warm(raw: RawInputs, path: string, clock = new FakeClock(T0)) {
  const settings = settingsFrom({ url: API, ...raw })
  return warmEndpoint(endpointOf(settings, path), warmCtx(settings, clock))
}

describe('warmEndpoint', () => {
  it('passes a 2xx and reports status, latency, bytes and cache headers', async () => {
    nock(API, { reqheaders: { 'x-api-key': KEY, 'user-agent': 'cache-warm-test' } })
      .get('/api/v1/reports')
      .reply(200, { data: [1] }, { 'CF-Cache-Status': 'MISS', Age: '0' })

    const r = await warm(
      { endpoints: 'critical: [/api/v1/reports]', 'api-key': KEY },
      '/api/v1/reports'
    )

    expect(r).toMatchObject({
      source: 'endpoints.critical[0]',
      method: 'GET',
      path: '/api/v1/reports',
      priority: 'critical',
      outcome: 'passed',
      status: 200,
      attempts: 1,
      bytes: 12,
      cache: 'CF-Cache-Status: MISS, Age: 0'
    })
    expect(r.reason).toBeUndefined()
  })

  it('sends the body and the endpoint name comes back', async () => {
    nock(API)
      .post('/cache/warmup', { scope: 'all' })
      .matchHeader('content-type', 'application/json')
      .reply(202)

    const r = await warm(
      {
        endpoints: '- {path: /cache/warmup, method: POST, name: Warm all, body: {scope: all}}'
      },
      '/cache/warmup'
    )
    expect(r).toMatchObject({ outcome: 'passed', status: 202, name: 'Warm all' })
  })

  it('retries a 429 after Retry-After: 1 and then passes', async () => {
    nock(API).get('/a').reply(429, '', { 'Retry-After': '1' }).get('/a').reply(200, { ok: true })
    const clock = new FakeClock(T0)

    const r = await warm({ endpoints: '- /a' }, '/a', clock)

    expect(clock.sleeps).toEqual([1000])
    expect(r).toMatchObject({ outcome: 'passed', attempts: 2 })
  })

  it('reports a 5xx that never mends with its attempt count', async () => {
    nock(API).get('/a').times(3).reply(503, { error: 'upstream busy' })

    const r = await warm({ endpoints: '- /a', retries: '2' }, '/a')

    expect(r).toMatchObject({ outcome: 'failed', status: 503, attempts: 3, cause: 'http-503' })
    expect(r.reason).toBe(
      'GET /a returned 503 Service Unavailable after 3 attempts (server said: "upstream busy")'
    )
  })

  it('does not retry a 400', async () => {
    nock(API).get('/a').once().reply(400, { message: 'bad query' })

    const r = await warm({ endpoints: '- /a', retries: '3' }, '/a')

    expect(r).toMatchObject({ outcome: 'failed', status: 400, attempts: 1, cause: 'http-400' })
  })

  it('says when Retry-After is beyond the deadline and gives up at once', async () => {
    nock(API).get('/a').once().reply(429, '', { 'Retry-After': '3600' })
    const clock = new FakeClock(T0)

    const r = await warm({ endpoints: '- /a', deadline: '1m' }, '/a', clock)

    expect(clock.sleeps).toEqual([])
    expect(r.outcome).toBe('failed')
    expect(r.attempts).toBe(1)
    expect(r.reason).toContain('returned 429 (rate limited) after 1 attempt; Retry-After: 3600')
    expect(r.reason).toContain(
      'the server asked to wait 1h (Retry-After), past the deadline (1m left)'
    )
  })

  it('does not hold a worker for a Retry-After longer than a minute, even inside the deadline', async () => {
    nock(API).get('/a').once().reply(429, '', { 'Retry-After': '300' })
    const clock = new FakeClock(T0)

    const r = await warm({ endpoints: '- /a', deadline: '10m' }, '/a', clock)

    expect(clock.sleeps).toEqual([])
    expect(r.attempts).toBe(1)
    expect(r.reason).toContain(
      'the server asked to wait 5m (Retry-After), more than the 1m the action waits'
    )
  })

  it('retries connection refused, then says so with the attempt count', async () => {
    const port = await closedPort()
    const clock = new FakeClock(T0)

    const r = await warm(
      { url: `http://127.0.0.1:${port}`, endpoints: '- /a', retries: '2' },
      '/a',
      clock
    )

    expect(clock.sleeps).toHaveLength(2)
    expect(r).toMatchObject({ outcome: 'failed', attempts: 3, cause: 'refused' })
    expect(r.reason).toBe('GET /a connection refused (ECONNREFUSED), after 3 attempts')
    expect(r.status).toBeUndefined()
  })

  it('names the key header, never the key, when a key is refused', async () => {
    nock(API).get('/a').reply(401, { error: 'invalid api key' })

    const r = await warm({ endpoints: '- /a', 'api-key': KEY }, '/a')

    expect(r.cause).toBe('http-401')
    expect(r.reason).toContain('the key sent in header X-API-Key was refused')
    expect(JSON.stringify(r)).not.toContain(KEY)
  })

  it('says no api-key was given on a 403 without a key', async () => {
    nock(API).get('/a').reply(403)

    const r = await warm({ endpoints: '- /a' }, '/a')

    expect(r.cause).toBe('http-403')
    expect(r.reason).toContain('no api-key was given')
  })

  it('suggests POST on a 404 for GET /cache/warmup', async () => {
    nock(API).get('/cache/warmup').reply(404)

    const r = await warm({ endpoints: '- /cache/warmup' }, '/cache/warmup')

    expect(r.reason).toBe('GET /cache/warmup returned 404; this route may need POST')
  })

  it('says to use POST on a 405 with Allow: POST', async () => {
    nock(API).get('/cache/warmup').reply(405, '', { Allow: 'POST' })

    const r = await warm({ endpoints: '- /cache/warmup' }, '/cache/warmup')

    expect(r.reason).toContain('the server allows POST here, set method: POST')
  })

  it.each([
    [
      { real_data: false, data: [1] },
      '{json: {real_data: true}}',
      '`real_data` was false (expected true)'
    ],
    [{ success: true }, '{json: {data: exists}}', '`data` missing'],
    [{ data: [{ price: null }] }, '{json: {data.0.price: not-null}}', '`data.0.price` is null'],
    [{ success: true }, '{json: {success: true, data: non-empty}}', '`data` missing']
  ])('fails %j on %s, naming the path and what was found', async (body, expectText, phrase) => {
    nock(API).get('/a').reply(200, body)

    const r = await warm({ endpoints: '- /a', expect: expectText }, '/a')

    expect(r).toMatchObject({ outcome: 'failed', status: 200, cause: 'assertion' })
    expect(r.reason).toBe(`200 but the JSON did not match expect: ${phrase}`)
  })

  it('says when the answer is not JSON', async () => {
    nock(API).get('/a').reply(200, '<html>Coming soon</html>', { 'Content-Type': 'text/html' })

    const r = await warm({ endpoints: '- /a', expect: '{json: {success: true}}' }, '/a')

    expect(r.reason).toBe(
      '200 but the JSON did not match expect: the answer is not JSON (text/html)'
    )
  })

  it('accepts only the listed statuses when expect.status is given', async () => {
    nock(API).get('/gone').reply(404).get('/ok').reply(200)

    const gone = await warm({ endpoints: '- {path: /gone, expect: {status: [404]}}' }, '/gone')
    const ok = await warm({ endpoints: '- {path: /ok, expect: {status: 204}}' }, '/ok')

    expect(gone.outcome).toBe('passed')
    expect(ok.outcome).toBe('failed')
    expect(ok.reason).toBe(
      "GET /ok returned 200, which the endpoint's expect.status does not accept"
    )
  })

  it('fails a redirect to another host without sending anything there', async () => {
    // evil.example.net has no interceptor: any request to it fails the test.
    nock(API).get('/a').reply(302, '', { Location: 'https://evil.example.net/a' })

    const r = await warm({ endpoints: '- /a', 'api-key': KEY }, '/a')

    expect(r).toMatchObject({ outcome: 'failed', status: 302, cause: 'redirect-other-origin' })
    expect(r.reason).toContain('to https://evil.example.net;')
    expect(r.reason).toContain('key withheld')
  })

  it('is skipped when the deadline has already passed', async () => {
    const settings = settingsFrom({ url: API, endpoints: '- /a' })
    const clock = new FakeClock(T0)
    const ctx = { ...warmCtx(settings, clock), deadlineAt: T0 }

    const r = await warmEndpoint(endpointOf(settings, '/a'), ctx)

    expect(r).toMatchObject({
      outcome: 'skipped',
      attempts: 0,
      cause: 'deadline',
      reason: 'not sent: the deadline passed'
    })
  })

  it('counts the engine’s deadline abort as the deadline even a hair early', async () => {
    const settings = settingsFrom({ url: API, endpoints: '- /a' })
    const controller = new AbortController()
    controller.abort(new StoppedError('deadline'))

    const r = await warmEndpoint(endpointOf(settings, '/a'), {
      ...warmCtx(settings),
      signal: controller.signal
    })

    expect(r).toMatchObject({ outcome: 'skipped', cause: 'deadline' })
  })

  it('says the run was stopped when it was cancelled', async () => {
    const settings = settingsFrom({ url: API, endpoints: '- /a' })

    const r = await warmEndpoint(endpointOf(settings, '/a'), {
      ...warmCtx(settings),
      signal: AbortSignal.abort()
    })

    expect(r).toMatchObject({
      outcome: 'skipped',
      cause: 'cancelled',
      reason: 'not sent: the run was cancelled'
    })
  })
})

describe('warmEndpoint: stopped mid-request', () => {
  const settings = settingsFrom({ url: API, endpoints: '- /a' })
  const abortedSend = (controller: AbortController, reason?: unknown): Send => {
    return async () => {
      controller.abort(reason)
      throw new NetworkError('aborted', 'stopped before the answer came')
    }
  }

  it('fails an endpoint cut off by the deadline, saying so', async () => {
    const controller = new AbortController()
    const r = await warmEndpoint(endpointOf(settings, '/a'), {
      ...warmCtx(settings),
      send: abortedSend(controller, new StoppedError('deadline')),
      signal: controller.signal
    })
    expect(r).toMatchObject({
      outcome: 'failed',
      attempts: 1,
      cause: 'deadline',
      reason: 'the deadline passed before GET /a was answered'
    })
  })

  it('fails an endpoint cut off by cancellation, saying so', async () => {
    const controller = new AbortController()
    const r = await warmEndpoint(endpointOf(settings, '/a'), {
      ...warmCtx(settings),
      send: abortedSend(controller),
      signal: controller.signal
    })
    expect(r).toMatchObject({
      outcome: 'failed',
      cause: 'cancelled',
      reason: 'the run was stopped before GET /a was answered'
    })
  })
})

describe('warmEndpoint (local server)', () => {
  let server: LocalServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('fails JSON checks on a body over the cap with a clear reason, and the request completes', async () => {
    server = await startServer((_req, res) =>
      json(res, 200, { success: true, data: Array.from({ length: 20_000 }, (_, i) => ({ i })) })
    )
    const settings = settingsFrom({
      url: server.origin,
      endpoints: '- /big',
      expect: '{json: {data: non-empty}}'
    })

    const r = await warmEndpoint(
      endpointOf(settings, '/big'),
      warmCtx(settings, new FakeClock(T0), 64 * 1024)
    )

    expect(r).toMatchObject({ outcome: 'failed', status: 200, cause: 'assertion' })
    expect(r.bytes).toBeGreaterThan(64 * 1024)
    expect(r.reason).toBe(
      '200 but the JSON did not match expect: the body is larger than the 64 KiB read for checks, so its JSON cannot be checked'
    )
  })

  it('reports a body that trickles past the timeout as a timeout', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.write('{"data": [')
      const timer = setInterval(() => res.write('1,'), 20)
      res.on('close', () => clearInterval(timer))
    })
    const settings = settingsFrom({
      url: server.origin,
      endpoints: '- /slow',
      timeout: '150ms',
      retries: '0'
    })
    const clock = new FakeClock(T0)
    const ctx: EndpointContext = {
      ...warmCtx(settings, clock),
      // Real time for the request itself; the fake clock only decides retries and the deadline.
      send: (req, opts) => sendFollowing(req, { ...opts, maxBodyBytes: 1024 * 1024 })
    }

    const r = await warmEndpoint(endpointOf(settings, '/slow'), ctx)

    expect(r).toMatchObject({ outcome: 'failed', cause: 'timeout', attempts: 1 })
    expect(r.reason).toBe('GET /slow timed out after 150ms, after 1 attempt')
  })
})

describe('checkExpect', () => {
  const settings = settingsFrom({ url: API, endpoints: '- /a', expect: '{json: {ok: true}}' })
  const ep = endpointOf(settings, '/a')

  it('has nothing to check without JSON assertions', () => {
    const plain = endpointOf(settingsFrom({ url: API, endpoints: '- /a' }), '/a')
    expect(checkExpect(answer(200, {}, 'not json'), plain)).toEqual([])
  })

  it('says an empty body is empty', () => {
    expect(checkExpect(answer(200, { 'content-type': 'application/json' }), ep)).toEqual([
      'the answer is not JSON (application/json, empty body)'
    ])
  })

  it('reads the size of the cap in the right unit', () => {
    const big = { ...answer(200), body: Buffer.alloc(5 * 1024 * 1024), truncated: true }
    expect(checkExpect(big, ep)[0]).toContain('larger than the 5 MiB read')
    const tiny = { ...answer(200), body: Buffer.alloc(100), truncated: true }
    expect(checkExpect(tiny, ep)[0]).toContain('larger than the 100 bytes read')
  })
})

describe('warmEndpoint: what the answer says of itself (local server)', () => {
  let server: LocalServer
  const bodies: Record<string, unknown> = {
    '/said-no': { success: false, error: 'db down' },
    '/said-no-data': { success: false, data: { price: 1 } },
    '/not-ok': { ok: false, message: 'upstream timeout' },
    '/error': { error: 'x' },
    '/error-object': { error: { message: 'quota exceeded' } },
    '/error-null': { error: null, data: { price: 1 } },
    '/error-false': { error: false, data: [1] },
    '/success': { success: true, data: { price: 101.5, real_data: true } },
    '/placeholder': { success: true, real_data: false, data: { price: null } },
    '/flagged': { placeholder: true, data: [1] },
    '/data-null': { success: true, data: null },
    '/data-empty': { success: true, data: [] },
    '/data-nulls': { success: true, data: { price: null, volume: null } },
    '/bare': { success: true },
    '/list': [{ success: false }]
  }
  beforeAll(async () => {
    server = await startServer((req, res) => json(res, 200, bodies[req.url ?? ''] ?? {}))
  })
  afterAll(() => server.close())

  async function at(path: string, raw: RawInputs = {}) {
    const settings = settingsFrom({ url: server.origin, endpoints: `- ${path}`, ...raw })
    return warmEndpoint(endpointOf(settings, path), warmCtx(settings))
  }

  it.each([
    ['/said-no', 'the answer says it failed: `success` is false'],
    ['/not-ok', 'the answer says it failed: `ok` is false, message "upstream timeout"'],
    ['/error', 'the answer says it failed: `error` is "x"'],
    ['/error-object', 'the answer says it failed: `error` is "quota exceeded"']
  ])('with no expect, a 200 %s that says it failed fails the endpoint', async (path, why) => {
    const r = await at(path)
    expect(r).toMatchObject({ outcome: 'failed', status: 200, cause: 'said-failed' })
    expect(r.reason).toBe(`200 but ${why}`)
  })

  it.each(['/error-null', '/error-false', '/success', '/list'])(
    'a 200 %s that does not say it failed passes',
    async path => {
      expect((await at(path)).outcome).toBe('passed')
    }
  )

  it("an endpoint's own expect overrides the rule for the fields it checks", async () => {
    expect((await at('/said-no', { expect: '{json: {success: false}}' })).outcome).toBe('passed')
    expect((await at('/said-no', { expect: '{json: {error: exists}}' })).outcome).toBe('passed')
    // Checking other fields does not switch the rule off.
    const r = await at('/said-no-data', { expect: '{json: {data: non-empty}}' })
    expect(r.outcome).toBe('failed')
    expect(r.reason).toContain('`success` is false')
  })

  it('a non-2xx status the endpoint expects is not second-guessed', async () => {
    const s = await startServer((_req, res) => json(res, 404, { error: 'not found' }))
    try {
      const settings = settingsFrom({
        url: s.origin,
        endpoints: '- {path: /gone, expect: {status: 404}}'
      })
      const r = await warmEndpoint(endpointOf(settings, '/gone'), warmCtx(settings))
      expect(r.outcome).toBe('passed')
    } finally {
      await s.close()
    }
  })

  it.each([
    ['/placeholder', '`real_data` is false'],
    ['/flagged', '`placeholder` is true'],
    ['/data-null', '`data` is empty (null)'],
    ['/data-empty', '`data` is empty ([])'],
    ['/data-nulls', '`data` is empty ({"price":null,"volume":null})'],
    ['/bare', 'the answer holds nothing but `success`: no data']
  ])('%s passes but is named as suspicious: %s', async (path, why) => {
    const r = await at(path)
    expect(r).toMatchObject({ outcome: 'passed', suspicious: why })
  })

  it('real data is not suspicious', async () => {
    expect((await at('/success')).suspicious).toBeUndefined()
  })
})
