import type { ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from '@jest/globals'
import type { RawInputs } from '../src/config/settings.js'
import { dryRunResult, runWarm, stepFails, totalsOf } from '../src/engine.js'
import type { FollowedResponse } from '../src/http/redirect.js'
import { NetworkError } from '../src/http/request.js'
import type { EndpointResult } from '../src/result.js'
import { USER_AGENT } from '../src/version.js'
import type { Send } from '../src/http/send.js'
import type { WarmProgress } from '../src/engine.js'
import { FakeClock } from './support/clock.js'
import { answer, fakeSend } from './support/phases.js'
import { anEndpoint } from './support/results.js'
import { json, startServer, type Handler, type LocalServer } from './support/server.js'
import { settingsFrom } from './support/settings.js'

const KEY = 'sekrit-engine-key'
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0)

let server: LocalServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function serve(handler: Handler, raw: RawInputs) {
  server = await startServer(handler)
  return { server, settings: settingsFrom({ url: server.origin, ...raw }) }
}

const answerAfter = (res: ServerResponse, ms: number): void => {
  setTimeout(() => json(res, 200, { ok: true }), ms)
}

const byPath = (endpoints: readonly EndpointResult[]) =>
  Object.fromEntries(endpoints.map(e => [e.path, e]))

describe('runWarm when the key is refused', () => {
  it('stops sending after a tier where every answer was 401, and says why', async () => {
    const { server, settings } = await serve(
      (req, res) => json(res, 401, { error: 'Invalid API key' }),
      { endpoints: 'critical: [/a, /b]\nhigh: [/c]\nnormal: [/d]', 'api-key': 'wrong-key' }
    )

    const result = await runWarm(settings)

    expect(server.requests.map(r => r.url).sort()).toEqual(['/a', '/b'])
    const later = result.tiers.slice(1).flatMap(t => t.endpoints)
    expect(later.map(e => e.outcome)).toEqual(['skipped', 'skipped'])
    expect(later[0]!.reason).toBe(
      'not sent: every critical endpoint answered 401, so the key sent as X-API-Key was refused'
    )
    expect(result.stepFailed).toBe(true)
  })

  it('keeps going when only some answers are refused', async () => {
    const { server, settings } = await serve(
      (req, res) => (req.url === '/a' ? json(res, 403, {}) : json(res, 200, { ok: true })),
      { endpoints: 'critical: [/a, /b]\nnormal: [/c]', 'api-key': 'k' }
    )

    const result = await runWarm(settings)

    expect(server.requests).toHaveLength(3)
    expect(result.totals).toMatchObject({ passed: 2, failed: 1, skipped: 0 })
  })

  it('counts only endpoints that warmed in the cold latency', async () => {
    const { settings } = await serve(
      (req, res) => (req.url === '/fail' ? json(res, 500, {}) : answerAfter(res, 60)),
      { endpoints: '- /ok\n- /fail', retries: '0' }
    )

    const result = await runWarm(settings)

    expect(result.latency.coldP50Ms).toBeGreaterThanOrEqual(55)
    expect(result.latency.coldP95Ms).toBeGreaterThanOrEqual(55)
  })
})

