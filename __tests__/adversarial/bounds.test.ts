/**
 * Class 3: every bound holds, GitHub's API included. A GitHub API that accepts connections and
 * never answers must not hold the run past `deadline` + a grace, and outputs, summary and report
 * are still written. Plus the edges: a 1 ms deadline, a 1 ms timeout.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  hang,
  startGitHub,
  startHostileServer,
  type GitHubStandIn,
  type HostileServer
} from '../support/hostile-server.js'
import { explain, runMain } from '../support/adversarial.js'

jest.unstable_mockModule('@actions/core', () => import('../fixtures/core.js'))
const core = await import('../fixtures/core.js')
const { run } = await import('../../src/main.js')
const publish = (await import('../../src/github/publish.js')) as Record<string, unknown>

const KEY = 'sk_live_BOUNDS_2e5b1d4a607f3a9c'
const DEADLINE_MS = 2000
/** The fixers' grace for publishing after the deadline, when exported; else the spec's 16 s. */
const GRACE_MS = typeof publish.PUBLISH_GRACE_MS === 'number' ? publish.PUBLISH_GRACE_MS : 16_000
const SLACK_MS = 1500

let server: HostileServer
let hanging: GitHubStandIn
let hangingUpdate: GitHubStandIn
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'adv-bounds-'))
  ;[server, hanging, hangingUpdate] = await Promise.all([
    startHostileServer(),
    startGitHub('hang'),
    startGitHub('hang-update')
  ])
})
afterAll(async () => {
  await Promise.all([server.close(), hanging.close(), hangingUpdate.close()])
  await rm(dir, { recursive: true, force: true })
})

const inputs = (extra: Record<string, string> = {}): Record<string, string> => ({
  url: server.origin,
  'api-key': KEY,
  endpoints: '- /ok\n- /ok2',
  timeout: '400ms',
  retries: '0',
  deadline: `${DEADLINE_MS}ms`,
  'github-token': 'ghs_boundsTokenForTests0000000000',
  'check-name': 'Cache warm',
  ...extra
})
const env = (gh: GitHubStandIn): NodeJS.ProcessEnv => ({
  GITHUB_API_URL: gh.url,
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_SHA: 'abc123def4567890abc123def4567890abc12345'
})

describe('class 3: a GitHub API that never answers does not hold the run', () => {
  it.each([
    ['create and update never answer', () => hanging],
    ['create answers, update never does', () => hangingUpdate]
  ])(
    '%s: the run ends within deadline + grace, with outputs, summary and report',
    async (_n, gh) => {
      const a = await runMain(core, run, inputs(), {
        dir,
        env: env(gh()),
        limitMs: DEADLINE_MS + GRACE_MS + 4000
      })
      expect(gh().requests.length).toBeGreaterThan(0)
      expect({
        hung: a.hung,
        withinBound: a.ms <= DEADLINE_MS + GRACE_MS + SLACK_MS,
        ms: a.ms,
        result: a.outputs.result,
        summaryWritten: a.summary.length > 0,
        reportWritten: a.report !== undefined,
        why: explain(a, KEY)
      }).toMatchObject({
        hung: false,
        withinBound: true,
        result: 'passed',
        summaryWritten: true,
        reportWritten: true
      })
      // A check run that could not be written is a warning, never a failure of the warm.
      expect(a.failures).toEqual([])
    },
    DEADLINE_MS + GRACE_MS + 10_000
  )
})

describe('bounds at the edges', () => {
  it('deadline 1ms: ends at once, failed, with outputs and a summary', async () => {
    const a = await runMain(
      core,
      run,
      { ...inputs({ deadline: '1ms' }), 'github-token': '' },
      { dir }
    )
    expect({
      ms: a.ms < 1500,
      result: a.outputs.result,
      stepFailed: a.failures.length > 0,
      summaryWritten: a.summary.length > 0,
      why: explain(a, KEY)
    }).toMatchObject({ ms: true, result: 'failed', stepFailed: true, summaryWritten: true })
  })

  it('a hanging endpoint with timeout 300ms and 2 retries stays within deadline', async () => {
    server.set('/slow', hang)
    const a = await runMain(
      core,
      run,
      {
        ...inputs({ endpoints: '- /slow', timeout: '300ms', retries: '2', deadline: '1500ms' }),
        'github-token': ''
      },
      { dir }
    )
    expect(a.ms).toBeLessThan(1500 + SLACK_MS)
    expect(a.outputs.result).toBe('failed')
  })

  it('poll-timeout longer than the deadline: the deadline wins', async () => {
    server.set('/metrics', res => {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ cacheStats: { overallHitRate: 0.1, hits: Date.now() % 1000 } }))
    })
    const a = await runMain(
      core,
      run,
      {
        ...inputs({
          endpoints: '- /ok',
          'metrics-path': '/metrics',
          'min-hit-rate': '0.8',
          'poll-interval': '200ms',
          'poll-timeout': '30s',
          deadline: '1500ms'
        }),
        'github-token': ''
      },
      { dir }
    )
    expect(a.ms).toBeLessThan(1500 + SLACK_MS)
    expect({ result: a.outputs.result, stepFailed: a.failures.length > 0 }).toEqual({
      result: 'failed',
      stepFailed: true
    })
  })
})
