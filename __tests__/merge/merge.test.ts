import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { PRIORITIES, type Priority } from '../../src/config/endpoints.js'
import { MergeRefused } from '../../src/errors.js'
import { mergeReports } from '../../src/merge/merge.js'
import type { ReadReport } from '../../src/merge/read.js'
import { runAll } from '../../src/pipeline.js'
import type { EndpointResult, FullResult, PhaseResult } from '../../src/result.js'
import { shardOf } from '../../src/warm/shard.js'
import { json, startServer, type LocalServer } from '../support/server.js'
import { settingsFrom } from '../support/settings.js'

/** A report as a job would write it, from a few endpoint results. */
function report(
  endpoints: readonly Partial<EndpointResult>[],
  over: Partial<FullResult> = {}
): FullResult {
  const full = endpoints.map((e, i): EndpointResult => ({
    source: 'endpoints',
    method: 'GET',
    path: `/e${i}`,
    priority: 'normal',
    outcome: 'passed',
    status: 200,
    latencyMs: 10,
    attempts: 1,
    ...e
  }))
  const tiers = PRIORITIES.flatMap(priority => {
    const list = full.filter(e => e.priority === priority)
    return list.length ? [{ priority, endpoints: list, durationMs: 5 }] : []
  })
  const count = (o: string): number => full.filter(e => e.outcome === o).length
  return {
    schemaVersion: 1,
    tool: { name: 'cache-warm-action', version: '0.1.0' },
    target: 'https://app.example/',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1000,
    dryRun: false,
    result: full.every(e => e.outcome === 'passed') ? 'passed' : 'failed',
    stepFailed: false,
    failOn: 'critical',
    settings: {
      concurrency: 8,
      timeoutMs: 10_000,
      retries: 2,
      deadlineMs: 600_000,
      apiKeyHeader: 'X-API-Key',
      apiKeySent: true
    },
    tiers,
    totals: {
      total: full.length,
      passed: count('passed'),
      failed: count('failed'),
      skipped: count('skipped')
    },
    latency: {},
    warnings: [],
    phases: [],
    ...over
  }
}

const inputs = (...reports: FullResult[]): ReadReport[] =>
  reports.map((r, i) => ({ file: `reports/r${i + 1}.json`, report: r }))

const key = (e: EndpointResult): string => `${e.method} ${e.path} ${e.priority}`
const warmedSet = (r: FullResult): string[] =>
  r.tiers.flatMap(t => t.endpoints.map(key)).sort((a, b) => (a < b ? -1 : 1))

describe('mergeReports: sharded runs', () => {
  let server: LocalServer
  beforeAll(async () => {
    server = await startServer((req, res) => json(res, 200, { ok: true, path: req.url }))
  })
  afterAll(() => server.close())

  const endpoints = [
    'critical: [/c1, /c2, /c3, /c4]',
    'high: [/h1, /h2]',
    'normal: [/n1, /n2, /n3, /n4, /n5, "POST /n6"]',
    'low: [/l1]'
  ].join('\n')

  it('merges shards 1/3, 2/3, 3/3 of real runs into exactly the set one run warms', async () => {
    const raw = { url: server.origin, endpoints, verify: 'false' }
    const single = await runAll(settingsFrom(raw))
    const shards = await Promise.all(
      [1, 2, 3].map(i => runAll(settingsFrom({ ...raw, shard: `${i}/3` })))
    )
    const merged = mergeReports(inputs(...shards), { failOn: 'critical' })

    expect(single.totals.total).toBe(13)
    expect(warmedSet(merged)).toEqual(warmedSet(single))
    expect(merged.totals).toEqual(single.totals)
    expect(merged.merged.duplicates).toBe(0)
    expect(merged.merged.reports.map(r => r.label)).toEqual(['1/3', '2/3', '3/3'])
    expect(merged).toMatchObject({ result: 'passed', stepFailed: false })
    // The server saw each endpoint once from the shards, as from the single run.
    const sent = server.requests.map(r => `${r.method} ${r.url}`)
    expect(sent.filter(s => s === 'GET /c1')).toHaveLength(2)
  })

  it('merges any shards of any list into the set the whole list is (property)', () => {
    const pathArb = fc.stringMatching(/^\/[a-z0-9]{1,6}$/)
    const listArb = fc.uniqueArray(
      fc.record({ path: pathArb, priority: fc.constantFrom<Priority>(...PRIORITIES) }),
      { selector: e => e.path, maxLength: 60 }
    )
    fc.assert(
      fc.property(listArb, fc.integer({ min: 1, max: 12 }), (list, n) => {
        const whole = report(list)
        const shards = Array.from({ length: n }, (_, i) =>
          report(
            PRIORITIES.flatMap(p =>
              shardOf(
                list.filter(e => e.priority === p),
                { index: i + 1, count: n }
              )
            ),
            { settings: { ...whole.settings, shard: { index: i + 1, count: n, of: list.length } } }
          )
        )
        const merged = mergeReports(inputs(...shards), { failOn: 'any' })
        expect(warmedSet(merged)).toEqual(warmedSet(whole))
        expect(merged.totals.total).toBe(list.length)
        expect(merged.merged.duplicates).toBe(0)
      }),
      { numRuns: 200 }
    )
  })
})

