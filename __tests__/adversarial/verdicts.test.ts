/**
 * No false green, no false red: what the deployment says decides the verdict, read honestly.
 * Class 2 (nothing warmed is never passed), 5 (hit-rate scales), 6 (a refused key anywhere),
 * 7 (answers that say they failed; placeholders), and fail-on never / an unwritable report file.
 * Class 11 (deep answers) is in isolated.test.ts: it can block the event loop.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  answerJson,
  sendJson,
  sendText,
  sequence,
  sitemapIndex,
  startHostileServer,
  status,
  urlset,
  xml,
  type HostileServer
} from '../support/hostile-server.js'
import { around, explain, runMain, type Artifacts } from '../support/adversarial.js'

jest.unstable_mockModule('@actions/core', () => import('../fixtures/core.js'))
const core = await import('../fixtures/core.js')
const { run } = await import('../../src/main.js')

const KEY = 'sk_live_VERDICTS_4a60c2e5b1d7f3a9'
let server: HostileServer
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'adv-verdicts-'))
  server = await startHostileServer()
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => server.reset())

const BASE = (): Record<string, string> => ({
  url: server.origin,
  'api-key': KEY,
  timeout: '500ms',
  retries: '0',
  deadline: '5s',
  verify: 'false'
})

const go = (inputs: Record<string, string>, limitMs = 10_000): Promise<Artifacts> =>
  runMain(core, run, { ...BASE(), ...inputs }, { dir, limitMs })

function verdictOf(a: Artifacts) {
  return {
    result: a.outputs.result,
    stepFailed: a.failures.length > 0,
    summaryWritten: a.summary.length > 0,
    reportWritten: a.report !== undefined,
    why: explain(a, KEY)
  }
}

/** A report path inside the workspace that cannot be created: its parent is a plain file. */
function blocked(): string {
  const file = path.join(dir, 'not-a-dir')
  writeFileSync(file, 'x')
  return path.join(file, 'report.json')
}

const endpointsOf = (a: Artifacts): { path: string; outcome: string; reason?: string }[] =>
  (a.report?.tiers ?? []).flatMap((t: { endpoints: unknown[] }) => t.endpoints)

describe('class 2: a run that warms nothing it was asked to warm is never passed', () => {
  const cases: [string, () => void, Record<string, string>][] = [
    [
      'every loc on another origin',
      () =>
        server.set('/sitemap.xml', xml(urlset(['http://127.0.0.1:9/a', 'https://example.com/b']))),
      {}
    ],
    ['an empty urlset', () => server.set('/sitemap.xml', xml(urlset([]))), {}],
    [
      'every loc excluded',
      () =>
        server.set(
          '/sitemap.xml',
          xml(urlset([`${server.origin}/blog/a`, `${server.origin}/blog/b`]))
        ),
      { 'sitemap-exclude': '/blog/**' }
    ],
    [
      'an index whose children all 404',
      () => {
        server.set(
          '/sitemap.xml',
          xml(sitemapIndex([`${server.origin}/sm-1.xml`, `${server.origin}/sm-2.xml`]))
        )
        server.set('/sm-*', status(404, { error: 'not found' }))
      },
      {}
    ],
    ['a sitemap that is a 404 itself', () => server.set('/sitemap.xml', status(404)), {}]
  ]
  for (const failOn of ['critical', 'any'] as const)
    it.each(cases)(`%s (fail-on ${failOn}): failed`, async (_n, arrange, extra) => {
      arrange()
      const a = await go({ sitemap: '/sitemap.xml', 'fail-on': failOn, ...extra })
      expect(verdictOf(a)).toMatchObject({
        result: 'failed',
        stepFailed: true,
        summaryWritten: true
      })
      expect(a.outputs.warmed).toBe('0')
    })

  it('a metrics-gate job with no endpoints stays passed when the gate holds', async () => {
    server.set(
      '/metrics',
      sequence([{ cacheStats: { l2Size: 10, hits: 1 } }, { cacheStats: { l2Size: 500, hits: 90 } }])
    )
    const a = await go({
      'metrics-path': '/metrics',
      thresholds: 'cacheStats.l2Size >= 100',
      'poll-interval': '100ms',
      'poll-timeout': '1s'
    })
    expect(verdictOf(a)).toMatchObject({ result: 'passed', stepFailed: false, reportWritten: true })
  })
})