describe('runWarm', () => {
  it('warms every endpoint, sends the key, and says passed', async () => {
    const lines: string[] = []
    const { server, settings } = await serve(
      (_req, res) => json(res, 200, { success: true, data: [1] }),
      {
        endpoints: 'critical: [/a]\nnormal: [/b]',
        'api-key': KEY,
        expect: '{json: {data: non-empty}}'
      }
    )

    const result = await runWarm(settings, { log: line => lines.push(line) })

    expect(result).toMatchObject({
      schemaVersion: 1,
      target: `${server.origin}/`,
      dryRun: false,
      result: 'passed',
      stepFailed: false,
      failOn: 'critical',
      totals: { total: 2, passed: 2, failed: 0, skipped: 0 },
      settings: { apiKeyHeader: 'X-API-Key', apiKeySent: true, concurrency: 8, retries: 2 }
    })
    expect(result.stoppedBy).toBeUndefined()
    expect(result.tiers.map(t => t.priority)).toEqual(['critical', 'normal'])
    expect(server.requests.map(r => r.headers['x-api-key'])).toEqual([KEY, KEY])
    expect(server.requests[0]?.headers['user-agent']).toBe(USER_AGENT)
    expect(lines[0]).toBe('Warming critical: 1 endpoint(s)')
    expect(lines[1]).toMatch(/^ {2}ok {3}GET \/a 200 \d+ms$/)
    expect(JSON.stringify(result)).not.toContain(KEY)
  })

  it('runs tiers strictly in order: every critical answer comes before any high request', async () => {
    const { server, settings } = await serve((_req, res) => answerAfter(res, 40), {
      endpoints: 'low: [/l1]\nhigh: [/h1, /h2, /h3]\ncritical: [/c1, /c2, /c3]',
      concurrency: '8'
    })

    const result = await runWarm(settings)

    expect(result.result).toBe('passed')
    const seen = server.requests
    const tierOf = (url: string) => url[1]
    expect(seen.map(r => tierOf(r.url))).toEqual(['c', 'c', 'c', 'h', 'h', 'h', 'l'])
    const lastDone = (t: string) =>
      Math.max(...seen.filter(r => tierOf(r.url) === t).map(r => r.finishedAt ?? Infinity))
    const firstStart = (t: string) =>
      Math.min(...seen.filter(r => tierOf(r.url) === t).map(r => r.at))
    expect(lastDone('c')).toBeLessThanOrEqual(firstStart('h'))
    expect(lastDone('h')).toBeLessThanOrEqual(firstStart('l'))
    // Within a tier they did run side by side.
    expect(server.maxInFlight()).toBe(3)
  })

  it('never has more than `concurrency` requests in flight, over few connections', async () => {
    const sockets = new Set<number>()
    const { server, settings } = await serve(
      (req, res) => {
        sockets.add(req.socket.remotePort ?? 0)
        answerAfter(res, 25)
      },
      {
        endpoints: JSON.stringify(Array.from({ length: 12 }, (_, i) => `/item/${i}`)),
        concurrency: '3'
      }
    )

    const result = await runWarm(settings)

    expect(result.totals.passed).toBe(12)
    expect(server.requests).toHaveLength(12)
    expect(server.maxInFlight()).toBe(3)
    // Keep-alive: the 12 requests reused the 3 connections.
    expect(sockets.size).toBeLessThanOrEqual(3)
  })

  it('stops at the deadline: unsent endpoints skipped, result failed, and it returns promptly', async () => {
    const { server, settings } = await serve(
      (req, res) => {
        if (req.url === '/hang') return // never answers
        json(res, 200, { ok: true })
      },
      {
        endpoints: 'critical: [/hang, /c2]\nhigh: [/h1]\nlow: [/l1]',
        concurrency: '1',
        timeout: '10s',
        deadline: '250ms'
      }
    )

    const started = Date.now()
    const result = await runWarm(settings)
    const took = Date.now() - started

    expect(took).toBeLessThan(1500)
    expect(result.result).toBe('failed')
    expect(result.stoppedBy).toBe('deadline')
    expect(result.stepFailed).toBe(true)
    const eps = byPath(result.tiers.flatMap(t => t.endpoints))
    expect(eps['/hang']?.outcome).toBe('failed')
    expect(['deadline', 'timeout']).toContain(eps['/hang']?.cause)
    const sent = new Set(server.requests.map(r => r.url))
    expect(sent.has('/hang')).toBe(true)
    for (const path of ['/c2', '/h1', '/l1']) {
      if (!sent.has(path)) {
        expect(eps[path]).toMatchObject({
          outcome: 'skipped',
          attempts: 0,
          cause: 'deadline',
          reason: 'not sent: the deadline passed'
        })
      }
    }
    expect(eps['/l1']).toMatchObject({
      outcome: 'skipped',
      reason: 'not sent: the deadline passed'
    })
    expect(result.totals.skipped).toBeGreaterThanOrEqual(2)
  })

  it('stops at the deadline on the injected clock, without waiting in real time', async () => {
    const clock = new FakeClock(T0)
    const { server, settings } = await serve(
      (_req, res) => {
        clock.advance(3000) // each answer takes 3 s of fake time
        json(res, 200, { ok: true })
      },
      { endpoints: 'critical: [/c1, /c2]\nhigh: [/h1, /h2]', concurrency: '1', deadline: '5s' }
    )

    const result = await runWarm(settings, { clock })

    expect(server.requests.map(r => r.url)).toEqual(['/c1', '/c2'])
    expect(result.stoppedBy).toBe('deadline')
    expect(result.result).toBe('failed')
    expect(result.stepFailed).toBe(true)
    expect(result.durationMs).toBe(6000)
    const eps = byPath(result.tiers.flatMap(t => t.endpoints))
    expect(eps['/c1']).toMatchObject({ outcome: 'passed', latencyMs: 3000 })
    expect(eps['/h1']).toMatchObject({
      outcome: 'skipped',
      attempts: 0,
      cause: 'deadline',
      reason: 'not sent: the deadline passed'
    })
    // The deadline (5 s) passes while /c2 is in flight (3 s to 6 s): it is stopped there, as the
    // real clock's timer stops it; the fake clock used to let it finish.
    expect(eps['/c2']).toMatchObject({
      outcome: 'failed',
      cause: 'deadline',
      reason: 'the deadline passed before GET /c2 was answered'
    })
    expect(result.totals).toEqual({ total: 4, passed: 1, failed: 1, skipped: 2 })
  })

  it('retries on the injected clock: a 429 with Retry-After: 1 waits 1000 ms', async () => {
    const clock = new FakeClock(T0)
    let calls = 0
    const { settings } = await serve(
      (_req, res) => {
        if (calls++ === 0) {
          res.writeHead(429, { 'Retry-After': '1' })
          res.end()
        } else json(res, 200, { ok: true })
      },
      { endpoints: '- /a' }
    )

    const result = await runWarm(settings, { clock })

    expect(clock.sleeps).toEqual([1000])
    expect(result.tiers[0]?.endpoints[0]).toMatchObject({ outcome: 'passed', attempts: 2 })
  })

  it('reports cold p50 and p95 over the answers that came', async () => {
    const clock = new FakeClock(T0)
    const { settings } = await serve(
      (req, res) => {
        clock.advance(Number(req.url?.slice(1)))
        json(res, 200, {})
      },
      {
        endpoints: JSON.stringify(Array.from({ length: 10 }, (_, i) => `/${(i + 1) * 100}`)),
        concurrency: '1'
      }
    )

    const result = await runWarm(settings, { clock })

    expect(result.latency).toEqual({ coldP50Ms: 500, coldP95Ms: 1000 })
    expect(result.tiers[0]?.durationMs).toBe(5500)
  })

  it('has no latency figures when nothing answered', async () => {
    const send: Send = async () => {
      throw new NetworkError('dns', 'host name not found (ENOTFOUND)')
    }
    const settings = settingsFrom({ url: 'https://gone.example.com', endpoints: '- /a' })

    const result = await runWarm(settings, { send, clock: new FakeClock(T0) })

    expect(result.latency).toEqual({})
    expect(result.tiers[0]?.endpoints[0]).toMatchObject({ outcome: 'failed', cause: 'dns' })
  })

  it('uses an injected send and passes it the headers for the origin', async () => {
    const seen: string[] = []
    const send: Send = async req => {
      seen.push(`${req.method} ${req.url} ${req.headers['X-API-Key']}`)
      return {
        status: 200,
        statusText: 'OK',
        headers: {},
        setCookie: false,
        body: Buffer.from('{}'),
        truncated: false,
        bytes: 2,
        durationMs: 7,
        finalUrl: req.url,
        redirects: 0
      } satisfies FollowedResponse
    }
    const settings = settingsFrom({
      url: 'https://api.example.com',
      endpoints: '- /a',
      'api-key': KEY
    })

    const result = await runWarm(settings, { send, clock: new FakeClock(T0) })

    expect(seen).toEqual([`GET https://api.example.com/a ${KEY}`])
    expect(result.tiers[0]?.endpoints[0]).toMatchObject({ outcome: 'passed', latencyMs: 7 })
  })

  it('stops when cancelled: the rest is skipped as cancelled', async () => {
    const controller = new AbortController()
    const { server, settings } = await serve(
      (_req, res) => {
        controller.abort()
        json(res, 200, {})
      },
      { endpoints: 'critical: [/a]\nhigh: [/b, /c]', concurrency: '1' }
    )

    const result = await runWarm(settings, { signal: controller.signal })

    expect(server.requests).toHaveLength(1)
    expect(result.stoppedBy).toBe('cancelled')
    expect(result.result).toBe('failed')
    expect(result.stepFailed).toBe(true)
    expect(byPath(result.tiers.flatMap(t => t.endpoints))['/b']).toMatchObject({
      outcome: 'skipped',
      cause: 'cancelled',
      reason: 'not sent: the run was cancelled'
    })
  })

  it('does not follow a redirect to another origin, so the key never reaches it', async () => {
    const other = await startServer((_req, res) => json(res, 200, { stolen: true }))
    try {
      const { server, settings } = await serve(
        (_req, res) => {
          res.writeHead(302, { Location: `${other.origin}/collect` })
          res.end()
        },
        { endpoints: 'critical: [/a]', 'api-key': KEY }
      )

      const result = await runWarm(settings)

      expect(server.requests).toHaveLength(1)
      expect(other.requests).toHaveLength(0)
      expect(result.tiers[0]?.endpoints[0]).toMatchObject({
        outcome: 'failed',
        status: 302,
        cause: 'redirect-other-origin'
      })
      expect(result.stepFailed).toBe(true)
    } finally {
      await other.close()
    }
  })

  it('keeps the step green with fail-on: never, but still says failed', async () => {
    const { settings } = await serve((_req, res) => json(res, 500, { error: 'boom' }), {
      endpoints: 'critical: [/a]',
      retries: '0',
      'fail-on': 'never'
    })

    const result = await runWarm(settings)

    expect(result.result).toBe('failed')
    expect(result.stepFailed).toBe(false)
    expect(result.tiers[0]?.endpoints[0]?.reason).toContain('returned 500')
  })

  it('fails the step under fail-on: critical when a low endpoint gets a 401', async () => {
    const { settings } = await serve(
      (req, res) => (req.url === '/private' ? json(res, 401, {}) : json(res, 200, {})),
      { endpoints: 'critical: [/a]\nlow: [/private]', 'api-key': KEY }
    )

    const result = await runWarm(settings)

    expect(result.stepFailed).toBe(true)
    expect(result.totals).toMatchObject({ passed: 1, failed: 1 })
  })
})

