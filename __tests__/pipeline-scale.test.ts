import { afterEach, describe, expect, it } from '@jest/globals'
import { runWarm } from '../src/engine.js'
import { runAll } from '../src/pipeline.js'
import { renderSummary } from '../src/report/summary.js'
import { computeOutputs } from '../src/report/outputs.js'
import { FakeClock } from './support/clock.js'
import { answer, API, fakeSend, T0 } from './support/phases.js'
import { json, startServer, type LocalServer } from './support/server.js'
import { settingsFrom } from './support/settings.js'

let server: LocalServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('a job with no endpoints (the metrics gate after a sharded matrix)', () => {
  it('skips warm and verify, reads the metrics, and passes on the thresholds alone', async () => {
    const clock = new FakeClock(T0)
    const send = fakeSend((_req, path) =>
      path === '/metrics' ? answer(200, { body: { cacheStats: { l2Size: 5000 } } }) : undefined
    )
    const settings = settingsFrom({
      url: API,
      'metrics-path': '/metrics',
      thresholds: 'cacheStats.l2Size >= 4000'
    })
    const result = await runAll(settings, { clock, send })
    expect(result.result).toBe('passed')
    expect(result.stepFailed).toBe(false)
    expect(result.phases?.map(p => [p.name, p.status])).toEqual([
      ['warm', 'skipped'],
      ['metrics', 'passed']
    ])
    expect(result.phases?.[0]?.detail).toBe(
      'no endpoints listed; this job only checks the deployment'
    )
    const summary = renderSummary(result)
    expect(summary).toContain('## ✅ Cache warm passed: no endpoints to warm')
    expect(summary).not.toContain('| Endpoints | Warmed |')
    expect(computeOutputs(result, '').warmed).toBe('0')
  })

  it('fails when the thresholds do not hold', async () => {
    const clock = new FakeClock(T0)
    const send = fakeSend(() => answer(200, { body: { cacheStats: { l2Size: 10 } } }))
    const settings = settingsFrom({
      url: API,
      'metrics-path': '/metrics',
      'min-cache-size': '4000',
      'poll-timeout': '10s'
    })
    const result = await runAll(settings, { clock, send })
    expect(result.stepFailed).toBe(true)
    expect(renderSummary(result)).toContain(
      'Cache warm failed: no endpoints to warm; metrics failed'
    )
  })
})

describe('max-rps', () => {
  it('paces every request of the warm across all workers', async () => {
    const clock = new FakeClock(T0)
    const send = fakeSend(() => answer(200, { durationMs: 0 }))
    const endpoints = Array.from({ length: 41 }, (_, i) => `- /p/${i}`).join('\n')
    const settings = settingsFrom({ url: API, endpoints, concurrency: '16', 'max-rps': '20' })
    const result = await runWarm(settings, { clock, send })
    expect(result.totals.passed).toBe(41)
    // Burst of 2 (a tenth of a second's worth), then one every 50 ms.
    expect(clock.now() - T0).toBe((41 - 2) * 50)
    expect(result.settings.maxRps).toBe(20)
  })
})

