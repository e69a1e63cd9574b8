/**
 * Round 3: every size and time bound of the newest features, GitHub's API included. A merge job
 * (through src/main.ts) of many region reports of 2,000 endpoints each, failures with long
 * reasons, publishing to a GitHub stand-in on 127.0.0.1 that answers 422 where GitHub does (a
 * check run summary over 65,535 UTF-8 bytes, a comment over 65,536 characters, half a surrogate
 * pair). And the merge job's `deadline`: reading the reports and publishing count.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { MergeRefused } from '../../../src/errors.js'
import { fitSummary } from '../../../src/github/checks.js'
import { COMMENT_LIMIT } from '../../../src/github/comment.js'
import { cutToFit, utf16Units } from '../../../src/github/fit.js'
import { readReports } from '../../../src/merge/read.js'
import { SUMMARY_LIMIT_BYTES } from '../../../src/report/summary.js'
import { overGitHubLimits, startGitHub, type GitHubStandIn } from '../../support/hostile-server.js'
import { reportJson } from '../../support/reports.js'

jest.unstable_mockModule('@actions/core', () => import('../../fixtures/core.js'))
const core = await import('../../fixtures/core.js')
const { run } = await import('../../../src/main.js')

const REPORTS = 32
const ENDPOINTS = 2000
const SHA = 'a'.repeat(40)
let dir: string
let github: GitHubStandIn
let hanging: GitHubStandIn

/** A region's report as its job writes it: every 10th endpoint failed with a 2 KB reason. */
function regionReport(region: number): string {
  const endpoints = Array.from({ length: ENDPOINTS }, (_, i) => {
    const failed = i % 10 === 0
    return {
      source: `endpoints[${i}]`,
      method: 'GET',
      path: `/api/reports/item/${i}`,
      priority: i % 100 === 0 ? 'critical' : 'normal',
      outcome: failed ? 'failed' : 'passed',
      status: failed ? 503 : 200,
      attempts: failed ? 3 : 1,
      latencyMs: 12,
      cache: 'HIT',
      colo: region % 2 ? 'SJC' : 'FRA',
      ...(failed
        ? {
            reason: `answered 503 after 3 attempts · ${'überlastet · '.repeat(150)}`,
            cause: 'http-503'
          }
        : {})
    }
  })
  const tiers = ['critical', 'normal'].map(priority => ({
    priority,
    durationMs: 50,
    endpoints: endpoints.filter(e => e.priority === priority)
  }))
  return reportJson({
    label: `region-${region}`,
    result: 'failed',
    stepFailed: true,
    tiers,
    warnings: Array.from(
      { length: 50 },
      (_, i) => `GET /api/reports/item/${i}: a Set-Cookie header makes it uncacheable`
    ),
    colos: [{ colo: region % 2 ? 'SJC' : 'FRA', answers: ENDPOINTS }]
  })
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-r3-bounds-'))
  await mkdir(path.join(dir, 'reports'))
  for (let r = 1; r <= REPORTS; r++)
    await writeFile(path.join(dir, 'reports', `region-${r}.json`), regionReport(r))
  ;[github, hanging] = await Promise.all([startGitHub(), startGitHub('hang')])
}, 60_000)
afterAll(async () => {
  await Promise.all([github.close(), hanging.close()])
  await rm(dir, { recursive: true, force: true })
})

interface Merged {
  ms: number
  summary: string
  report: string
  warnings: string[]
}

async function mergeJob(gh: GitHubStandIn, inputs: Record<string, string> = {}): Promise<Merged> {
  const event = path.join(dir, 'event.json')
  await writeFile(event, JSON.stringify({ pull_request: { number: 5, head: { sha: SHA } } }))
  core.reset({
    'merge-reports': 'reports/*.json',
    'report-file': 'merged.json',
    'github-token': 'ghs_r3_bounds_token_0123456789',
    'check-name': 'Cache warm',
    'pr-comment': 'true',
    ...inputs
  })
  await rm(path.join(dir, 'merged.json'), { force: true })
  const started = Date.now()
  await run({
    env: {
      GITHUB_WORKSPACE: dir,
      RUNNER_TEMP: dir,
      GITHUB_REPOSITORY: 'acme/reports',
      GITHUB_SHA: SHA,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: event,
      GITHUB_API_URL: gh.url
    }
  })
  return {
    ms: Date.now() - started,
    summary: core.summaries.join(''),
    report: await readFile(path.join(dir, 'merged.json'), 'utf8').catch(() => ''),
    warnings: core.logs.filter(l => l.startsWith('warning: '))
  }
}

