/**
 * End to end: the built action (dist/index.js) run as a child process the way a GitHub runner
 * runs it, against a fake freshly deployed trading-reports API on 127.0.0.1.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import type { FakeApi } from '../../scripts/fake-api.js'
import {
  cleanUp,
  ensureBuilt,
  fakeApi,
  runAction,
  TRADING_ENDPOINTS,
  TRADING_ENDPOINT_COUNT,
  type Run,
  type ReportEndpoint
} from '../support/run-action.js'

const ENDPOINTS = TRADING_ENDPOINTS
const COUNT = TRADING_ENDPOINT_COUNT
const EXPECT = 'json: {success: true, data: non-empty, real_data: true}'

afterEach(cleanUp)

function inputs(api: FakeApi, key: string | undefined, more: Record<string, string> = {}) {
  return { url: api.url, 'api-key': key, endpoints: ENDPOINTS, expect: EXPECT, ...more }
}

function endpoint(run: Run, p: string): ReportEndpoint | undefined {
  return run.report?.tiers.flatMap(t => t.endpoints).find(e => e.path === p)
}

/**
 * The key must be in no artifact. The one exception is the `::add-mask::` command, which is
 * how the runner learns to mask it; the runner consumes that line and never shows it.
 */
function expectKeyAbsent(run: Run, key: string): void {
  const mask = `::add-mask::${key}`
  expect(run.stdout.split('\n')).toContain(mask)
  const stdout = run.stdout
    .split('\n')
    .filter(line => line !== mask)
    .join('\n')
  for (const [name, text] of Object.entries({
    stdout,
    stderr: run.stderr,
    summary: run.summary,
    outputs: run.outputFile,
    report: run.reportFile
  })) {
    expect({ [name]: text.includes(key) }).toEqual({ [name]: false })
  }
}

const newKey = (): string => `cwk_${randomBytes(16).toString('hex')}`

beforeAll(ensureBuilt, 180_000)