describe('sitemap and shard in a run', () => {
  it('warms the sitemap merged with endpoints, shares them out, and reports the sitemap phase', async () => {
    server = await startServer((req, res) => {
      if (req.url === '/sitemap.xml') {
        const o = server!.origin
        res.writeHead(200, { 'Content-Type': 'application/xml' })
        res.end(
          `<urlset>${['/a', '/b', '/c', '/d', '/listed']
            .map(p => `<url><loc>${o}${p}</loc><priority>0.9</priority></url>`)
            .join('')}<url><loc>https://prod.example/x</loc></url></urlset>`
        )
        return
      }
      json(res, 200, { ok: true })
    })
    const settings = settingsFrom({
      url: server.origin,
      endpoints: '- /listed',
      sitemap: '/sitemap.xml',
      shard: '1/2',
      verify: 'false'
    })
    const result = await runAll(settings)
    expect(result.phases?.map(p => [p.name, p.status])).toEqual([
      ['sitemap', 'passed'],
      ['warm', 'passed']
    ])
    expect(result.phases?.[0]?.detail).toBe(
      '4 URL(s) added from 1 sitemap document(s); 1 on another origin skipped (e.g. https://prod.example), 1 already listed'
    )
    // critical (from <priority>): /a /b /c /d, shard 1/2 takes /a and /c; normal: /listed.
    expect(result.tiers.map(t => [t.priority, t.endpoints.map(e => e.path)])).toEqual([
      ['critical', ['/a', '/c']],
      ['normal', ['/listed']]
    ])
    expect(result.settings.shard).toEqual({ index: 1, count: 2, of: 5 })
    expect(result.sitemap).toMatchObject({ added: 4, otherOrigin: 1, duplicates: 1 })
    expect(renderSummary(result)).toContain('shard 1/2 (3 of 5)')
    const warmed = server.requests.map(r => r.url).filter(u => u !== '/sitemap.xml')
    expect(warmed.sort()).toEqual(['/a', '/c', '/listed'])
  })

  it('fails the run when the sitemap cannot be read, and still warms the endpoints', async () => {
    server = await startServer((req, res) => json(res, req.url === '/a' ? 200 : 404, {}))
    const settings = settingsFrom({
      url: server.origin,
      endpoints: '- /a',
      sitemap: '/sitemap.xml',
      verify: 'false'
    })
    const result = await runAll(settings)
    expect(result.phases?.[0]).toMatchObject({
      name: 'sitemap',
      status: 'failed',
      detail: 'could not be read: /sitemap.xml: answered 404 Not Found'
    })
    expect(result.totals.passed).toBe(1)
    expect(result.stepFailed).toBe(true)
  })

  describe('a sitemap that yields nothing to warm is never passed', () => {
    const xml = (res: import('node:http').ServerResponse, body: string) => {
      res.writeHead(200, { 'Content-Type': 'application/xml' })
      res.end(body)
    }
    const urlset = (locs: string[]) =>
      `<urlset>${locs.map(l => `<url><loc>${l}</loc></url>`).join('')}</urlset>`

    async function sitemapRun(
      body: (origin: string, url: string) => string | undefined,
      raw: Record<string, string> = {}
    ) {
      server = await startServer((req, res) => {
        const text = body(server!.origin, req.url ?? '')
        if (text !== undefined) return xml(res, text)
        if (req.url?.endsWith('.xml')) return json(res, 404, {})
        json(res, 200, { ok: true })
      })
      const settings = settingsFrom({
        url: server.origin,
        sitemap: '/sitemap.xml',
        verify: 'false',
        ...raw
      })
      const result = await runAll(settings)
      const warmed = server.requests.map(r => r.url).filter(u => !u.endsWith('.xml'))
      return { result, warmed, origin: server.origin }
    }

    it.each(['critical', 'any'])(
      'fails under fail-on %s when every <loc> is on another origin, naming the origin',
      async failOn => {
        const { result, warmed, origin } = await sitemapRun(
          (_o, url) =>
            url === '/sitemap.xml'
              ? urlset(['https://prod.example/a', 'https://prod.example/b'])
              : undefined,
          { 'fail-on': failOn }
        )
        expect(warmed).toEqual([])
        expect(result).toMatchObject({ result: 'failed', stepFailed: true })
        expect(result.totals.passed).toBe(0)
        expect(result.phases?.map(p => [p.name, p.status])).toEqual([
          ['sitemap', 'failed'],
          ['warm', 'skipped']
        ])
        expect(result.phases?.[0]?.detail).toBe(
          `nothing to warm: every URL is on another origin than ${origin} (e.g. https://prod.example), so none was added; 0 URL(s) added from 1 sitemap document(s); 2 on another origin skipped (e.g. https://prod.example)`
        )
        expect(result.phases?.[1]?.detail).toBe(
          'nothing to warm: no endpoints listed, and the sitemap added none'
        )
        expect(computeOutputs(result, '').warmed).toBe('0')
      }
    )

    it('fails on an empty urlset', async () => {
      const { result } = await sitemapRun((_o, url) =>
        url === '/sitemap.xml' ? '<urlset></urlset>' : undefined
      )
      expect(result).toMatchObject({ result: 'failed', stepFailed: true })
      expect(result.phases?.[0]).toMatchObject({
        name: 'sitemap',
        status: 'failed',
        detail: expect.stringMatching(
          /^nothing to warm: the sitemap lists no URL \(an empty urlset\); /
        )
      })
    })

    it('fails when sitemap-exclude leaves out every URL, and counts them', async () => {
      const { result, warmed } = await sitemapRun(
        (o, url) =>
          url === '/sitemap.xml'
            ? urlset([`${o}/blog/a`, `${o}/blog/b`, `${o}/blog/c`])
            : undefined,
        { 'sitemap-exclude': '/blog/*' }
      )
      expect(warmed).toEqual([])
      expect(result).toMatchObject({ result: 'failed', stepFailed: true })
      expect(result.phases?.[0]?.detail).toMatch(
        /^nothing to warm: all 3 URL\(s\) are excluded by sitemap-exclude; /
      )
    })

    it('fails when every child of a sitemap index fails to load', async () => {
      const { result } = await sitemapRun((o, url) =>
        url === '/sitemap.xml'
          ? `<sitemapindex><sitemap><loc>${o}/one.xml</loc></sitemap><sitemap><loc>${o}/two.xml</loc></sitemap></sitemapindex>`
          : undefined
      )
      expect(result).toMatchObject({ result: 'failed', stepFailed: true })
      expect(result.phases?.[0]?.detail).toMatch(
        /^nothing to warm: no URL could be read \(\/one\.xml: .*404.*\); 0 URL\(s\) added from 3 sitemap document\(s\); \/one\.xml: .*404/
      )
    })

    it('fails the sitemap phase even when listed endpoints were warmed, and still warms them', async () => {
      const { result, warmed } = await sitemapRun(
        (_o, url) => (url === '/sitemap.xml' ? urlset(['https://prod.example/x']) : undefined),
        { endpoints: '- /listed' }
      )
      expect(warmed).toEqual(['/listed'])
      expect(result.totals.passed).toBe(1)
      expect(result.phases?.[0]?.status).toBe('failed')
      expect(result).toMatchObject({ result: 'failed', stepFailed: true })
    })

    it('keeps the step green under fail-on never, while result says failed', async () => {
      const { result } = await sitemapRun(
        (_o, url) => (url === '/sitemap.xml' ? '<urlset/>' : undefined),
        { 'fail-on': 'never' }
      )
      expect(result).toMatchObject({ result: 'failed', stepFailed: false })
    })

    it('passes a sitemap whose URLs are all listed already: they are warmed as endpoints', async () => {
      const { result, warmed } = await sitemapRun(
        (o, url) => (url === '/sitemap.xml' ? urlset([`${o}/listed`]) : undefined),
        { endpoints: '- /listed' }
      )
      expect(warmed).toEqual(['/listed'])
      expect(result.phases?.[0]).toMatchObject({ name: 'sitemap', status: 'warning' })
      expect(result).toMatchObject({ result: 'passed', stepFailed: false })
    })

    it('passes a shard whose share of a non-empty sitemap is empty', async () => {
      const { result, warmed } = await sitemapRun(
        (o, url) => (url === '/sitemap.xml' ? urlset([`${o}/only`]) : undefined),
        { shard: '2/2' }
      )
      expect(warmed).toEqual([])
      expect(result.phases?.map(p => [p.name, p.status])).toEqual([
        ['sitemap', 'passed'],
        ['warm', 'skipped']
      ])
      expect(result.phases?.[1]?.detail).toBe('no endpoints in shard 2/2')
      expect(result).toMatchObject({ result: 'passed', stepFailed: false })
    })
  })
})

