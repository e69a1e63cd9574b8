/**
 * Round 3: the merge job (merge-reports, through src/main.ts) fed hostile reports: the key in
 * every field the merge carries on, in every form the redactor knows; workflow commands and
 * Markdown in labels, file names and the target. The merge job publishes a check run and a PR
 * comment to a GitHub stand-in on 127.0.0.1, so every artifact a user can read is checked.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startGitHub, type GitHubStandIn } from '../../support/hostile-server.js'
import { reportJson } from '../../support/reports.js'

jest.unstable_mockModule('@actions/core', () => import('../../fixtures/core.js'))
const core = await import('../../fixtures/core.js')
const { run } = await import('../../../src/main.js')

const KEY = 'Mrg3-live-Key-8c1d5e9f2a7b'
const FORMS = [
  KEY,
  encodeURIComponent(`/${KEY}`).slice(3),
  JSON.stringify(`"${KEY}"`).slice(1, -1),
  KEY.toLowerCase()
]
let dir: string
let github: GitHubStandIn

beforeEach(async () => {
  core.reset()
  dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-r3-merge-'))
  await mkdir(path.join(dir, 'reports'))
  github = await startGitHub()
})
afterEach(async () => {
  await github.close()
  await rm(dir, { recursive: true, force: true })
})

async function mergeJob(inputs: Record<string, string> = {}): Promise<string> {
  const event = path.join(dir, 'event.json')
  await writeFile(
    event,
    JSON.stringify({ pull_request: { number: 5, head: { sha: 'a'.repeat(40) } } })
  )
  core.reset({
    'api-key': KEY,
    'merge-reports': 'reports/*.json',
    'report-file': 'merged.json',
    'github-token': 'ghs_r3_token_0123456789',
    'check-name': 'Cache warm',
    'pr-comment': 'true',
    ...inputs
  })
  await run({
    env: {
      GITHUB_WORKSPACE: dir,
      RUNNER_TEMP: dir,
      GITHUB_REPOSITORY: 'acme/reports',
      GITHUB_SHA: 'a'.repeat(40),
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: event,
      GITHUB_API_URL: github.url
    }
  })
  const report = await readFile(path.join(dir, 'merged.json'), 'utf8').catch(() => '')
  return [
    JSON.stringify([core.logs, core.outputs, core.summaries, core.failures]),
    report,
    github.requests.map(r => `${r.method} ${r.url} ${r.body}`).join('\n')
  ].join('\n')
}

const failed = (p: string, reason: string): Record<string, unknown> => ({
  source: 'endpoints',
  method: 'GET',
  path: p,
  priority: 'critical',
  outcome: 'failed',
  status: 503,
  attempts: 3,
  reason
})

describe('the key in a report, in every field the merge carries on', () => {
  it('is redacted from log, summary, report, outputs, check run and PR comment', async () => {
    const [raw, url, escaped, lower] = FORMS as [string, string, string, string]
    await writeFile(
      path.join(dir, 'reports', `r-${KEY}.json`),
      reportJson({
        target: `https://app.example/`,
        label: `eu ${raw}`,
        tiers: [
          {
            priority: 'critical',
            durationMs: 5,
            endpoints: [failed(`/x?key=${url}`, `answered 503: ${escaped}`)]
          }
        ],
        warnings: [`lower ${lower}`],
        phases: [{ name: 'verify', status: 'failed', durationMs: 1, detail: `saw ${raw}` }],
        metrics: {
          path: '/metrics',
          polls: 1,
          thresholds: [],
          met: true,
          lastAnswer: `{"key":"${escaped}"}`,
          doubts: [`doubt ${raw}`]
        }
      })
    )
    await writeFile(path.join(dir, 'reports', 'us.json'), reportJson({ label: `us ${url}` }))
    const text = await mergeJob()

    expect(core.failures).toHaveLength(1)
    expect(github.requests.map(r => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        'POST /repos/acme/reports/check-runs',
        'PATCH /repos/acme/reports/check-runs/7',
        'POST /repos/acme/reports/issues/5/comments'
      ])
    )
    for (const form of FORMS) expect(text).not.toContain(form)
    expect(text).toContain('eu ***')
  })

  it('is redacted from the one line that refuses a report named after it', async () => {
    await writeFile(path.join(dir, 'reports', `${KEY}.json`), '{"schemaVersion": 1, "cut')
    const text = await mergeJob()
    expect(core.failures).toEqual([
      expect.stringMatching(/^merge-reports: reports\/\*\*\*\.json: is not valid JSON at byte \d+/)
    ])
    for (const form of FORMS) expect(text).not.toContain(form)
  })
})

describe('words in a report cannot command the log or forge the summary', () => {
  it('labels and file names with workflow commands, Markdown and HTML stay text', async () => {
    const label = 'eu\n::error title=Cache warm::forged\n##[error]forged <img src=x> | ✅ |'
    await writeFile(
      path.join(dir, 'reports', 'a ::warning::x.json'),
      reportJson({
        label,
        tiers: [{ priority: 'critical', durationMs: 1, endpoints: [failed('/a', 'down')] }]
      })
    )
    await writeFile(
      path.join(dir, 'reports', 'b.json'),
      reportJson({ label: '## ✅ Cache warm passed' })
    )
    await mergeJob()

    const printed = core.logs
      .filter(l => /^(info|group): /.test(l))
      .flatMap(l => l.replace(/^(info|group): /, '').split('\n'))
    expect(printed.filter(l => /^\s*::/.test(l) || l.includes('##['))).toEqual([])
    const summary = core.summaries.join('')
    expect(summary).not.toContain('<img')
    expect(summary.split('\n').filter(l => /^#+ ✅/.test(l))).toEqual([])
    expect(summary).toMatch(/^## ❌/)
  })

  it('refuses a target that is not the URL as a job writes it (a line break makes a heading)', async () => {
    await writeFile(
      path.join(dir, 'reports', 'a.json'),
      reportJson({ target: 'https://app.example/\n## ✅ Cache warm passed' })
    )
    await mergeJob()
    expect(core.failures).toEqual([
      'merge-reports: reports/a.json: is not a valid cache-warm report: .target: expected the http(s) URL of the deployment, as a job writes it'
    ])
    expect(core.summaries.join('')).not.toMatch(/^## ✅/m)
  })

  it('keeps a backtick in the query of the target inside the one code span (no image, no link)', async () => {
    const target = 'https://app.example/?q=`![p](https://evil.example/p.png)`'
    await writeFile(path.join(dir, 'reports', 'a.json'), reportJson({ target }))
    await mergeJob()
    expect(core.summaries.join('')).toContain(
      "Target `https://app.example/?q='![p](https://evil.example/p.png)'` · "
    )
  })
})
