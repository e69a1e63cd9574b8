/**
 * End to end, the phases around warming: the built action (dist/index.js) against the fake API
 * with metrics that lag, a threshold it never reaches, and a version that goes live late.
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
  type Run
} from '../support/run-action.js'

const ENDPOINTS = TRADING_ENDPOINTS
const COUNT = TRADING_ENDPOINT_COUNT
const METRICS = '/api/v1/cache/metrics'
const FAST: [number, number] = [20, 40]

afterEach(cleanUp)
beforeAll(ensureBuilt, 180_000)

const newKey = (): string => `cwk_${randomBytes(16).toString('hex')}`

function inputs(api: FakeApi, key: string, more: Record<string, string> = {}) {
  return { url: api.url, 'api-key': key, endpoints: ENDPOINTS, ...more }
}

const phase = (run: Run, name: string) => run.report?.phases?.find(p => p.name === name)

describe('the built action: metrics thresholds', () => {
  it('waits for metrics that lag behind the warm, then passes with thresholds-met=true', async () => {
    const key = newKey()
    const api = await fakeApi({
      apiKey: key,
      coldMs: FAST,
      metricsLagMs: 2000,
      rateFormat: 'percent-string'
    })

    const run = await runAction(
      inputs(api, key, {
        'metrics-path': METRICS,
        'min-hit-rate': '40%',
        'min-cache-size': String(COUNT),
        'poll-interval': '500ms',
        'poll-timeout': '10s'
      })
    )

    expect(run.code).toBe(0)
    // Warm: 6 misses; verify: 6 hits. The metrics show 50 % only once the lag has passed.
    expect(run.outputs).toMatchObject({
      result: 'passed',
      warmed: String(COUNT),
      'thresholds-met': 'true',
      'hit-rate': '0.5',
      'cache-size': String(COUNT)
    })
    const metrics = run.report?.metrics
    expect(metrics?.polls).toBeGreaterThanOrEqual(3)
    const [hitRate, size] = metrics!.thresholds
    expect(hitRate).toMatchObject({ baseline: 0, final: 0.5, met: true, scale: '"NN%" string' })
    expect(hitRate!.progression[0]).toBe(0)
    expect(size).toMatchObject({ baseline: 0, final: COUNT, met: true })
    expect(size!.progression[0]).toBe(0)
    // It waited for the lag, and no longer than needed.
    expect(phase(run, 'metrics')?.durationMs).toBeGreaterThanOrEqual(1000)
    expect(phase(run, 'metrics')?.durationMs).toBeLessThan(4000)
    expect(phase(run, 'metrics')?.status).toBe('passed')
    expect(run.summary).toContain(`### Cache metrics · \`${METRICS}\``)
    expect(run.summary).toMatch(
      /\| ✅ \| `cacheStats\.overallHitRate >= 40%` \| 0 % \| 0 % → .*50 % \| 50 % \| >= 40 % \| "NN%" string \|/
    )
    expect(run.summary).toContain(`### Verify · ${COUNT}/${COUNT} from cache`)
    expect(run.outputs['warm-p50-ms']).toMatch(/^\d+$/)
    expect(Number(run.outputs.speedup)).toBeGreaterThan(1)
  })

  it('fails at poll-timeout with an unreachable threshold, naming it and its last value', async () => {
    const key = newKey()
    const api = await fakeApi({ apiKey: key, coldMs: FAST })

    const run = await runAction(
      inputs(api, key, {
        'metrics-path': METRICS,
        thresholds: 'cacheStats.l2Size >= 1000',
        'poll-interval': '500ms',
        'poll-timeout': '2s'
      })
    )

    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({
      result: 'failed',
      warmed: String(COUNT),
      'thresholds-met': 'false'
    })
    const metricsPhase = phase(run, 'metrics')
    expect(metricsPhase?.status).toBe('failed')
    // Not before poll-timeout, and not much later: one interval, plus slack for a busy machine.
    expect(metricsPhase?.durationMs).toBeGreaterThanOrEqual(2000)
    expect(metricsPhase?.durationMs).toBeLessThan(3500)
    expect(run.report?.metrics?.thresholds[0]).toMatchObject({
      met: false,
      final: COUNT,
      target: 1000
    })
    expect(run.summary).toContain(`| ❌ | \`cacheStats.l2Size >= 1000\` | 0 |`)
    expect(run.summary).toContain(`| ${COUNT} | >= 1000 | number |`)
    expect(run.summary).toMatch(
      /❌ metrics \| 2(\.\d)?s \| 1 threshold\(s\) not met after 2(\.\d)?s: cacheStats\.l2Size >= 1000/
    )
  })
})

describe('the built action: readiness', () => {
  it('waits until /health shows the new version, sending the version override on every request', async () => {
    const key = newKey()
    const api = await fakeApi({
      apiKey: key,
      coldMs: FAST,
      version: 'v2',
      previousVersion: 'v1',
      versionAfterMs: 1000
    })

    const run = await runAction(
      inputs(api, key, {
        'wait-for': '/health',
        'wait-for-version': 'version=v2',
        'wait-timeout': '10s',
        'poll-interval': '250ms',
        'version-override': 'trading-reports="v2-id"'
      })
    )

    expect(run.code).toBe(0)
    expect(run.report?.wait).toMatchObject({ ready: true, versionSeen: 'version="v2"' })
    // Poll 1 saw the old version (the log line below), so it polled again at least once, a
    // poll-interval later. How many more depends on how long the child took to start: the old
    // version stops answering 1 s after the server started, and a busy machine eats most of that.
    expect(run.report?.wait?.polls).toBeGreaterThanOrEqual(2)
    expect(phase(run, 'wait')?.durationMs).toBeGreaterThanOrEqual(250)
    // Nothing was warmed while the old version still answered.
    expect(api.stats.firstDataVersion).toBe('v2')
    expect(api.stats.withVersionOverride).toBe(api.stats.requests)
    expect(run.summary).toMatch(/version v2 live after \d+ poll\(s\)/)
    expect(run.stdout).toContain(
      'not ready yet (poll 1: 200, but not the new version (version="v1"; waiting for version=v2))'
    )
  })

  it('fails without warming when the new version never shows, naming the version it saw', async () => {
    const key = newKey()
    const api = await fakeApi({
      apiKey: key,
      version: 'v2',
      previousVersion: 'v1',
      versionAfterMs: 60_000
    })

    const run = await runAction(
      inputs(api, key, {
        'wait-for': '/health',
        'wait-for-version': 'header:X-Worker-Version=v2',
        'wait-timeout': '1s',
        'poll-interval': '250ms'
      })
    )

    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({ result: 'failed', warmed: '0', skipped: String(COUNT) })
    expect(run.report?.wait?.message).toBe(
      `deployment at ${api.url}/health not ready after 1s: last answer 200, but not the new version (X-Worker-Version: v1; waiting for header:X-Worker-Version=v2)`
    )
    expect(Object.keys(api.stats.byPath)).toEqual(['GET /health'])
    expect(run.summary).toContain('not ready after 1s')
    expect(run.ms).toBeLessThan(5000)
  })
})
