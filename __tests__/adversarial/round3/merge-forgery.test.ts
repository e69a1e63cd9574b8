/**
 * Round 3: tampered and forged reports fed to the merge. Each report goes through reportOf (the
 * schema the merge job reads files with), then mergeReports: what a user sees is the merged
 * verdict, or one line refusing the file.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { MergeRefused } from '../../../src/errors.js'
import { mergeReports } from '../../../src/merge/merge.js'
import { reportOf, type ReadReport } from '../../../src/merge/read.js'
import type { FullResult } from '../../../src/result.js'
import { runAll } from '../../../src/pipeline.js'
import { reportJson } from '../../support/reports.js'
import { json, startServer, type LocalServer } from '../../support/server.js'
import { settingsFrom } from '../../support/settings.js'

type Doc = Record<string, unknown>

const ep = (path: string, over: Doc = {}): Doc => ({
  source: 'endpoints',
  method: 'GET',
  path,
  priority: 'normal',
  outcome: 'passed',
  status: 200,
  attempts: 1,
  ...over
})

/** A report document whose totals follow its endpoints (as a job writes it). */
function doc(endpoints: Doc[], over: Doc = {}): Doc {
  const count = (o: string): number => endpoints.filter(e => e.outcome === o).length
  const byTier = ['critical', 'high', 'normal', 'low'].flatMap(priority => {
    const list = endpoints.filter(e => e.priority === priority)
    return list.length ? [{ priority, durationMs: 5, endpoints: list }] : []
  })
  return {
    ...(JSON.parse(reportJson()) as Doc),
    tiers: byTier,
    totals: {
      total: endpoints.length,
      passed: count('passed'),
      failed: count('failed'),
      skipped: count('skipped')
    },
    ...over
  }
}

const read = (d: Doc, file = 'r.json'): FullResult => reportOf(file, Buffer.from(JSON.stringify(d)))
const inputs = (...docs: Doc[]): ReadReport[] =>
  docs.map((d, i) => ({
    file: `reports/r${i + 1}.json`,
    report: read(d, `reports/r${i + 1}.json`)
  }))
function refused(d: Doc): string {
  try {
    read(d)
  } catch (error) {
    expect(error).toBeInstanceOf(MergeRefused)
    return (error as Error).message
  }
  throw new Error('the report was read')
}

describe('a dry run among real runs', () => {
  it('fails the merge under fail-on critical, though the real report passed its critical endpoint', () => {
    const real = doc([ep('/c', { priority: 'critical' })])
    const dry = doc(
      [ep('/n', { outcome: 'skipped', status: undefined, attempts: 0, cause: 'dry-run' })],
      {
        dryRun: true,
        result: 'dry-run'
      }
    )
    expect(mergeReports(inputs(real, dry), { failOn: 'critical' })).toMatchObject({
      result: 'failed',
      stepFailed: true
    })
  })

  it('fails the merge when a forged dry run lists its endpoints as passed', () => {
    const real = doc([ep('/c', { priority: 'critical' })])
    const dry = doc([ep('/n')], { dryRun: true, result: 'dry-run' })
    expect(mergeReports(inputs(real, dry), { failOn: 'critical' }).stepFailed).toBe(true)
  })
})

describe('shards of different lists', () => {
  const shard = (index: number, count: number, of: number, paths: string[]): Doc =>
    doc(
      paths.map(p => ep(p)),
      {
        settings: {
          ...(JSON.parse(reportJson()) as { settings: Doc }).settings,
          shard: { index, count, of }
        }
      }
    )

  it('fails when the shards say their whole lists differ in size, and says so', () => {
    const merged = mergeReports(
      inputs(shard(1, 2, 4, ['/a', '/c']), shard(2, 2, 6, ['/b', '/d', '/f'])),
      { failOn: 'critical' }
    )
    expect(merged).toMatchObject({ result: 'failed', stepFailed: true })
    expect(merged.merged.mismatched).toEqual([
      'shards of 2 were cut from lists of different sizes (4 and 6 endpoints)'
    ])
  })

  it('fails when every shard is there but together they warmed fewer endpoints than the list has', () => {
    // Shard 2 of 4 endpoints lists one: an endpoint was cut from its report.
    const merged = mergeReports(inputs(shard(1, 2, 4, ['/a', '/c']), shard(2, 2, 4, ['/b'])), {
      failOn: 'critical'
    })
    expect(merged.stepFailed).toBe(true)
    expect(merged.merged.mismatched).toEqual([
      'shards of 2 warmed 3 distinct endpoint(s), but the list they were cut from has 4'
    ])
  })

  describe('real runs', () => {
    let server: LocalServer
    beforeAll(async () => {
      server = await startServer((_req, res) => json(res, 200, { ok: true }))
    })
    afterAll(() => server.close())
    const runShard = (endpoints: string, shard: string): Promise<FullResult> =>
      runAll(settingsFrom({ url: server.origin, endpoints, verify: 'false', shard }))
    const asRead = (...reports: FullResult[]): ReadReport[] =>
      reports.map((r, i) => ({
        file: `reports/r${i + 1}.json`,
        report: reportOf('r.json', Buffer.from(JSON.stringify(r)))
      }))

    it('fails shard 1/2 of one list merged with 2/2 of another list of the same size', async () => {
      // A sitemap that changed between the jobs: /d became /x. Each shard passed on its own.
      const a = await runShard('- /a\n- /b\n- /c\n- /d', '1/2')
      const b = await runShard('- /a\n- /b\n- /c\n- /x', '2/2')
      expect([a.stepFailed, b.stepFailed]).toEqual([false, false])
      const merged = mergeReports(asRead(a, b), { failOn: 'critical' })
      expect(merged).toMatchObject({ result: 'failed', stepFailed: true })
      expect(merged.merged.mismatched).toEqual([
        'shards of 2 were cut from different lists (their list fingerprints differ)'
      ])
    })

    it('fails a matrix whose shard report had an endpoint swapped for another', async () => {
      const list = '- /a\n- /b\n- /c\n- /d'
      const a = await runShard(list, '1/2')
      const b = await runShard(list, '2/2')
      const swapped: FullResult = {
        ...b,
        tiers: b.tiers.map(t => ({
          ...t,
          endpoints: t.endpoints.map(e => (e.path === '/d' ? { ...e, path: '/other' } : e))
        }))
      }
      expect(mergeReports(asRead(a, b), { failOn: 'critical' }).stepFailed).toBe(false)
      const merged = mergeReports(asRead(a, swapped), { failOn: 'critical' })
      expect(merged.stepFailed).toBe(true)
      expect(merged.merged.mismatched).toEqual([
        'shards of 2 warmed endpoints that are not the list they were cut from (its fingerprint differs)'
      ])
    })
  })

  it('refuses a shard that is not one of its matrix (0/0, 3/2)', () => {
    expect(refused(shard(0, 0, 4, ['/a']))).toMatch(/settings\.shard/)
    expect(refused(shard(3, 2, 4, ['/a']))).toMatch(/settings\.shard/)
  })
})