const ep = (
  priority: EndpointResult['priority'],
  outcome: EndpointResult['outcome'],
  cause?: string
): EndpointResult =>
  anEndpoint({ path: `/${priority}`, priority, outcome, ...(cause ? { cause } : {}) })

describe('stepFails', () => {
  const critical = 'critical' as const
  const any = 'any' as const
  const never = 'never' as const

  it('passes when everything passed, whatever fail-on says', () => {
    const all = [ep('critical', 'passed'), ep('low', 'passed')]
    expect([critical, any, never].map(s => stepFails(s, all))).toEqual([false, false, false])
  })

  it('critical: fails on a failed critical endpoint', () => {
    expect(stepFails(critical, [ep('critical', 'failed'), ep('low', 'passed')])).toBe(true)
  })

  it('critical: fails on a skipped critical endpoint', () => {
    expect(stepFails(critical, [ep('critical', 'skipped'), ep('low', 'passed')])).toBe(true)
  })

  it('critical: ignores a failed lower-priority endpoint', () => {
    expect(stepFails(critical, [ep('critical', 'passed'), ep('high', 'failed', 'http-500')])).toBe(
      false
    )
  })

  it.each(['http-401', 'http-403'])('critical: fails on a %s anywhere', cause => {
    expect(stepFails(critical, [ep('critical', 'passed'), ep('low', 'failed', cause)])).toBe(true)
  })

  it('critical: with no critical endpoints, every endpoint counts as critical', () => {
    expect(stepFails(critical, [ep('normal', 'passed'), ep('low', 'failed')])).toBe(true)
    expect(stepFails(critical, [ep('normal', 'passed'), ep('low', 'passed')])).toBe(false)
  })

  it('any: fails on any failure or skip', () => {
    expect(stepFails(any, [ep('critical', 'passed'), ep('low', 'failed')])).toBe(true)
    expect(stepFails(any, [ep('critical', 'passed'), ep('low', 'skipped')])).toBe(true)
  })

  it('never: never fails, not even at the deadline', () => {
    expect(stepFails(never, [ep('critical', 'failed', 'http-401')], 'deadline')).toBe(false)
  })

  it('fails when the run was stopped, under critical and any', () => {
    const all = [ep('critical', 'passed')]
    expect(stepFails(critical, all, 'deadline')).toBe(true)
    expect(stepFails(any, all, 'cancelled')).toBe(true)
  })

  it('passes an empty run', () => {
    expect(stepFails(critical, [])).toBe(false)
  })
})

