/**
 * Scenarios that may block the event loop (catastrophic regex backtracking, deep recursion run
 * synchronously): run by __tests__/adversarial/isolated.test.ts in a child jest process it can
 * kill, so one hang cannot freeze the suite. Not a test file on its own (*.case.ts); it writes
 * one JSON line per scenario, "start" then "done", to ADV_OUT.
 */
import { it, jest } from '@jest/globals'
import { appendFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  deepJson,
  sendText,
  startHostileServer,
  urlset,
  xml
} from '../../support/hostile-server.js'
import { runMain } from '../../support/adversarial.js'

jest.unstable_mockModule('@actions/core', () => import('../../fixtures/core.js'))
const core = await import('../../fixtures/core.js')
const { run } = await import('../../../src/main.js')

const out = process.env.ADV_OUT ?? ''
const wanted = (process.env.ADV_CASES ?? '').split(',').filter(Boolean)
const KEY = 'sk_live_ISOLATED_9c2e5b1d4a607f3a'
const LONG = 'a'.repeat(30_000) + '!'

it('isolated scenarios', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'adv-isolated-'))
  const server = await startHostileServer()
  const base = {
    url: server.origin,
    'api-key': KEY,
    timeout: '500ms',
    retries: '0',
    deadline: '3s',
    verify: 'false'
  }
  const scenarios: Record<string, () => Record<string, string>> = {
    'deep-metrics': () => {
      server.set('/metrics', res =>
        sendText(
          res,
          200,
          `{"cacheStats":{"overallHitRate":0.9,"l2Size":5},"deep":${deepJson(100_000)}}`,
          'application/json'
        )
      )
      return {
        ...base,
        endpoints: '- /ok',
        'metrics-path': '/metrics',
        'min-hit-rate': '0.8',
        'poll-interval': '100ms',
        'poll-timeout': '1s'
      }
    },
    'deep-endpoint': () => {
      server.set('/api/deep', res =>
        sendText(res, 200, `{"data":${deepJson(100_000)}}`, 'application/json')
      )
      return { ...base, endpoints: '- /api/deep' }
    },
    'deep-endpoint-expect': () => {
      server.set('/api/deep', res =>
        sendText(res, 200, `{"success":true,"data":${deepJson(100_000)}}`, 'application/json')
      )
      return { ...base, endpoints: '- /api/deep', expect: 'json: {success: true, data: non-empty}' }
    },
    'deep-array-endpoint': () => {
      server.set('/api/deep', res =>
        sendText(res, 200, '['.repeat(100_000) + ']'.repeat(100_000), 'application/json')
      )
      return { ...base, endpoints: '- /api/deep' }
    },
    'redos-anchored': () => {
      server.set('/sitemap.xml', xml(urlset([`${server.origin}/${LONG}`, `${server.origin}/ok`])))
      return { ...base, sitemap: '/sitemap.xml', 'sitemap-exclude': 're:^(a+)+$' }
    },
    'redos-slash': () => {
      server.set('/sitemap.xml', xml(urlset([`${server.origin}/${LONG}`, `${server.origin}/ok`])))
      return { ...base, sitemap: '/sitemap.xml', 'sitemap-exclude': 're:^/(a+)+$' }
    },
    'redos-unanchored': () => {
      server.set('/sitemap.xml', xml(urlset([`${server.origin}/${LONG}`, `${server.origin}/ok`])))
      return { ...base, sitemap: '/sitemap.xml', 'sitemap-exclude': 're:(a+)+$' }
    },
    'redos-short': () => {
      // Short enough for any URL length cap: the regex itself must be bounded.
      const p = 'a'.repeat(40) + '!'
      server.set('/sitemap.xml', xml(urlset([`${server.origin}/${p}`, `${server.origin}/ok`])))
      return { ...base, sitemap: '/sitemap.xml', 'sitemap-exclude': 're:(a+)+$' }
    },
    'redos-query': () => {
      const q = 'a'.repeat(40) + '!'
      server.set('/sitemap.xml', xml(urlset([`${server.origin}/p?${q}`, `${server.origin}/ok`])))
      return { ...base, sitemap: '/sitemap.xml', 'sitemap-exclude': 're:\\?(a+)+$' }
    },
    'redos-glob': () => {
      server.set(
        '/sitemap.xml',
        xml(urlset([`${server.origin}/${'a/'.repeat(500)}x!`, `${server.origin}/ok`]))
      )
      return { ...base, sitemap: '/sitemap.xml', 'sitemap-exclude': '/**/**/**/**/**/**/**/**/y' }
    }
  }
  for (const name of wanted) {
    server.reset()
    appendFileSync(out, JSON.stringify({ name, phase: 'start', at: Date.now() }) + '\n')
    const inputs = scenarios[name]!()
    const a = await runMain(core, run, inputs, { dir, limitMs: 10_000 })
    const all = [a.logs.join('\n'), a.summary, a.failures.join('\n'), a.reportText, a.threw ?? '']
    appendFileSync(
      out,
      JSON.stringify({
        name,
        phase: 'done',
        at: Date.now(),
        ms: a.ms,
        hung: a.hung,
        result: a.outputs.result,
        stepFailed: a.failures.length > 0,
        failures: a.failures.map(f => f.slice(0, 300)),
        summaryWritten: a.summary.length > 0,
        reportWritten: a.report !== undefined,
        warmed: a.outputs.warmed,
        stackOverflow: all.some(t => /Maximum call stack/i.test(t)),
        threw: a.threw?.split('\n')[0]
      }) + '\n'
    )
  }
  await server.close()
}, 120_000)