describe('the built action against a fresh deployment', () => {
  it('warms every endpoint, tier by tier, and passes', async () => {
    const key = newKey()
    const api = await fakeApi({ apiKey: key })
    const run = await runAction(inputs(api, key))

    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({
      result: 'passed',
      warmed: String(COUNT),
      failed: '0',
      skipped: '0'
    })
    // Cold answers take 150-250 ms on the fake: the latency outputs show it.
    expect(Number(run.outputs['cold-p50-ms'])).toBeGreaterThanOrEqual(100)
    expect(Number(run.outputs['cold-p95-ms'])).toBeGreaterThanOrEqual(
      Number(run.outputs['cold-p50-ms'])
    )
    expect(run.outputs.report).toMatch(/cache-warm-report\.json$/)
    expect(run.report?.tiers.map(t => t.priority)).toEqual(['critical', 'high', 'normal'])
    expect(run.report?.totals).toEqual({ total: COUNT, passed: COUNT, failed: 0, skipped: 0 })
    expect(run.summary).toContain(`Cache warm passed: ${COUNT}/${COUNT} endpoints warmed`)
    expect(run.summary).toContain('X-Cache: MISS')
    // Every endpoint was asked for (later phases may ask again), and the key was accepted.
    for (const p of ENDPOINTS.match(/\/api\/\S+/g) ?? [])
      expect(api.stats.byPath[`GET ${p}`]).toBeGreaterThanOrEqual(1)
    expect(api.stats.unauthorized).toBe(0)
    expectKeyAbsent(run, key)
  })

  it('fails on a wrong key, explains the 401 and the header, and never shows the key', async () => {
    const api = await fakeApi({ apiKey: newKey() })
    const wrong = newKey()
    const run = await runAction(inputs(api, wrong))

    expect(run.code).toBe(1)
    expect(run.outputs.result).toBe('failed')
    expect(run.summary).toMatch(/401 \(unauthorized\)/)
    expect(run.summary).toMatch(/key sent in header X-API-Key was refused/)
    expect(endpoint(run, '/api/v1/symbols')?.cause).toBe('http-401')
    expectKeyAbsent(run, wrong)
  })

  it('fails without a key and says none was sent', async () => {
    const api = await fakeApi({ apiKey: newKey() })
    const run = await runAction(inputs(api, undefined))

    expect(run.code).toBe(1)
    expect(run.outputs.result).toBe('failed')
    expect(run.summary).toMatch(/401 \(unauthorized\): no api-key was given/)
    expect(run.summary).toContain('X-API-Key')
    expect(api.stats.unauthorized).toBe(api.stats.requests)
  })

  it('fails on placeholder data and names real_data', async () => {
    const key = newKey()
    const api = await fakeApi({ apiKey: key, placeholder: true })
    const run = await runAction(inputs(api, key))

    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({ result: 'failed', warmed: '0', failed: String(COUNT) })
    expect(run.summary).toContain('`real_data` was false (expected true)')
    expect(endpoint(run, '/api/v1/reports/pre-market')?.cause).toBe('assertion')
  })

  it('fails on a 200 that carries no data, with fail-on any', async () => {
    const key = newKey()
    const api = await fakeApi({ apiKey: key, missingData: ['/api/v1/reports/intraday'] })
    const run = await runAction(inputs(api, key, { 'fail-on': 'any' }))

    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({ result: 'failed', warmed: String(COUNT - 1), failed: '1' })
    expect(endpoint(run, '/api/v1/reports/intraday')?.reason).toMatch(/`data` missing/)
  })

  it('names one slow endpoint as timed out, passes the rest, and does not wait for it', async () => {
    const key = newKey()
    const slowMs = 3000
    const api = await fakeApi({ apiKey: key, slow: { '/api/v1/sentiment/NVDA': slowMs } })
    const run = await runAction(inputs(api, key, { timeout: '300ms', retries: '1' }))

    // Only a normal endpoint failed, and fail-on is critical: the step stays green.
    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({ result: 'failed', warmed: String(COUNT - 1), failed: '1' })
    const slow = endpoint(run, '/api/v1/sentiment/NVDA')
    expect(slow).toMatchObject({ outcome: 'failed', cause: 'timeout', attempts: 2 })
    expect(run.summary).toMatch(/GET \/api\/v1\/sentiment\/NVDA timed out after 300ms/)
    // Two attempts at the slow answer would take 6 s; the timeout cuts each at 300 ms.
    expect(run.ms).toBeLessThan(slowMs)
  })

  it('keeps the key out of everything even when the server echoes it back', async () => {
    const key = newKey()
    const api = await fakeApi({ apiKey: key, echoKey: true })
    const good = await runAction(inputs(api, key))
    expect(good.code).toBe(0)
    expectKeyAbsent(good, key)

    const wrong = newKey()
    const bad = await runAction(inputs(api, wrong))
    expect(bad.code).toBe(1)
    // The server put the key in its error text; the action quotes that text, redacted.
    expect(bad.summary).toContain('server said: "Invalid API key: ***"')
    expectKeyAbsent(bad, wrong)
  })

  it('stays green with fail-on never, while the result output says failed', async () => {
    const key = newKey()
    const api = await fakeApi({ apiKey: key, failing: ['/api/v1/reports/pre-market'] })
    const run = await runAction(inputs(api, key, { 'fail-on': 'never', retries: '0' }))

    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({ result: 'failed', warmed: String(COUNT - 1), failed: '1' })
    expect(run.report).toMatchObject({ result: 'failed', stepFailed: false })
    expect(run.summary).toMatch(/503/)
    expect(run.summary).toContain('fail-on is never')
  })

  it('rejects a bad input with one line naming it, and sends nothing', async () => {
    const key = newKey()
    const api = await fakeApi({ apiKey: key })
    const endpoints = '- /api/v1/symbols\n- {path: /api/v1/reports/pre-market, priority: urgent}\n'
    const run = await runAction({ ...inputs(api, key), endpoints })

    expect(run.code).toBe(1)
    const errors = run.stdout.split('\n').filter(line => line.startsWith('::error'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^::error::endpoints\[1\]\.priority: expected one of critical/)
    expect(run.outputs.result).toBe('failed')
    expect(run.summary).toContain('did not start')
    expect(run.reportFile).toBe('')
    expect(api.stats.requests).toBe(0)
    expectKeyAbsent(run, key)
  })
})