describe('totalsOf', () => {
  it('counts each outcome', () => {
    expect(
      totalsOf([
        ep('critical', 'passed'),
        ep('high', 'failed'),
        ep('low', 'skipped'),
        ep('low', 'passed')
      ])
    ).toEqual({ total: 4, passed: 2, failed: 1, skipped: 1 })
  })
})

describe('dryRunResult', () => {
  it('plans every endpoint, sends nothing, and leaves the step green', async () => {
    const { server, settings } = await serve((_req, res) => json(res, 200, {}), {
      endpoints: 'low: [/l]\ncritical: [/c]\nhigh: [{path: /h, name: Home}]',
      'api-key': KEY,
      'dry-run': 'true'
    })

    const result = dryRunResult(settings, new FakeClock(T0))

    expect(server.requests).toHaveLength(0)
    expect(result).toMatchObject({
      dryRun: true,
      result: 'dry-run',
      stepFailed: false,
      startedAt: '2025-01-01T12:00:00.000Z',
      durationMs: 0,
      totals: { total: 3, passed: 0, failed: 0, skipped: 3 },
      latency: {},
      settings: { apiKeySent: true }
    })
    expect(result.tiers.map(t => t.priority)).toEqual(['critical', 'high', 'low'])
    expect(result.tiers[1]?.endpoints[0]).toMatchObject({
      path: '/h',
      name: 'Home',
      outcome: 'skipped',
      attempts: 0,
      reason: 'dry run: not sent',
      cause: 'dry-run'
    })
    expect(JSON.stringify(result)).not.toContain(KEY)
  })
})

