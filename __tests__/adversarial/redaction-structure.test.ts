/**
 * Class 1: redaction must transform leaves, never structure. Values of `headers` are masked
 * (they may be secrets), but a value that is short or common ("1", "en", "true", "step",
 * "failed", "passed") must not crash the run after warming, change the verdict, or blank
 * ordinary log text.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import fc from 'fast-check'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startHostileServer, status, type HostileServer } from '../support/hostile-server.js'
import { explain, runMain, type Artifacts } from '../support/adversarial.js'

jest.unstable_mockModule('@actions/core', () => import('../fixtures/core.js'))
const core = await import('../fixtures/core.js')
const { run } = await import('../../src/main.js')

const KEY = 'sk_live_REDACTSTRUCT_9c2e5b1d4a60'
let server: HostileServer
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'adv-redact-'))
  server = await startHostileServer()
  server.set('/fail-critical', status(404, { error: 'gone' }))
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

function inputs(scenario: 'green' | 'red', headers = ''): Record<string, string> {
  const critical = scenario === 'green' ? ['/ok-critical'] : ['/ok-critical', '/fail-critical']
  return {
    url: server.origin,
    'api-key': KEY,
    headers,
    endpoints: [
      'critical:',
      ...critical.map(p => `  - ${p}`),
      'normal:',
      '  - /n1',
      '  - /n2',
      '  - /n3'
    ].join('\n'),
    expect: 'json: {success: true}',
    timeout: '500ms',
    retries: '0',
    deadline: '5s',
    verify: 'false'
  }
}

const go = (i: Record<string, string>): Promise<Artifacts> =>
  runMain(core, run, i, { dir, limitMs: 8000 })

/** What a user notices: the verdict, and that outputs, summary and report were all written. */
function seen(a: Artifacts) {
  return {
    result: a.outputs.result,
    stepFailed: a.failures.length > 0,
    crashed: a.threw !== undefined || a.failures.some(f => /unexpected error/i.test(f)),
    summaryWritten: a.summary.length > 0,
    reportResult: a.report?.result,
    warmedOutput: a.outputs.warmed
  }
}

const COMMON = [
  'X-Debug: 1',
  'Accept-Language: en',
  'X-Warm: true',
  'X-Stage: step',
  'X-Flag: failed',
  'X-Mode: passed',
  // Names that make the value a secret (redacted everywhere): structure must still hold.
  'X-Auth-Token: passed',
  'Cookie: 1',
  'X-Session: true',
  'Authorization: {'
]

describe('redaction does not rewrite structure (short or common header values)', () => {
  it.each(COMMON)(
    '%s: a healthy run still passes and writes outputs, summary and report',
    async h => {
      const a = await go(inputs('green', h))
      expect({ ...seen(a), why: explain(a, KEY) }).toMatchObject({
        result: 'passed',
        stepFailed: false,
        crashed: false,
        summaryWritten: true,
        reportResult: 'passed',
        warmedOutput: '4'
      })
    }
  )

  it.each([
    'X-Stage: step',
    'X-Mode: passed',
    'X-Flag: failed',
    'X-Debug: 1',
    'X-Q: "',
    'X-Auth-Token: failed',
    'X-Api-Secret: step',
    'Cookie: "',
    'X-Session: result',
    'Authorization: 1'
  ])('%s: a failed critical endpoint still fails the step', async h => {
    const a = await go(inputs('red', h))
    expect({ ...seen(a), why: explain(a, KEY) }).toMatchObject({
      result: 'failed',
      stepFailed: true,
      crashed: false,
      summaryWritten: true,
      reportResult: 'failed'
    })
  })

  it('X-Debug: 3 does not blank the digits of "Warming normal: 3 endpoint(s)"', async () => {
    const a = await go(inputs('green', 'X-Debug: 3'))
    const warming = a.logs.filter(l => /Warming normal/.test(l))
    expect({ warming, why: explain(a, KEY) }).toMatchObject({
      warming: [expect.stringMatching(/Warming normal: 3 endpoint\(s\)/)]
    })
  })

  it('X-Stage: step keeps the report and summary telling which endpoint failed', async () => {
    const a = await go(inputs('red', 'X-Stage: step\nX-Warm: true'))
    const failed = (a.report?.tiers ?? [])
      .flatMap((t: { endpoints: { path: string; outcome: string }[] }) => t.endpoints)
      .filter((e: { outcome: string }) => e.outcome === 'failed')
      .map((e: { path: string }) => e.path)
    expect({ failed, why: explain(a, KEY) }).toMatchObject({ failed: ['/fail-critical'] })
    expect(a.summary).toContain('/fail-critical')
  })

  it('property: any short header value leaves the verdict as it is without it', async () => {
    const baseline = {
      green: seen(await go(inputs('green'))),
      red: seen(await go(inputs('red')))
    }
    expect(baseline.green).toMatchObject({ result: 'passed', stepFailed: false })
    expect(baseline.red).toMatchObject({ result: 'failed', stepFailed: true })
    const words = fc.constantFrom(
      'passed',
      'failed',
      'result',
      'true',
      'false',
      'null',
      '1',
      '0',
      '2',
      '4',
      '{',
      '}',
      '"',
      '[',
      ']',
      ':',
      ',',
      '\\',
      'critical',
      'normal',
      'GET',
      '/',
      'ok',
      'HIT',
      'step',
      'x',
      'ms',

      '|',
      '*',
      '***',
      'success',
      'endpoints',
      'tiers',
      '\\"',
      '": "'
    )
    const printable = fc.string({
      minLength: 1,
      maxLength: 5,
      unit: fc.integer({ min: 0x21, max: 0x7e }).map(c => String.fromCharCode(c))
    })
    const value = fc
      .oneof({ arbitrary: words, weight: 3 }, { arbitrary: printable, weight: 1 })
      .filter(v => v.trim() === v && v !== '')
    await fc.assert(
      fc.asyncProperty(
        value,
        fc.constantFrom('X-Extra', 'X-Auth-Token', 'Authorization', 'X-Session-Id', 'X-Api-Secret'),
        fc.constantFrom('green' as const, 'red' as const),
        async (v, name, s) => {
          const a = await go(inputs(s, `${name}: ${v}`))
          const got = seen(a)
          if (JSON.stringify(got) !== JSON.stringify(baseline[s]))
            throw new Error(
              `header ${name}: ${JSON.stringify(v)} changed the ${s} verdict:\n  without: ${JSON.stringify(baseline[s])}\n  with:    ${JSON.stringify(got)}\n${explain(a, KEY)}`
            )
        }
      ),
      { numRuns: 25, seed: 4242, endOnFailure: true }
    )
  }, 40_000)
})
