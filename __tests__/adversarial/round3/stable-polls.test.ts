/**
 * Round 3: stable-polls against settings that can never pass and metrics that agree only on
 * every other poll. The action (src/main.ts, the fixture @actions/core) against a real server on
 * 127.0.0.1.
 */
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import { sendJson, useHostileServer } from '../../support/hostile-server.js'
import { runMain } from '../../support/adversarial.js'

jest.unstable_mockModule('@actions/core', () => import('../../fixtures/core.js'))
const core = await import('../../fixtures/core.js')
const { run } = await import('../../../src/main.js')

const env = useHostileServer('adv3-stable-')
beforeEach(() => {
  env.server.reset()
  // Healthy metrics: the hit rate meets the threshold on every poll after the baseline.
  env.server.set('/metrics', (res, ctx) =>
    sendJson(res, 200, {
      cacheStats: { totalRequests: ctx.hits * 10, overallHitRate: ctx.hits === 1 ? 0.05 : 0.9 }
    })
  )
})

const go = (more: Record<string, string>) =>
  runMain(
    core,
    run,
    {
      url: env.server.origin,
      endpoints: '- /a',
      'metrics-path': '/metrics',
      'min-hit-rate': '70%',
      retries: '0',
      ...more
    },
    { dir: env.dir, limitMs: 10_000 }
  )

describe('stable-polls that cannot fit in poll-timeout', () => {
  it('is refused in one line before anything is sent, not after the whole warm', async () => {
    // Polls at 0, 10 s and 20 s: three at most, never four in a row.
    const a = await go({ 'stable-polls': '4', 'poll-interval': '10s', 'poll-timeout': '20s' })
    expect(a.failures).toEqual([
      'stable-polls: 4 polls in a row cannot fit in poll-timeout 20s at poll-interval 10s (at most 3 polls); raise poll-timeout to at least 30s or lower stable-polls'
    ])
    expect(a.outputs.result).toBe('failed')
    expect(env.server.requests).toHaveLength(0)
    expect(a.summary).toContain('Bad input: stable-polls: 4 polls in a row cannot fit')
  })

  it('is accepted when the last poll, at poll-timeout, completes the count, and passes', async () => {
    // Polls at 0, 300 and 600 ms: exactly three, all met.
    const a = await go({ 'stable-polls': '3', 'poll-interval': '300ms', 'poll-timeout': '600ms' })
    expect(a.failures).toEqual([])
    expect(a.outputs.result).toBe('passed')
    expect(a.report!.metrics).toMatchObject({ met: true, polls: 3, stablePolls: 3 })
  })

  it('is not checked without thresholds (the metrics are read once, for the outputs)', async () => {
    const a = await go({
      'min-hit-rate': '',
      'stable-polls': '100',
      'poll-interval': '10s',
      'poll-timeout': '10s'
    })
    expect(a.failures).toEqual([])
    expect(a.outputs.result).toBe('passed')
  })
})

describe('a metrics answer served from a cache', () => {
  it.each([
    ['CF-Cache-Status', 'HIT'],
    ['Age', '30'],
    ['X-Cache', 'Hit from cloudfront']
  ])(
    'one warm read repeated by a cache (%s: %s) is not two polls agreeing',
    async (name, value) => {
      // The baseline is fresh and cold; the first poll after the warm is fresh and warm, and a
      // cache in front of the metrics route repeats it on every poll after.
      env.server.set('/metrics', (res, ctx) =>
        sendJson(
          res,
          200,
          {
            cacheStats: {
              totalRequests: Math.min(ctx.hits, 2) * 10,
              overallHitRate: ctx.hits === 1 ? 0.05 : 0.9
            }
          },
          ctx.hits > 2 ? { [name]: value } : {}
        )
      )
      const a = await go({ 'poll-interval': '20ms', 'poll-timeout': '600ms' })
      expect(a.outputs.result).toBe('failed')
      expect(a.outputs['thresholds-met']).toBe('false')
      expect(a.report!.metrics.met).toBe(false)
      expect(a.report!.metrics.error).toContain(
        `fell back on poll 2 (the answer was 200 from a cache (${name}: ${value}), not the counters now: make the metrics route uncacheable (Cache-Control: no-store)`
      )
    }
  )

  it('a fresh answer with Age: 0 and X-Cache: MISS still counts', async () => {
    env.server.set('/metrics', (res, ctx) =>
      sendJson(
        res,
        200,
        {
          cacheStats: { totalRequests: ctx.hits * 10, overallHitRate: ctx.hits === 1 ? 0.05 : 0.9 }
        },
        { Age: '0', 'X-Cache': 'MISS', 'CF-Cache-Status': 'DYNAMIC' }
      )
    )
    const a = await go({ 'poll-interval': '20ms', 'poll-timeout': '600ms' })
    expect(a.failures).toEqual([])
    expect(a.report!.metrics).toMatchObject({ met: true, polls: 2 })
  })
})
