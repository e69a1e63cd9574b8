/**
 * Round 3: expect-version against a gradual deployment that lies where the warm and verify
 * checks do not look. The action (src/main.ts, the fixture @actions/core) against a real server
 * on 127.0.0.1 whose answers come from two versions.
 */
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import { sendJson, useHostileServer, type HostileServer } from '../../support/hostile-server.js'
import { artifactTexts, runMain } from '../../support/adversarial.js'

jest.unstable_mockModule('@actions/core', () => import('../../fixtures/core.js'))
const core = await import('../../fixtures/core.js')
const { run } = await import('../../../src/main.js')

const env = useHostileServer('adv3-version-')
beforeEach(() => {
  env.server.reset()
  // Every endpoint answers from the new version, from cache when asked again.
  env.server.set('/api/*', res =>
    sendJson(res, 200, { success: true, data: [1] }, { 'X-Worker-Version': 'v2', 'X-Cache': 'HIT' })
  )
})

const INPUTS = {
  endpoints: 'critical: [/api/a, /api/b]',
  'expect-version': 'header:X-Worker-Version=v2',
  'metrics-path': '/metrics',
  'min-hit-rate': '70%',
  'poll-interval': '20ms',
  'poll-timeout': '400ms',
  retries: '0'
}

const go = (more: Record<string, string> = {}) =>
  runMain(
    core,
    run,
    { url: env.server.origin, ...INPUTS, ...more },
    { dir: env.dir, limitMs: 10_000 }
  )

/** A metrics answer from `version` with this hit rate; the counter moves on every read. */
function metricsFrom(
  res: Parameters<Parameters<HostileServer['set']>[1]>[0],
  hits: number,
  version: string | undefined,
  hitRate: number
) {
  sendJson(
    res,
    200,
    { cacheStats: { totalRequests: hits * 10, l2Size: 40, overallHitRate: hitRate } },
    version ? { 'X-Worker-Version': version } : {}
  )
}

describe('the metrics gate during a gradual deployment (expect-version)', () => {
  it("does not pass on the old version's metrics, warm from its own traffic", async () => {
    // The baseline comes from the new version (cold); every poll after it from the old one,
    // whose counters meet the threshold on every poll.
    env.server.set('/metrics', (res, ctx) =>
      ctx.hits === 1 ? metricsFrom(res, 1, 'v2', 0.05) : metricsFrom(res, ctx.hits, 'v1', 0.95)
    )

    const a = await go()

    expect(a.outputs.result).toBe('failed')
    expect(a.outputs['thresholds-met']).toBe('false')
    expect(a.failures).toEqual(['cache not proven warm: metrics failed; see the job summary'])
    expect(a.report!.metrics.met).toBe(false)
    expect(a.report!.metrics.error).toMatch(
      /^no good answer from \/metrics in 400ms \(\d+ poll\(s\)\): last answer 200 but answered from version v1, expected v2 \(X-Worker-Version\)$/
    )
    expect(a.summary).toContain('answered from version v1, expected v2')
  })

  it("does not count the old version's polls towards stable-polls, and says which version answered", async () => {
    // Old and new answer the metrics in turn, both meeting the threshold: no two polls in a
    // row come from the new version.
    env.server.set('/metrics', (res, ctx) =>
      ctx.hits === 1
        ? metricsFrom(res, 1, 'v2', 0.05)
        : metricsFrom(res, ctx.hits, ctx.hits % 2 === 0 ? 'v2' : 'v1', 0.95)
    )

    const a = await go()

    expect(a.outputs.result).toBe('failed')
    const m = a.report!.metrics
    expect(m.met).toBe(false)
    expect(m.error).toMatch(
      /^every threshold held on \d+ of \d+ poll\(s\) but never 2 polls in a row \(stable-polls\): met on poll \d+, fell back on poll \d+ \(the answer was 200 but answered from version v1, expected v2 \(X-Worker-Version\)\): another version answered the metrics, so its counters say nothing of this one/
    )
    expect((m.pollLog as { met: boolean }[]).slice(0, 4).map(p => p.met)).toEqual([
      true,
      false,
      true,
      false
    ])
  })

  it('still passes on metrics that show no version at all (nothing says they are another one)', async () => {
    env.server.set('/metrics', (res, ctx) =>
      metricsFrom(res, ctx.hits, undefined, ctx.hits === 1 ? 0.05 : 0.95)
    )
    const a = await go()
    expect(a.failures).toEqual([])
    expect(a.outputs.result).toBe('passed')
    expect(a.report!.metrics).toMatchObject({ met: true, polls: 2 })
  })

  it('refuses an old-version baseline instead of comparing the new counters with it', async () => {
    // Baseline from the old version (warm), polls from the new one: "already held before
    // warming" would be a doubt about the wrong version.
    env.server.set('/metrics', (res, ctx) =>
      ctx.hits === 1 ? metricsFrom(res, 1, 'v1', 0.95) : metricsFrom(res, ctx.hits, 'v2', 0.9)
    )
    const a = await go()
    expect(a.outputs.result).toBe('passed')
    expect(a.report!.metrics.baselineAnswer).toBe(
      '200 but answered from version v1, expected v2 (X-Worker-Version)'
    )
    expect(a.report!.metrics.doubts).toEqual([])
  })
})

describe('the version an answer shows stays bounded', () => {
  it('a 12 KB version header on the readiness path is cut in the log, the summary and the report', async () => {
    const huge = `v1-${'y'.repeat(12_000)}`
    env.server.set('/health', res => sendJson(res, 200, { ok: true }, { 'X-Worker-Version': huge }))
    const a = await go({
      'metrics-path': '',
      'min-hit-rate': '',
      'wait-for': '/health',
      'wait-for-version': 'header:X-Worker-Version=v2',
      'wait-timeout': '150ms',
      'poll-interval': '50ms'
    })
    expect(a.outputs.result).toBe('failed')
    const all = Object.values(artifactTexts(a)).join('\n')
    expect(all).not.toContain('y'.repeat(100))
    expect(a.report!.wait.versionSeen).toBe(`X-Worker-Version: v1-${'y'.repeat(54)}...`)
  })
})