describe('class 5: no false red on hit-rate scales', () => {
  const gate = {
    endpoints: '- /ok',
    'metrics-path': '/metrics',
    'min-hit-rate': '0.8',
    'poll-interval': '100ms',
    'poll-timeout': '1s'
  }
  const docs = (finalRate: unknown) => [
    { cacheStats: { overallHitRate: 0.4, hits: 4, requests: 10, l2Size: 3 } },
    { cacheStats: { overallHitRate: finalRate, hits: 200, requests: 200, l2Size: 40 } }
  ]
  it.each([
    ['exactly 1 (a perfect cache)', 1, '1'],
    ['"100%"', '100%', '1'],
    ['85 on a 0-100 field', 85, '0.85'],
    ['"85%"', '85%', '0.85'],
    ['0.95', 0.95, '0.95']
  ])('%s passes min-hit-rate 0.8', async (_n, rate, output) => {
    server.set('/metrics', sequence(docs(rate)))
    const a = await go(gate)
    expect(verdictOf(a)).toMatchObject({ result: 'passed', stepFailed: false })
    expect(a.outputs['hit-rate']).toBe(output)
    expect(a.outputs['thresholds-met']).toBe('true')
  })

  it('a perfect cache whose baseline is also 1 (both exactly 1) is not failed for the bare 1', async () => {
    server.set(
      '/metrics',
      sequence([
        { cacheStats: { overallHitRate: 1, hits: 10, requests: 10 } },
        { cacheStats: { overallHitRate: 1, hits: 300, requests: 300 } }
      ])
    )
    const a = await go(gate)
    expect(verdictOf(a)).toMatchObject({ result: 'passed', stepFailed: false })
  })

  it.each([
    ['0.2', 0.2],
    ['20 on a 0-100 field', 20],
    ['"20%"', '20%'],
    ['exactly 0', 0]
  ])('a genuinely low rate (%s) fails, within poll-timeout', async (_n, rate) => {
    server.set('/metrics', sequence(docs(rate)))
    const a = await go(gate)
    expect(verdictOf(a)).toMatchObject({ result: 'failed', stepFailed: true })
    expect(a.outputs['thresholds-met']).toBe('false')
    expect(a.ms).toBeLessThan(1000 + 1500)
  })

  it('mixed scales across sibling fields are named in the summary', async () => {
    server.set(
      '/metrics',
      sequence([
        { cacheStats: { overallHitRate: 0.4, l1HitRate: 30, hits: 1 } },
        { cacheStats: { overallHitRate: 0.9, l1HitRate: 85, hits: 99 } }
      ])
    )
    const a = await go({
      ...gate,
      'min-hit-rate': '',
      thresholds: 'cacheStats.overallHitRate >= 0.8\ncacheStats.l1HitRate >= 80%'
    })
    expect(verdictOf(a)).toMatchObject({ result: 'passed', stepFailed: false })
    const named = {
      fraction: /0-1|fraction/i.test(a.summary),
      percent: /0-100|percent/i.test(a.summary),
      mixed: /mix|differ|scales/i.test(a.summary)
    }
    expect({ named, summary: around(a.summary, /Cache metrics/, 600) }).toMatchObject({
      named: { fraction: true, percent: true, mixed: true }
    })
  })

  it('a flapping hit rate that ends high passes; its progression is in the summary', async () => {
    server.set(
      '/metrics',
      sequence([
        { cacheStats: { overallHitRate: 0.1, hits: 1 } },
        { cacheStats: { overallHitRate: 0.9, hits: 50 } },
        { cacheStats: { overallHitRate: 0.3, hits: 60 } },
        { cacheStats: { overallHitRate: 0.9, hits: 120 } }
      ])
    )
    const a = await go(gate)
    expect(verdictOf(a)).toMatchObject({ result: 'passed', stepFailed: false })
  })
})