describe('mergeReports: one verdict by the rules of one run', () => {
  it('counts an endpoint two regions warmed once, with its worst outcome, and keeps both answers', () => {
    const eu = report([{ path: '/a', colo: 'FRA' }, { path: '/b' }], {
      label: 'eu',
      colos: [{ colo: 'FRA', answers: 2 }]
    })
    const us = report(
      [
        { path: '/a', outcome: 'failed', status: 503, reason: 'answered 503', colo: 'SJC' },
        { path: '/b' }
      ],
      {
        label: 'us',
        colos: [
          { colo: 'SJC', answers: 1 },
          { colo: 'FRA', answers: 1 }
        ]
      }
    )
    const merged = mergeReports(inputs(eu, us), { failOn: 'any' })
    expect(merged.totals).toEqual({ total: 2, passed: 1, failed: 1, skipped: 0 })
    const a = merged.tiers[0]!.endpoints.find(e => e.path === '/a')!
    expect(a).toMatchObject({ outcome: 'failed', reason: 'us: answered 503', colo: 'SJC' })
    expect(a.answers).toEqual([
      expect.objectContaining({ label: 'eu', outcome: 'passed', colo: 'FRA' }),
      expect.objectContaining({ label: 'us', outcome: 'failed', status: 503 })
    ])
    expect(merged.merged.duplicates).toBe(2)
    expect(merged.colos).toEqual([
      { colo: 'FRA', answers: 3 },
      { colo: 'SJC', answers: 1 }
    ])
    expect(merged).toMatchObject({ result: 'failed', stepFailed: true })
  })

  it('leaves colos absent when no report had any', () => {
    expect(mergeReports(inputs(report([{}]), report([{}])), { failOn: 'any' })).not.toHaveProperty(
      'colos'
    )
  })

  it('puts an endpoint in the tier of the highest priority any report gave it', () => {
    const merged = mergeReports(
      inputs(
        report([{ path: '/x', priority: 'low' }]),
        report([{ path: '/x', priority: 'critical' }])
      ),
      { failOn: 'critical' }
    )
    expect(merged.tiers.map(t => t.priority)).toEqual(['critical'])
  })

  it('fails when a gate failed in any report, whatever the endpoints did', () => {
    const verifyFailed: PhaseResult = {
      name: 'verify',
      status: 'failed',
      durationMs: 3,
      detail: '1/4 from cache, below min-cached 80 %'
    }
    const ok: PhaseResult = { ...verifyFailed, status: 'passed', detail: '4/4 from cache' }
    const merged = mergeReports(
      inputs(
        report([{ path: '/a' }], { label: 'eu', phases: [ok] }),
        report([{ path: '/b' }], { label: 'us', phases: [verifyFailed] })
      ),
      { failOn: 'critical' }
    )
    expect(merged).toMatchObject({ result: 'failed', stepFailed: true })
    expect(merged.phases).toEqual([
      {
        name: 'verify',
        status: 'failed',
        durationMs: 3,
        detail: 'us: 1/4 from cache, below min-cached 80 % (failed in 1 of 2 reports)'
      }
    ])
    expect(merged.merged.reports[1]!.failedPhases).toEqual(['verify'])
  })

  it.each(['deadline', 'cancelled'] as const)(
    'counts a report stopped by %s as not warm, even if all it lists passed',
    stoppedBy => {
      const merged = mergeReports(inputs(report([{}]), report([{ path: '/b' }], { stoppedBy })), {
        failOn: 'critical'
      })
      expect(merged).toMatchObject({ result: 'failed', stepFailed: true, stoppedBy })
      expect(merged.warnings.join('\n')).toMatch(/stopped early/)
    }
  )

  it('follows fail-on: a failed normal endpoint fails any, not critical; never stays green', () => {
    const reports = inputs(
      report([{ path: '/c', priority: 'critical' }]),
      report([{ path: '/n', outcome: 'failed', reason: 'timeout' }])
    )
    expect(mergeReports(reports, { failOn: 'any' }).stepFailed).toBe(true)
    expect(mergeReports(reports, { failOn: 'critical' })).toMatchObject({
      result: 'failed',
      stepFailed: false
    })
    const critical = inputs(report([{ priority: 'critical', outcome: 'failed' }]))
    expect(mergeReports(critical, { failOn: 'never' })).toMatchObject({
      result: 'failed',
      stepFailed: false
    })
  })

  it('recomputes the verdict from the endpoints: a report that says passed but lists a failure fails', () => {
    const lying = report([{ priority: 'critical', outcome: 'failed' }], {
      result: 'passed',
      stepFailed: false
    })
    expect(mergeReports(inputs(lying), { failOn: 'critical' }).stepFailed).toBe(true)
  })

  it('is never greener than a report in it: a report whose own step failed fails the merge', () => {
    const merged = mergeReports(inputs(report([{}]), report([{}], { stepFailed: true })), {
      failOn: 'critical'
    })
    expect(merged.stepFailed).toBe(true)
    expect(merged.warnings).toContain('r2: its own step failed')
  })

  it('counts a dry-run report among real ones as not warm; all dry runs make a dry run', () => {
    const dry = report([{ path: '/d', outcome: 'skipped', cause: 'dry-run' }], {
      dryRun: true,
      result: 'dry-run'
    })
    const mixed = mergeReports(inputs(report([{}]), dry), { failOn: 'critical' })
    expect(mixed).toMatchObject({ dryRun: false, result: 'failed', stepFailed: true })
    expect(mergeReports(inputs(dry, dry), { failOn: 'critical' })).toMatchObject({
      dryRun: true,
      result: 'dry-run',
      stepFailed: false
    })
  })

  it('spans the time from the first start to the last end', () => {
    const merged = mergeReports(
      inputs(
        report([{}], { startedAt: '2026-01-01T00:00:10.000Z', durationMs: 5000 }),
        report([{}], { startedAt: '2026-01-01T00:00:00.000Z', durationMs: 2000 })
      ),
      { failOn: 'critical' }
    )
    expect(merged).toMatchObject({ startedAt: '2026-01-01T00:00:00.000Z', durationMs: 15_000 })
  })
})