describe('runWarm: the log of a large run', () => {
  /** 300 endpoints; every 100th answers 404; /p/7 is the slowest. */
  const large = () => {
    const clock = new FakeClock(T0)
    const send = fakeSend((_req, path) => {
      const n = Number(path.slice(3))
      clock.advance(n === 7 ? 900 : 10)
      return n % 100 === 99 ? answer(404) : answer(200, { durationMs: n === 7 ? 900 : 10 })
    })
    const endpoints = Array.from({ length: 300 }, (_, i) => `- /p/${i}`).join('\n')
    return { clock, send, settings: settingsFrom({ url: 'https://api.example.com', endpoints }) }
  }

  it('above 200 endpoints lists only the failures and the slowest, and says so once', async () => {
    const { clock, send, settings } = large()
    const lines: string[] = []

    const result = await runWarm(settings, { clock, send, log: l => lines.push(l) })

    expect(result.totals).toMatchObject({ total: 300, passed: 297, failed: 3 })
    expect(lines.slice(0, 5)).toEqual([
      '(300 endpoints: only failures are listed; the report has every one; set ACTIONS_STEP_DEBUG to list all)',
      'Warming normal: 300 endpoint(s)',
      '  FAIL GET /p/99 404 5ms - GET /p/99 returned 404; check the path and the method',
      '  FAIL GET /p/199 404 5ms - GET /p/199 returned 404; check the path and the method',
      '  FAIL GET /p/299 404 5ms - GET /p/299 returned 404; check the path and the method'
    ])
    expect(lines.slice(5, 7)).toEqual(['  slowest 5 of 297 warmed:', '  ok   GET /p/7 200 900ms'])
    expect(lines).toHaveLength(12)
    expect(lines.at(-1)).toMatch(/^normal: 297\/300 warmed in \d+(\.\d)?s, 3 failed, p50 10ms$/)
  })

  it('lists every endpoint when asked to (ACTIONS_STEP_DEBUG)', async () => {
    const { clock, send, settings } = large()
    const lines: string[] = []

    await runWarm(settings, { clock, send, log: l => lines.push(l), listEveryEndpoint: true })

    expect(lines).toHaveLength(1 + 300 + 1)
    expect(lines.some(l => l.includes('only failures are listed'))).toBe(false)
  })
})

describe('runWarm: progress', () => {
  it('tells one object, counted on, when warming starts and after each endpoint', async () => {
    const send = fakeSend((_req, path) => (path === '/b' ? answer(404) : answer(200)))
    const settings = settingsFrom({
      url: 'https://api.example.com',
      endpoints: 'critical: [/a]\nnormal: [/b, /c]',
      concurrency: '1'
    })
    const seen: WarmProgress[] = []
    const counts: string[] = []

    await runWarm(settings, {
      clock: new FakeClock(T0),
      send,
      onProgress: p => {
        seen.push(p)
        counts.push(`${p.done}/${p.total} ${p.failed}`)
      }
    })

    expect(counts).toEqual(['0/3 0', '1/3 0', '2/3 1', '3/3 1'])
    expect(new Set(seen).size).toBe(1)
  })
})
