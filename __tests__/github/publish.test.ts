import { afterEach, describe, expect, it } from '@jest/globals'
import nock from 'nock'
import { GITHUB_REQUEST_TIMEOUT_MS } from '../../src/github/bounded.js'
import { checkTitle, conclusion, fitSummary } from '../../src/github/checks.js'
import { commentMarker, MAX_COMMENT_PAGES } from '../../src/github/comment.js'
import type { GitHubContext } from '../../src/github/context.js'
import { makePublisher, PUBLISH_GRACE_MS } from '../../src/github/publish.js'
import { sampleResult } from '../support/results.js'
import { json, startServer, type Handler, type LocalServer } from '../support/server.js'
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

// A GitHub that does not answer: a real server on 127.0.0.1 that accepts the connection and the
// request, then says nothing (or says it slowly). Only a timeout on our side ends the wait.
describe('a GitHub that does not answer', () => {
  const servers: LocalServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(s => s.close()))
  })
  const github = async (handler: Handler) => {
    const server = await startServer(handler)
    servers.push(server)
    return { server, at: { ...gh, apiUrl: server.origin } }
  }
  const hang: Handler = () => undefined
  const timed = async <T>(work: Promise<T>): Promise<{ value: T; ms: number }> => {
    const t0 = Date.now()
    const value = await work
    return { value, ms: Date.now() - t0 }
  }
  // The step's bound, made small: without the fix each of these waits 10 s or forever.
  const SLACK_MS = 1_500
  const noToken = (warnings: string[]) =>
    expect(warnings.join('\n')).not.toContain(TOKEN) as unknown as void

  it('states the bounds the README promises: 10 s per request, deadline + 15 s for the step', () => {
    expect(GITHUB_REQUEST_TIMEOUT_MS).toBe(10_000)
    expect(PUBLISH_GRACE_MS).toBe(15_000)
    expect(MAX_COMMENT_PAGES).toBe(10)
  })

  it("start() gives up at the run's deadline when creating the check run hangs", async () => {
    const { server, at } = await github(hang)
    const p = makePublisher(settings(), at, undefined, { deadlineAt: Date.now() + 150 })
    const { value, ms } = await timed(p.start())

    expect(value).toHaveLength(1)
    expect(value[0]).toMatch(
      /^could not create the check run "Cache warm": GitHub did not answer within 1\d\dms \(the run's deadline\)$/
    )
    expect(ms).toBeLessThan(150 + SLACK_MS)
    noToken(value)
    // The request was aborted, not left hanging on an open socket.
    expect(server.requests.map(r => `${r.method} ${r.url}`)).toEqual([
      'POST /repos/acme/reports/check-runs'
    ])
    await until(() => server.requests[0]?.finishedAt !== undefined)
  })

  it('start() gives up after the per-request timeout when the deadline is further away', async () => {
    const { at } = await github(hang)
    const p = makePublisher(settings(), at, undefined, {
      deadlineAt: Date.now() + 60_000,
      requestTimeoutMs: 100
    })
    expect(await p.start()).toEqual([
      'could not create the check run "Cache warm": GitHub did not answer within 100ms'
    ])
  })

  it('start() sends nothing when the deadline has already passed', async () => {
    // No interceptor and no server: any request would fail the test.
    const p = makePublisher(settings(), gh, undefined, { deadlineAt: Date.now() - 1 })
    expect(await p.start()).toEqual([
      `could not create the check run "Cache warm": no time was left to ask GitHub (the run's deadline)`
    ])
  })

  it('finish() does not wait for a start() that hangs: it creates the check run completed, right', async () => {
    let completed: Record<string, unknown> | undefined
    const { at } = await github((req, res, seen) => {
      const body = JSON.parse(seen.body) as Record<string, unknown>
      if (body.status === 'in_progress') return // the first create never answers
      completed = body
      json(res, 201, { id: 9 })
    })
    const p = makePublisher(settings(), at, undefined, { graceMs: 300 })
    const started = p.start()
    const { value, ms } = await timed(
      p.finish({ ...passedRun, metrics: { ...passed.metrics!, hitRate: 0.78 } }, '## summary')
    )

    expect(value).toEqual([])
    expect(ms).toBeLessThan(300 + SLACK_MS)
    expect(completed).toMatchObject({
      name: 'Cache warm',
      head_sha: SHA,
      status: 'completed',
      conclusion: 'success',
      output: { title: '42/42 warmed, hit rate 78 %', summary: '## summary' }
    })
    const warnings = await started
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      /^could not create the check run "Cache warm": GitHub did not answer within \d+ms \(given up when the run ended; created completed instead\)$/
    )
  })

  it('finish() waits for a start() that answers in time and completes that check run', async () => {
    const seen: string[] = []
    const { at } = await github((req, res) => {
      seen.push(`${req.method} ${req.url}`)
      if (req.method === 'POST') setTimeout(() => json(res, 201, { id: 31 }), 100)
      else json(res, 200, { id: 31 })
    })
    const p = makePublisher(settings(), at, undefined, { graceMs: 2_000 })
    const started = p.start()
    expect(await p.finish(passedRun, 'md')).toEqual([])
    expect(await started).toEqual([])
    expect(seen).toEqual([
      'POST /repos/acme/reports/check-runs',
      'PATCH /repos/acme/reports/check-runs/31'
    ])
  })

  it('finish() ends within the grace when nothing GitHub is asked answers', async () => {
    const { server, at } = await github(hang)
    const p = makePublisher(settings({ 'pr-comment': 'true' }), at, undefined, { graceMs: 300 })
    const started = p.start()
    const { value, ms } = await timed(p.finish(sampleResult(), 'md'))

    expect(ms).toBeLessThan(300 + SLACK_MS)
    expect(value).toHaveLength(2)
    expect(value[0]).toMatch(
      /^could not complete the check run "Cache warm": GitHub did not answer within \d+ms \(the 300ms allowed after the run\)$/
    )
    expect(value[1]).toMatch(
      new RegExp(
        `^could not update the pull request comment: GitHub did not answer within \\d+ms \\(listing the pull requests of ${SHA.slice(0, 7)}; the 300ms allowed after the run\\)$`
      )
    )
    noToken([...value, ...(await started)])
    // Every request it made was aborted: nothing is left open for the process to wait on.
    await until(() => server.requests.every(r => r.finishedAt !== undefined))
  })

  it('a comment listing that hangs is bounded, and the check run still completes', async () => {
    let completed: Record<string, unknown> | undefined
    const { at } = await github((req, res, seen) => {
      if (req.url?.includes('/comments')) return // hangs
      if (req.method === 'PATCH') completed = JSON.parse(seen.body) as Record<string, unknown>
      json(res, req.method === 'POST' ? 201 : 200, { id: 5 })
    })
    const p = makePublisher(
      settings({ 'pr-comment': 'true' }),
      { ...at, pullRequest: 42 },
      undefined,
      {
        requestTimeoutMs: 100
      }
    )
    expect(await p.start()).toEqual([])
    const { value, ms } = await timed(p.finish(sampleResult(), 'md'))

    expect(value).toEqual([
      'could not update the pull request comment: GitHub did not answer within 100ms (listing the comments of #42, page 1)'
    ])
    expect(ms).toBeLessThan(100 + SLACK_MS)
    expect(completed).toMatchObject({ status: 'completed', conclusion: 'failure' })
  })

  it('comment pages that each answer just in time are still cut off by the grace', async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => ({ id: i, body: 'chatter' }))
    const { server, at } = await github((req, res) => {
      // 10 pages of 250 ms each would take 2.5 s: the 1 s grace must cut them off, even on a
      // machine busy enough to slow every page.
      setTimeout(() => json(res, 200, hundred), 250)
    })
    const p = makePublisher(
      settings({ 'pr-comment': 'true', 'check-name': '' }),
      { ...at, pullRequest: 42 },
      undefined,
      { graceMs: 1000 }
    )
    const { value, ms } = await timed(p.finish(passedRun, 'md'))

    expect(ms).toBeLessThan(1000 + SLACK_MS)
    expect(value).toHaveLength(1)
    expect(value[0]).toMatch(
      /^could not update the pull request comment: GitHub did not answer within \d+ms \(listing the comments of #42, page \d+; the 1s allowed after the run\)$/
    )
    expect(server.requests.length).toBeLessThan(MAX_COMMENT_PAGES)
    expect(server.requests.every(r => r.method === 'GET')).toBe(true)
  })

  it('a reply slower than the request timeout counts as no answer', async () => {
    const { at } = await github((req, res) => {
      setTimeout(() => res.destroyed || json(res, 201, { id: 1 }), 400)
    })
    const p = makePublisher(settings(), at, undefined, { requestTimeoutMs: 60 })
    expect(await p.start()).toEqual([
      'could not create the check run "Cache warm": GitHub did not answer within 60ms'
    ])
  })

  it('a reply that is slow but within the bounds is used: conclusion and title are right', async () => {
    let completed: Record<string, unknown> = {}
    nock(API).post('/repos/acme/reports/check-runs').delay(50).reply(201, { id: 77 })
    nock(API)
      .patch('/repos/acme/reports/check-runs/77', b => {
        completed = b
        return true
      })
      .delay(50)
      .reply(200, { id: 77 })
    const p = makePublisher(settings(), gh, undefined, {
      deadlineAt: Date.now() + 5_000,
      requestTimeoutMs: 2_000,
      graceMs: 3_000
    })
    expect(await p.start()).toEqual([])
    expect(await p.finish({ ...sampleResult(), stepFailed: false }, 'md')).toEqual([])
    expect(completed).toMatchObject({
      status: 'completed',
      conclusion: 'neutral',
      output: { title: '2/5 warmed, hit rate 78 %, metrics failed, stopped: deadline' }
    })
  })
})