describe('mergeReports: one deployment', () => {
  it('refuses reports of another deployment, naming both files and both targets', () => {
    const other = report([{}], { target: 'https://staging.example/' })
    expect(() => mergeReports(inputs(report([{}]), other), { failOn: 'critical' })).toThrow(
      new MergeRefused(
        'reports/r2.json: is a report for https://staging.example/, but reports/r1.json is for https://app.example/; merge reports of one deployment'
      )
    )
  })

  it('refuses another path of the same origin, and takes a trailing slash as the same', () => {
    const sub = report([{}], { target: 'https://app.example/v2/' })
    expect(() => mergeReports(inputs(report([{}]), sub), { failOn: 'critical' })).toThrow(
      MergeRefused
    )
    const slash = report([{}], { target: 'https://app.example' })
    expect(() => mergeReports(inputs(report([{}]), slash), { failOn: 'critical' })).not.toThrow()
  })

  it('refuses reports not for the url the merge job names', () => {
    expect(() =>
      mergeReports(inputs(report([{}])), { failOn: 'critical', target: 'https://other.example/' })
    ).toThrow(
      'reports/r1.json: is a report for https://app.example/, not for url https://other.example/'
    )
  })
})

describe('mergeReports: missing shards', () => {
  const shardReport = (index: number, count: number, label?: string): FullResult => {
    const base = report([{ path: `/s${index}` }])
    return {
      ...base,
      ...(label ? { label } : {}),
      settings: { ...base.settings, shard: { index, count, of: count } }
    }
  }

  it('fails when a shard of the matrix left no report, though every report passed', () => {
    const merged = mergeReports(inputs(shardReport(1, 3), shardReport(3, 3)), {
      failOn: 'critical'
    })
    expect(merged).toMatchObject({ result: 'failed', stepFailed: true })
    expect(merged.merged.missing).toEqual(['shard 2/3 has no report'])
    expect(merged.warnings[0]).toBe('shard 2/3 has no report: its share counts as not warm')
  })

  it('checks each labelled region of shards on its own', () => {
    const merged = mergeReports(
      inputs(shardReport(1, 2, 'eu'), shardReport(2, 2, 'eu'), shardReport(1, 2, 'us')),
      { failOn: 'critical' }
    )
    expect(merged.merged.missing).toEqual(['us shard 2/2 has no report'])
    const whole = mergeReports(inputs(shardReport(1, 2, 'eu'), shardReport(2, 2, 'eu')), {
      failOn: 'critical'
    })
    expect(whole).toMatchObject({ result: 'passed', stepFailed: false })
    expect(whole.merged).not.toHaveProperty('missing')
  })
})