describe(`a merge of ${REPORTS} region reports of ${ENDPOINTS} endpoints, failures with 2 KB reasons`, () => {
  let merged: Merged
  beforeAll(async () => {
    merged = await mergeJob(github)
  }, 60_000)

  it('keeps the job summary under 1 MiB, with a note pointing at the JSON report that has it all', () => {
    expect(Buffer.byteLength(merged.summary)).toBeLessThanOrEqual(SUMMARY_LIMIT_BYTES)
    expect(merged.summary).toContain('the JSON report has every endpoint')
    expect(JSON.parse(merged.report).totals.total).toBe(ENDPOINTS)
    expect(core.failures).toEqual([
      expect.stringMatching(/^cache not proven warm: 200 of 2000 endpoints failed/)
    ])
  })

  it('completes the check run and comments, each within what GitHub accepts, in four calls', () => {
    // The check run and the comment go side by side: their calls interleave.
    const calls = github.requests.map(r => `${r.method} ${r.path}`).sort()
    expect(calls).toEqual([
      'GET /repos/acme/reports/issues/5/comments',
      'PATCH /repos/acme/reports/check-runs/7',
      'POST /repos/acme/reports/check-runs',
      'POST /repos/acme/reports/issues/5/comments'
    ])
    // GitHub's 422 ("summary exceeds a maximum bytesize of 65535") left the check in progress.
    expect(github.requests.map(r => overGitHubLimits(r.body))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined
    ])
    expect(merged.warnings.filter(w => /check run|comment/.test(w))).toEqual([])
    const patch = JSON.parse(github.requests.find(r => r.method === 'PATCH')!.body) as {
      output: { summary: string }
    }
    expect(patch.output.summary).toMatch(/cut to fit the check run/)
  })

  it('logs 20 warnings and a count, not every report’s every warning', () => {
    // 32 reports × 50 warnings each were 1,600 ::warning:: lines, each an annotation.
    expect(merged.warnings.length).toBeLessThanOrEqual(20 + 1 + 10 + 1)
    expect(merged.warnings).toContainEqual(
      expect.stringMatching(/^warning: and \d+ more warning\(s\); the JSON report has every one$/)
    )
    expect(JSON.parse(merged.report).warnings.length).toBeGreaterThanOrEqual(REPORTS * 50)
  })
})

describe('cutting to GitHub’s limits', () => {
  it('fits a check run summary of ✅ rows in 65,535 UTF-8 bytes, ending at a whole row', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `| ✅ | GET | \`/a/${i}\` | 200 · HIT |`)
    const fitted = fitSummary(rows.join('\n'))
    expect(overGitHubLimits(JSON.stringify({ output: { summary: fitted } }))).toBeUndefined()
    expect(fitted).toMatch(/\| 200 · HIT \|\n\n\.\.\. \(cut to fit the check run; /)
  })

  it('never cuts a character in half, in a check run summary or a comment', () => {
    for (let pad = 0; pad < 4; pad++) {
      const text = 'x'.repeat(pad) + '🌍'.repeat(40_000)
      const summary = fitSummary(text)
      const comment = cutToFit(text, COMMENT_LIMIT, ' (cut)', utf16Units)
      expect(overGitHubLimits(JSON.stringify({ output: { summary } }))).toBeUndefined()
      expect(overGitHubLimits(JSON.stringify({ body: comment }))).toBeUndefined()
      expect(comment.length).toBeLessThanOrEqual(COMMENT_LIMIT)
    }
  })
})

describe("the merge job's deadline", () => {
  it('counts reading the reports: past it, the merge stops in one line and fails', async () => {
    const files = [1, 2, 3].map(r => path.join(dir, 'reports', `region-${r}.json`))
    let now = 0
    const clock = { endAt: 1000, ms: 1000, now: () => (now += 600) }
    const error = await readReports(files, f => path.basename(f), clock).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MergeRefused)
    expect((error as Error).message).toBe(
      'the deadline (1s) passed after reading 2 of 3 report(s); raise deadline to give the merge job time to read them'
    )
  })

  it('a merge job whose reports take longer to read than its deadline fails, with outputs and a summary', async () => {
    const a = await mergeJob(github, { deadline: '50ms' })
    expect(core.failures).toEqual([
      expect.stringMatching(
        /^merge-reports: the deadline \(50ms\) passed after reading \d+ of 32 report\(s\)/
      )
    ])
    expect(core.outputs.result).toBe('failed')
    expect(a.summary).toContain('did not start')
  })

  it('ends within deadline + 15 s against a GitHub that never answers, the verdict last', async () => {
    const a = await mergeJob(hanging, { deadline: '2s' })
    expect(a.ms).toBeLessThanOrEqual(2000 + 15_000 + 1500)
    expect(core.outputs.result).toBe('failed')
    expect(a.report).not.toBe('')
    expect(core.logs.at(-1)).toMatch(/^failed: cache not proven warm/)
    expect(a.warnings).toContainEqual(
      expect.stringMatching(/could not complete the check run "Cache warm": GitHub did not answer/)
    )
  }, 30_000)
})