describe('a metrics answer nested 100,000 deep, over real HTTP', () => {
  const deep = 100_000
  it.each([
    ['[[[...]]]', '['.repeat(deep) + ']'.repeat(deep)],
    ['{"a":{"a":...}}', '{"a":'.repeat(deep) + '1' + '}'.repeat(deep)]
  ])('%s as the metrics fails the gate in words, and never throws', async (_name, text) => {
    server = await startServer((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(text)
        return
      }
      json(res, 200, { ok: true })
    })
    const settings = settingsFrom({
      url: server.origin,
      endpoints: '- /a',
      'metrics-path': '/metrics',
      'min-hit-rate': '50%',
      'poll-timeout': '1s',
      verify: 'false'
    })
    const result = await runAll(settings)
    expect(result.metrics?.error).toMatch(/^metrics field cacheStats\.overallHitRate is missing/)
    expect(result).toMatchObject({ result: 'failed', stepFailed: true })
    expect(() => renderSummary(result)).not.toThrow()
  })

  it('deep beside good fields: a perfect bare 1 passes, with the scale it assumed', async () => {
    const nested = '{"a":'.repeat(deep) + '1' + '}'.repeat(deep)
    server = await startServer((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(`{"cacheStats":{"overallHitRate":1,"l2Size":1,"deep":${nested}}}`)
        return
      }
      json(res, 200, { ok: true })
    })
    const settings = settingsFrom({
      url: server.origin,
      endpoints: '- /a',
      'metrics-path': '/metrics',
      'min-hit-rate': '90%',
      'poll-timeout': '1s',
      verify: 'false'
    })
    const result = await runAll(settings)
    expect(result.metrics?.thresholds[0]).toMatchObject({ final: 1, met: true, scaleAssumed: true })
    expect(renderSummary(result)).toContain(
      'read as 0-1 fraction (assumed: no other value in the answers set the scale'
    )
  })
})
