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
})
