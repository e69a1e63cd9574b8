import { describe, expect, it } from '@jest/globals'
import nock from 'nock'
import { checkTitle, conclusion, fitSummary } from '../../src/github/checks.js'
import { commentMarker } from '../../src/github/comment.js'
import type { GitHubContext } from '../../src/github/context.js'
import { makePublisher } from '../../src/github/publish.js'
import { sampleResult } from '../support/results.js'
import { settingsFrom } from '../support/settings.js'

const API = 'https://api.github.com'
const SHA = 'abc123def4567890abc123def4567890abc12345'
const TOKEN = 'ghs_test_token_value'
const gh: GitHubContext = {
  eventName: 'deployment_status',
  owner: 'acme',
  repo: 'reports',
  sha: SHA,
  apiUrl: API,
  runUrl: 'https://github.com/acme/reports/actions/runs/7'
}
const settings = (extra: Record<string, string> = {}) =>
  settingsFrom({
    url: 'https://reports.example.com',
    endpoints: '- /a',
    'github-token': TOKEN,
    'check-name': 'Cache warm',
    ...extra
  })

const passed = sampleResult({
  result: 'passed',
  stepFailed: false,
  phases: [],
  totals: { total: 42, passed: 42, failed: 0, skipped: 0 }
})
const { stoppedBy: _unused, ...passedRun } = passed

describe('check run', () => {
  it('is created in progress on the deployed commit, then completed with the verdict and summary', async () => {
    let created: Record<string, unknown> = {}
    let completed: Record<string, unknown> = {}
    nock(API)
      .post('/repos/acme/reports/check-runs', body => {
        created = body
        return true
      })
      .matchHeader('authorization', `token ${TOKEN}`)
      .reply(201, { id: 555 })
    nock(API)
      .patch('/repos/acme/reports/check-runs/555', body => {
        completed = body
        return true
      })
      .reply(200, { id: 555 })

    const p = makePublisher(settings(), gh)
    expect(await p.start()).toEqual([])
    expect(
      await p.finish({ ...passedRun, metrics: { ...passed.metrics!, hitRate: 0.78 } }, '## summary')
    ).toEqual([])

    expect(created).toMatchObject({
      name: 'Cache warm',
      head_sha: SHA,
      status: 'in_progress',
      details_url: gh.runUrl
    })
    expect(completed).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      output: { title: '42/42 warmed, hit rate 78 %', summary: '## summary' }
    })
  })

  it('turns a missing checks: write permission into a warning, never a failure', async () => {
    nock(API)
      .post('/repos/acme/reports/check-runs')
      .reply(403, { message: 'Resource not accessible by integration' })
    nock(API)
      .post('/repos/acme/reports/check-runs')
      .reply(403, { message: 'Resource not accessible by integration' })

    const p = makePublisher(settings(), gh)
    const started = await p.start()
    const finished = await p.finish(passedRun, 'md')

    expect(started).toEqual([
      'could not create the check run "Cache warm": 403 Resource not accessible by integration; give the job `permissions: checks: write`'
    ])
    expect(finished[0]).toContain('give the job `permissions: checks: write`')
  })

  it('creates the check completed when starting it failed with a 5xx', async () => {
    nock(API).post('/repos/acme/reports/check-runs').reply(502, { message: 'Bad gateway' })
    let body: Record<string, unknown> = {}
    nock(API)
      .post('/repos/acme/reports/check-runs', b => {
        body = b
        return true
      })
      .reply(201, { id: 9 })

    const p = makePublisher(settings(), gh)
    expect((await p.start())[0]).toContain('502')
    expect(await p.finish(sampleResult(), 'md')).toEqual([])
    expect(body).toMatchObject({ status: 'completed', conclusion: 'failure', head_sha: SHA })
  })

  it('writes nothing without a token or a check name, or outside a repository', async () => {
    for (const p of [
      makePublisher(settings({ 'github-token': '' }), gh),
      makePublisher(settings({ 'check-name': '' }), gh),
      makePublisher(settings(), { apiUrl: API })
    ]) {
      expect(await p.start()).toEqual([])
      expect(await p.finish(passedRun, 'md')).toEqual([])
    }
  })

  it('says neutral when fail-on keeps a failure green, and fits the 65,535-character limit', () => {
    expect(conclusion({ ...sampleResult(), stepFailed: false })).toBe('neutral')
    expect(conclusion(sampleResult())).toBe('failure')
    expect(checkTitle(sampleResult())).toBe(
      '2/5 warmed, hit rate 78 %, metrics failed, stopped: deadline'
    )
    const fitted = fitSummary('x'.repeat(70_000))
    expect(fitted.length).toBe(65_535)
    expect(fitted).toContain('cut to fit the check run')
  })
})

describe('pull request comment', () => {
  it("creates one comment with a hidden marker on the commit's open pull request", async () => {
    let body = ''
    nock(API).post('/repos/acme/reports/check-runs').reply(201, { id: 1 })
    nock(API).patch('/repos/acme/reports/check-runs/1').reply(200, {})
    nock(API)
      .get(`/repos/acme/reports/commits/${SHA}/pulls`)
      .reply(200, [
        { number: 42, state: 'open' },
        { number: 7, state: 'closed' }
      ])
    nock(API)
      .get('/repos/acme/reports/issues/42/comments')
      .query(true)
      .reply(200, [{ id: 1, body: 'unrelated' }])
    nock(API)
      .post('/repos/acme/reports/issues/42/comments', b => {
        body = (b as { body: string }).body
        return true
      })
      .reply(201, { id: 2 })

    const p = makePublisher(settings({ 'pr-comment': 'true' }), gh)
    await p.start()
    expect(await p.finish(passedRun, '## warm')).toEqual([])
    expect(body).toBe(`${commentMarker('Cache warm')}\n## warm`)
  })

  it('updates its own comment instead of adding another, on pull_request events', async () => {
    let updated = ''
    nock(API).post('/repos/acme/reports/check-runs').reply(201, { id: 1 })
    nock(API).patch('/repos/acme/reports/check-runs/1').reply(200, {})
    nock(API)
      .get('/repos/acme/reports/issues/42/comments')
      .query(true)
      .reply(200, [
        { id: 10, body: 'hello' },
        { id: 11, body: `${commentMarker('Cache warm')}\nold summary` }
      ])
    nock(API)
      .patch('/repos/acme/reports/issues/comments/11', b => {
        updated = (b as { body: string }).body
        return true
      })
      .reply(200, {})

    const p = makePublisher(settings({ 'pr-comment': 'true' }), {
      ...gh,
      eventName: 'pull_request',
      pullRequest: 42
    })
    await p.start()
    expect(await p.finish(passedRun, 'new summary')).toEqual([])
    expect(updated).toContain('new summary')
  })

  it('warns, naming pull-requests: write, when commenting is not allowed', async () => {
    nock(API).post('/repos/acme/reports/check-runs').reply(201, { id: 1 })
    nock(API).patch('/repos/acme/reports/check-runs/1').reply(200, {})
    nock(API)
      .get('/repos/acme/reports/issues/42/comments')
      .query(true)
      .reply(403, { message: 'Resource not accessible by integration' })

    const p = makePublisher(settings({ 'pr-comment': 'true' }), { ...gh, pullRequest: 42 })
    await p.start()
    expect(await p.finish(passedRun, 'md')).toEqual([
      'could not update the pull request comment: 403 Resource not accessible by integration; give the job `permissions: pull-requests: write`'
    ])
  })
})