describe('class 6: a refused key anywhere fails the run', () => {
  it('401 from a non-required warm-up trigger fails the step under fail-on critical', async () => {
    server.set('/trigger', status(401, { error: 'unauthorized' }))
    const a = await go({ endpoints: '- /ok', 'warmup-trigger': 'POST /trigger' })
    expect(verdictOf(a)).toMatchObject({ result: 'failed', stepFailed: true, summaryWritten: true })
  })

  it('403 from a non-required warm-up trigger fails the step too', async () => {
    server.set('/trigger', status(403, { error: 'forbidden' }))
    const a = await go({ endpoints: '- /ok', 'warmup-trigger': 'POST /trigger' })
    expect(verdictOf(a)).toMatchObject({ result: 'failed', stepFailed: true })
  })

  it('401 from the metrics endpoint at the baseline fails fast, not at poll-timeout', async () => {
    server.set('/metrics', status(401, { error: 'unauthorized' }))
    const a = await go({
      endpoints: '- /ok',
      'metrics-path': '/metrics',
      'min-hit-rate': '0.8',
      'poll-interval': '100ms',
      'poll-timeout': '8s',
      deadline: '15s'
    })
    expect(verdictOf(a)).toMatchObject({ result: 'failed', stepFailed: true })
    expect(a.ms).toBeLessThan(2500)
    expect(server.count('/metrics')).toBeLessThanOrEqual(3)
  })

  it('401 from the metrics endpoint on the polls (baseline fine) fails fast', async () => {
    server.set('/metrics', (res, ctx) =>
      ctx.hits === 1
        ? sendJson(res, 200, { cacheStats: { overallHitRate: 0.1, hits: 1 } })
        : sendJson(res, 401, { error: 'key revoked' })
    )
    const a = await go({
      endpoints: '- /ok',
      'metrics-path': '/metrics',
      'min-hit-rate': '0.8',
      'poll-interval': '100ms',
      'poll-timeout': '8s',
      deadline: '15s'
    })
    expect(verdictOf(a)).toMatchObject({ result: 'failed', stepFailed: true })
    expect(a.ms).toBeLessThan(2500)
  })

  it('401 from a normal endpoint when a critical one passes still fails under fail-on critical', async () => {
    server.set('/normal', status(401, { error: 'unauthorized' }))
    const a = await go({ endpoints: 'critical:\n  - /ok\nnormal:\n  - /normal' })
    expect(verdictOf(a)).toMatchObject({ result: 'failed', stepFailed: true })
  })
})