describe('edited reports', () => {
  it('counts a report whose stoppedBy was removed as stopped, from its endpoints not sent', () => {
    const notSent = { outcome: 'skipped', status: undefined, attempts: 0, cause: 'deadline' }
    const report = doc([ep('/c', { priority: 'critical' }), ep('/n', notSent)])
    const merged = mergeReports(inputs(report), { failOn: 'critical' })
    expect(merged).toMatchObject({ result: 'failed', stepFailed: true, stoppedBy: 'deadline' })
    expect(merged.merged.reports[0]!.stoppedBy).toBe('deadline')
  })

  it('refuses totals that disagree with the endpoints listed', () => {
    const d = doc([ep('/a', { outcome: 'failed' })])
    expect(refused({ ...d, totals: { total: 250, passed: 250, failed: 0, skipped: 0 } })).toMatch(
      /totals/
    )
  })

  it('fails a fail-on never report whose verify did not pass, its phase only a warning', () => {
    // No min-cached: the run gates on verify passing all the same (verify stopped early).
    const verify = {
      entries: [],
      cached: 0,
      cachedShare: 0,
      passed: false,
      problems: ['verify stopped early: 3 endpoint(s) not verified']
    }
    const phase = { name: 'verify', status: 'warning', durationMs: 1, detail: '0/0 from cache' }
    const report = doc([ep('/a')], { verify, phases: [phase], failOn: 'never', result: 'failed' })
    const merged = mergeReports(inputs(report), { failOn: 'critical' })
    expect(merged).toMatchObject({ result: 'failed', stepFailed: true })
    expect(merged.phases.find(p => p.name === 'verify')?.status).toBe('failed')
    expect(merged.merged.reports[0]!.failedPhases).toEqual(['verify'])
  })

  it('fails on a verify section that did not pass under min-cached, whatever its phase says', () => {
    const verify = {
      entries: [
        { method: 'GET', path: '/a', priority: 'normal', state: 'not cached', evidence: 'MISS' }
      ],
      cached: 0,
      cachedShare: 0,
      minCached: 0.8,
      passed: false,
      problems: ['0/1 from cache, below min-cached 80 %']
    }
    const phase = { name: 'verify', status: 'passed', durationMs: 1, detail: '1/1 from cache' }
    for (const phases of [[phase], [{ ...phase, status: 'warning' }], []]) {
      let verdict: boolean
      try {
        verdict = mergeReports(inputs(doc([ep('/a')], { verify, phases })), {
          failOn: 'critical'
        }).stepFailed
      } catch (error) {
        expect(error).toBeInstanceOf(MergeRefused)
        verdict = true
      }
      expect(verdict).toBe(true)
    }
  })

  it('fails on a metrics section whose thresholds were not met, whatever its phase says', () => {
    const metrics = {
      path: '/metrics',
      polls: 3,
      thresholds: [
        {
          text: 'hitRate >= 0.9',
          path: 'hitRate',
          op: '>=',
          target: 0.9,
          rate: true,
          progression: [0.1],
          final: 0.1,
          met: false
        }
      ],
      met: false,
      doubts: []
    }
    const phase = { name: 'metrics', status: 'passed', durationMs: 1, detail: '1/1 thresholds met' }
    for (const phases of [[phase], []]) {
      let verdict: boolean
      try {
        verdict = mergeReports(inputs(doc([ep('/a')], { metrics, phases })), {
          failOn: 'critical'
        }).stepFailed
      } catch (error) {
        expect(error).toBeInstanceOf(MergeRefused)
        verdict = true
      }
      expect(verdict).toBe(true)
    }
  })
})