describe('a GitHub that lies', () => {
  it(`an endless comment listing stops after ${MAX_COMMENT_PAGES} pages, never follows its Link, adds no comment`, async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => ({ id: i, body: 'chatter' }))
    const pages: string[] = []
    nock(API)
      .get('/repos/acme/reports/issues/42/comments')
      .query(q => {
        pages.push(String(q.page))
        return q.per_page === '100'
      })
      .times(MAX_COMMENT_PAGES)
      // Says there is always another page, somewhere else: the token must not follow it there.
      .reply(200, hundred, { link: '<https://collector.example/steal?page=2>; rel="next"' })

    const p = makePublisher(settings({ 'pr-comment': 'true', 'check-name': '' }), {
      ...gh,
      pullRequest: 42
    })
    expect(await p.finish(passedRun, 'md')).toEqual([
      "could not update the pull request comment: #42 has 1000 comments or more and this action's is not among the first 1000; stopped looking and added none"
    ])
    expect(pages).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'])
  })

  it('finds its comment on a later page and updates it', async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => ({ id: i, body: 'chatter' }))
    nock(API)
      .get('/repos/acme/reports/issues/42/comments')
      .query({ per_page: '100', page: '1' })
      .reply(200, hundred)
    nock(API)
      .get('/repos/acme/reports/issues/42/comments')
      .query({ per_page: '100', page: '2' })
      .reply(200, [{ id: 4242, body: `${commentMarker('Cache warm')}\nold` }])
    nock(API).patch('/repos/acme/reports/issues/comments/4242').reply(200, {})

    const p = makePublisher(settings({ 'pr-comment': 'true', 'check-name': '' }), {
      ...gh,
      pullRequest: 42
    })
    expect(await p.finish(passedRun, 'md')).toEqual([])
  })

  it('an error that echoes the token back never puts it in a warning', async () => {
    nock(API)
      .post('/repos/acme/reports/check-runs')
      .reply(500, { message: `bad credentials: token ${TOKEN}` })
    nock(API)
      .post('/repos/acme/reports/check-runs')
      .reply(403, { message: `Authorization: token ${TOKEN} may not write checks` })
    const p = makePublisher(settings(), gh)
    const warnings = [...(await p.start()), ...(await p.finish(passedRun, 'md'))]
    expect(warnings).toHaveLength(2)
    expect(warnings.join('\n')).not.toContain(TOKEN)
    expect(warnings[0]).toBe(
      'could not create the check run "Cache warm": 500 bad credentials: token ***'
    )
  })
})

async function until(done: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