describe('class 7: answers that say they failed', () => {
  it.each([
    ['{"success": false, "error": "db down"}', { success: false, error: 'db down' }],
    ['{"ok": false}', { ok: false }],
    ['{"error": "x"}', { error: 'x' }],
    ['{"status": "error", "message": "x"}', { status: 'error', message: 'x' }]
  ])('200 %s with no expect fails the endpoint', async (_n, body) => {
    server.set('/api/data', answerJson(body))
    const a = await go({ endpoints: '- /api/data' })
    const e = endpointsOf(a).find(x => x.path === '/api/data')
    expect({ outcome: e?.outcome, ...verdictOf(a) }).toMatchObject({
      outcome: 'failed',
      result: 'failed',
      stepFailed: true
    })
  })

  it('200 {"error": null, "data": {...}} passes', async () => {
    server.set('/api/data', answerJson({ error: null, data: { price: 12, name: 'x' } }))
    const a = await go({ endpoints: '- /api/data' })
    expect(verdictOf(a)).toMatchObject({ result: 'passed', stepFailed: false })
  })

  it('an endpoint whose expect says json {success: false} passes on {"success": false}', async () => {
    server.set('/api/expected-false', answerJson({ success: false, data: [1] }))
    const a = await go({
      endpoints: JSON.stringify([
        { path: '/api/expected-false', expect: { json: { success: false } } }
      ])
    })
    expect(verdictOf(a)).toMatchObject({ result: 'passed', stepFailed: false })
  })

  const PLACEHOLDERS: [string, unknown][] = [
    ['/p/real-data-false', { real_data: false, data: { price: null } }],
    ['/p/placeholder', { placeholder: true }],
    ['/p/data-null', { data: null }],
    ['/p/data-empty-array', { data: [] }],
    ['/p/data-empty-object', { data: {} }]
  ]
  it.each(PLACEHOLDERS)(
    'placeholder answer %s is named as suspicious in the summary',
    async (p, body) => {
      server.set(p, answerJson(body))
      const a = await go({ endpoints: `- ${p}\n- /ok` })
      const lines = a.summary.split('\n').filter(l => l.includes(p))
      const near = lines.some(l => /suspicious|placeholder/i.test(l))
      const within =
        near ||
        [...a.summary.matchAll(/suspicious|placeholder/gi)].some(m => {
          const win = a.summary.slice(Math.max(0, m.index - 300), m.index + 300)
          return win.includes(p)
        })
      expect({ named: within, lines, summary: around(a.summary, p, 300) }).toMatchObject({
        named: true
      })
    }
  )

  it('with no expect configured anywhere, the headline says the contents were not checked', async () => {
    const a = await go({ endpoints: '- /ok\n- /ok2' })
    const head = a.summary
      .split('\n')
      .filter(l => l.trim() !== '')
      .slice(0, 3)
      .join('\n')
    expect({ head }).toMatchObject({ head: expect.stringMatching(/not checked/i) })
  })

  it('a text/html 200 to a JSON route with no expect is not silently a success', async () => {
    server.set('/api/json-route', res => sendText(res, 200, '<html>Sign in</html>', 'text/html'))
    const a = await go({ endpoints: '- /api/json-route', expect: 'json: {success: true}' })
    expect(verdictOf(a)).toMatchObject({ result: 'failed', stepFailed: true })
  })
})

describe('fail-on never and side effects that must not sink the verdict', () => {
  it('fail-on never: the step stays green but the result output says failed', async () => {
    server.set('/bad', status(500, { error: 'boom' }))
    const a = await go({ endpoints: 'critical:\n  - /bad', 'fail-on': 'never' })
    expect(verdictOf(a)).toMatchObject({
      result: 'failed',
      stepFailed: false,
      summaryWritten: true
    })
  })

  it('a report-file in an unwritable place does not change a passing verdict', async () => {
    const a = await runMain(
      core,
      run,
      { ...BASE(), endpoints: '- /ok', 'report-file': blocked() },
      { dir, reportFile: blocked() }
    )
    expect({
      result: a.outputs.result,
      stepFailed: a.failures.length > 0,
      summaryWritten: a.summary.length > 0,
      threw: a.threw,
      warnedAboutReport: a.logs.some(l => /warning: .*report/i.test(l)),
      failures: a.failures.join(' | ')
    }).toMatchObject({
      result: 'passed',
      stepFailed: false,
      summaryWritten: true,
      threw: undefined,
      warnedAboutReport: true,
      failures: ''
    })
  })

  it('a report-file in an unwritable place does not change a failing verdict', async () => {
    server.set('/bad', status(404))
    const a = await runMain(
      core,
      run,
      { ...BASE(), endpoints: '- /bad', 'report-file': blocked() },
      { dir, reportFile: blocked() }
    )
    expect({ result: a.outputs.result, stepFailed: a.failures.length > 0 }).toEqual({
      result: 'failed',
      stepFailed: true
    })
  })

  it('a job summary that cannot be written does not change the verdict', async () => {
    core.reset()
    const reportFile = path.join(dir, 'summary-fails.json')
    core.reset(
      { ...BASE(), endpoints: '- /ok', 'report-file': reportFile, 'check-name': '' },
      { summaryFails: true }
    )
    await run({ env: { GITHUB_WORKSPACE: dir, RUNNER_TEMP: dir } })
    expect({ result: core.outputs.result, failures: core.failures }).toEqual({
      result: 'passed',
      failures: []
    })
  })
})
