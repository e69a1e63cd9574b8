import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import nock from 'nock'
import { fileURLToPath } from 'node:url'
import { json, startServer, type LocalServer } from './support/server.js'

jest.unstable_mockModule('@actions/core', () => import('./fixtures/core.js'))
const core = await import('./fixtures/core.js')
const { run } = await import('../src/main.js')

const KEY = 'main-test-key-789'
let server: LocalServer
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-main-'))
  server = await startServer((req, res) =>
    req.headers['x-api-key'] === KEY
      ? json(res, 200, { success: true, data: [1], echoed: KEY })
      : json(res, 401, { error: 'Invalid API key' })
  )
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => core.reset())

const everything = (): string =>
  JSON.stringify([core.logs, core.outputs, core.summaries, core.failures])

describe('run', () => {
  it('masks the key first, warms, and sets every output from one result', async () => {
    core.reset({
      url: server.origin,
      'api-key': KEY,
      endpoints: 'critical: [/a]',
      'report-file': path.join(dir, 'r.json')
    })

    await run({ env: { GITHUB_WORKSPACE: dir } })

    expect(core.secrets).toEqual([KEY, KEY.toUpperCase()])
    expect(core.failures).toEqual([])
    expect(core.outputs).toMatchObject({
      result: 'passed',
      warmed: '1',
      failed: '0',
      skipped: '0',
      report: path.join(dir, 'r.json')
    })
    expect(Object.keys(core.outputs)).toEqual(
      expect.arrayContaining([
        'cold-p50-ms',
        'warm-p50-ms',
        'speedup',
        'hit-rate',
        'thresholds-met'
      ])
    )
    const report = await readFile(path.join(dir, 'r.json'), 'utf8')
    expect(report).toContain('"schemaVersion": 1')
    expect(report + everything()).not.toContain(KEY)
  })

  it('fails with one line naming the input, still sets outputs, and sends nothing', async () => {
    const before = server.requests.length
    core.reset({ url: server.origin, 'api-key': KEY, endpoints: '- /a', timeout: 'soon' })

    await run({ env: { GITHUB_WORKSPACE: dir } })

    expect(core.failures).toEqual([
      'timeout: "soon" is not a duration such as 500ms, 10s, 2m, 1h, 1m30s or a bare number of seconds'
    ])
    expect(core.outputs.result).toBe('failed')
    expect(core.summaries[0]).toContain('Cache warm did not start')
    expect(server.requests.length).toBe(before)
  })

  it('never shows the key in an input error, even when the error quotes the input', async () => {
    core.reset({ url: `http://example.com/${KEY}`, 'api-key': KEY, endpoints: '- /a' })

    await run({ env: { GITHUB_WORKSPACE: dir } })

    expect(core.failures).toHaveLength(1)
    expect(everything()).not.toContain(KEY)
  })

  it('keeps going when the job summary cannot be written: a warning, outputs still set', async () => {
    core.reset(
      {
        url: server.origin,
        'api-key': KEY,
        endpoints: '- /a',
        'report-file': path.join(dir, 'r2.json')
      },
      { summaryFails: true }
    )

    await run({ env: { GITHUB_WORKSPACE: dir } })

    expect(core.logs.some(l => l.startsWith('warning: could not write the job summary'))).toBe(true)
    expect(core.outputs.result).toBe('passed')
    expect(core.failures).toEqual([])
  })

  it('fails the step on a refused key and says which header carried it', async () => {
    core.reset({
      url: server.origin,
      'api-key': 'not-the-key',
      endpoints: '- /a',
      'report-file': path.join(dir, 'r3.json')
    })

    await run({ env: { GITHUB_WORKSPACE: dir } })

    expect(core.outputs.result).toBe('failed')
    expect(core.failures[0]).toMatch(/^cache not proven warm: 1 of 1 endpoints failed/)
    expect(core.summaries[0]).toContain('the key sent in header X-API-Key was refused')
    expect(everything()).not.toContain('not-the-key')
  })

  it('dry-run prints the plan, sends nothing, and says dry-run in result', async () => {
    const before = server.requests.length
    core.reset({
      url: server.origin,
      'api-key': KEY,
      endpoints: 'critical: [/a]\nlow: [/b]',
      'dry-run': 'true',
      'report-file': path.join(dir, 'r4.json')
    })

    await run({ env: { GITHUB_WORKSPACE: dir } })

    expect(server.requests.length).toBe(before)
    expect(core.outputs).toMatchObject({ result: 'dry-run', warmed: '0', skipped: '2' })
    expect(core.logs.join('\n')).toContain(`GET    ${server.origin}/b`)
    expect(core.failures).toEqual([])
  })

  const events = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'events')

  it('takes the url from a successful deployment_status event when url is empty', async () => {
    const eventFile = path.join(dir, 'event.json')
    const { writeFile } = await import('node:fs/promises')
    await writeFile(
      eventFile,
      JSON.stringify({
        deployment_status: { state: 'success', environment_url: server.origin },
        deployment: { sha: 'a'.repeat(40) }
      })
    )
    core.reset({ 'api-key': KEY, endpoints: '- /a', 'report-file': path.join(dir, 'r5.json') })

    await run({
      env: {
        GITHUB_WORKSPACE: dir,
        GITHUB_EVENT_NAME: 'deployment_status',
        GITHUB_EVENT_PATH: eventFile
      }
    })

    expect(core.failures).toEqual([])
    expect(core.outputs.result).toBe('passed')
    expect(core.logs).toContain(
      `info: url from the event's deployment_status.environment_url: ${server.origin}`
    )
  })

  it('skips with a notice, not a failure, while the deployment is not successful', async () => {
    const before = server.requests.length
    core.reset({ 'api-key': KEY, endpoints: '- /a' })

    await run({
      env: {
        GITHUB_WORKSPACE: dir,
        GITHUB_EVENT_NAME: 'deployment_status',
        GITHUB_EVENT_PATH: path.join(events, 'deployment_status.pending.json')
      }
    })

    expect(core.failures).toEqual([])
    expect(core.outputs.result).toBe('skipped')
    expect(core.summaries[0]).toContain('is "pending", not success')
    expect(server.requests.length).toBe(before)
  })

  it('a deployment event cannot put Markdown or HTML into the skipped summary', async () => {
    const eventFile = path.join(dir, 'hostile-event.json')
    await writeFile(
      eventFile,
      JSON.stringify({
        deployment: { environment: 'prod\n## ✅ Cache warm passed <img src=x> [ok](https://evil)' },
        deployment_status: { state: 'pending' }
      })
    )
    core.reset({ 'api-key': KEY, endpoints: '- /a' })

    await run({
      env: {
        GITHUB_WORKSPACE: dir,
        GITHUB_EVENT_NAME: 'deployment_status',
        GITHUB_EVENT_PATH: eventFile
      }
    })

    expect(core.outputs.result).toBe('skipped')
    const summary = core.summaries.join('')
    expect(summary).not.toMatch(/\n## ✅/)
    expect(summary).not.toContain('<img')
    expect(summary).not.toContain('[ok](')
  })

  it('fails with one line naming url on any other event without a url', async () => {
    core.reset({ 'api-key': KEY, endpoints: '- /a' })

    await run({
      env: {
        GITHUB_WORKSPACE: dir,
        GITHUB_EVENT_NAME: 'push',
        GITHUB_EVENT_PATH: path.join(events, 'push.json')
      }
    })

    expect(core.failures).toHaveLength(1)
    expect(core.failures[0]).toMatch(/^url: is required on a push event/)
  })

  it('never turns a good warm red when the token may not write checks', async () => {
    nock('https://api.github.com')
      .post('/repos/acme/reports/check-runs')
      .twice()
      .reply(403, { message: 'Resource not accessible by integration' })
    core.reset({
      url: server.origin,
      'api-key': KEY,
      endpoints: '- /a',
      'github-token': 'ghs_secret_token',
      'check-name': 'Cache warm',
      'report-file': path.join(dir, 'r6.json')
    })

    await run({
      env: { GITHUB_WORKSPACE: dir, GITHUB_REPOSITORY: 'acme/reports', GITHUB_SHA: 'b'.repeat(40) }
    })

    expect(core.failures).toEqual([])
    expect(core.outputs.result).toBe('passed')
    expect(
      core.logs.filter(l => l.includes('give the job `permissions: checks: write`'))
    ).toHaveLength(2)
    expect(core.secrets).toContain('ghs_secret_token')
    expect(everything()).not.toContain('ghs_secret_token')
  })

  it('an unexpected error still writes outputs, summary and report, and completes the check run', async () => {
    const bodies: string[] = []
    const github = await startServer((req, res, seen) => {
      bodies.push(`${req.method} ${req.url} ${seen.body}`)
      json(res, req.method === 'POST' ? 201 : 200, { id: 7 })
    })
    core.reset({
      url: server.origin,
      'api-key': KEY,
      endpoints: '- /a',
      'github-token': 'ghs_secret_token',
      'check-name': 'Cache warm',
      'report-file': path.join(dir, 'crash.json')
    })

    await run({
      env: {
        GITHUB_WORKSPACE: dir,
        GITHUB_REPOSITORY: 'acme/reports',
        GITHUB_SHA: 'c'.repeat(40),
        GITHUB_API_URL: github.origin
      },
      engine: {
        send: () => {
          throw new RangeError(`Maximum call stack size exceeded near ${KEY}`)
        }
      }
    })

    expect(core.outputs.result).toBe('failed')
    expect(core.outputs.skipped).toBe('1')
    expect(core.failures).toHaveLength(1)
    expect(core.summaries.join('')).toContain('the run stopped on an unexpected error')
    const report = JSON.parse(await readFile(path.join(dir, 'crash.json'), 'utf8'))
    expect(report).toMatchObject({ result: 'failed', stepFailed: true })
    await github.close()
    const last = bodies[bodies.length - 1]!
    expect(last).toMatch(/^PATCH \/repos\/acme\/reports\/check-runs\/7 /)
    expect(JSON.parse(last.slice(last.indexOf('{')))).toMatchObject({
      status: 'completed',
      conclusion: 'failure'
    })
    expect(everything() + JSON.stringify(report) + bodies.join('')).not.toContain(KEY)
  })

  it('an ordinary header value blanks nothing and changes no verdict', async () => {
    core.reset({
      url: server.origin,
      'api-key': KEY,
      endpoints: 'critical: [/a, {path: /b, expect: {json: {nope: exists}}}]',
      headers: 'X-Debug: 1\nX-Stage: step\nX-Mode: failed\nAccept-Language: en',
      'report-file': path.join(dir, 'plain-headers.json')
    })

    await run({ env: { GITHUB_WORKSPACE: dir } })

    expect(core.secrets).toEqual([KEY, KEY.toUpperCase()])
    expect(core.outputs.result).toBe('failed')
    expect(core.failures).toHaveLength(1)
    const report = JSON.parse(await readFile(path.join(dir, 'plain-headers.json'), 'utf8'))
    expect(report.stepFailed).toBe(true)
    expect(report.tiers[0].endpoints.map((e: { outcome: string }) => e.outcome)).toEqual([
      'passed',
      'failed'
    ])
    expect(core.logs.join('\n')).toContain('Warming critical: 2 endpoint(s)')
  })
})

describe('the step log', () => {
  /** The log lines outside every group, and the groups' titles, in order. */
  const shape = (logs: readonly string[]) => {
    const outside: string[] = []
    const groups: string[] = []
    let open = false
    for (const l of logs) {
      if (l.startsWith('group: ')) {
        expect({ l, nested: open }).toEqual({ l, nested: false })
        open = true
        groups.push(l.slice('group: '.length))
      } else if (l === 'endgroup') {
        expect({ l, open }).toEqual({ l, open: true })
        open = false
      } else if (!open) outside.push(l)
    }
    expect(open).toBe(false)
    return { outside, groups }
  }

  it('groups each tier, prints its result outside, and ends with the verdict', async () => {
    core.reset({
      url: server.origin,
      'api-key': KEY,
      endpoints: 'critical: [/a, /b]\nnormal: [/c]',
      'report-file': path.join(dir, 'log-small.json')
    })

    await run({ env: { GITHUB_WORKSPACE: dir } })

    expect(core.failures).toEqual([])
    const { outside, groups } = shape(core.logs)
    expect(groups).toEqual([
      'Warming critical: 2 endpoint(s)',
      'Warming normal: 1 endpoint(s)',
      'Verifying: each GET endpoint once more'
    ])
    expect(outside).toEqual([
      expect.stringMatching(/^info: critical: 2\/2 warmed in \d+ms, p50 \d+ms$/),
      expect.stringMatching(/^info: normal: 1\/1 warmed in \d+ms, p50 \d+ms$/),
      expect.stringMatching(/^info: verify (passed|warning) in \d+ms: 0\/3 from cache/),
      'info: Cache warm passed: 3/3 warmed, verify 0/3 cached'
    ])
    expect(core.logs).toContainEqual(expect.stringMatching(/^info: {3}ok {3}GET \/b 200 \d+ms$/))
  })

  it('the verdict comes after the warnings from GitHub, too', async () => {
    nock('https://api.github.com')
      .post('/repos/acme/reports/check-runs')
      .twice()
      .reply(403, { message: 'Resource not accessible by integration' })
    core.reset({
      url: server.origin,
      'api-key': KEY,
      endpoints: '- /a',
      'github-token': 'ghs_secret_token',
      'check-name': 'Cache warm',
      verify: 'false',
      'report-file': path.join(dir, 'log-gh.json')
    })

    await run({
      env: { GITHUB_WORKSPACE: dir, GITHUB_REPOSITORY: 'acme/reports', GITHUB_SHA: 'b'.repeat(40) }
    })

    expect(core.logs.at(-2)).toMatch(/^warning: could not (create|complete) the check run/)
    expect(core.logs.at(-1)).toBe('info: Cache warm passed: 1/1 warmed')
  })

  it("a failing run ends with setFailed's line, after the warnings from GitHub", async () => {
    nock('https://api.github.com')
      .post('/repos/acme/reports/check-runs')
      .twice()
      .reply(403, { message: 'Resource not accessible by integration' })
    core.reset({
      url: server.origin,
      'api-key': 'wrong',
      endpoints: '- /a',
      'github-token': 'ghs_secret_token',
      'check-name': 'Cache warm',
      'report-file': path.join(dir, 'log-red.json')
    })

    await run({
      env: { GITHUB_WORKSPACE: dir, GITHUB_REPOSITORY: 'acme/reports', GITHUB_SHA: 'b'.repeat(40) }
    })

    expect(core.failures).toHaveLength(1)
    expect(core.logs.at(-2)).toMatch(/^warning: could not (create|complete) the check run/)
    expect(core.logs.at(-1)).toBe(`failed: ${core.failures[0]}`)
    shape(core.logs)
  })

  describe('a run of 300 endpoints', () => {
    let big: LocalServer
    beforeAll(async () => {
      big = await startServer((req, res) =>
        /^\/p\/\d*99$/.test(req.url ?? '')
          ? json(res, 404, { error: 'no such report' })
          : json(res, 200, { success: true, data: [1] })
      )
    })
    afterAll(() => big.close())

    const inputs = (file: string) => ({
      url: big.origin,
      endpoints: Array.from({ length: 300 }, (_, i) => `- /p/${i}`).join('\n'),
      concurrency: '16',
      'fail-on': 'any',
      verify: 'false',
      'report-file': path.join(dir, file)
    })

    it('lists only the failures and the slowest five, and says so once', async () => {
      core.reset(inputs('log-300.json'))

      await run({ env: { GITHUB_WORKSPACE: dir } })

      const report = JSON.parse(await readFile(path.join(dir, 'log-300.json'), 'utf8'))
      expect(report.tiers[0].endpoints).toHaveLength(300)
      expect(core.logs.filter(l => l.includes('only failures are listed'))).toEqual([
        'info: (300 endpoints: only failures are listed; the report has every one; set ACTIONS_STEP_DEBUG to list all)'
      ])
      const { groups } = shape(core.logs)
      expect(groups).toEqual(['Warming normal: 300 endpoint(s)'])
      const listed = core.logs.filter(l => /^info: {3}(ok|FAIL)/.test(l))
      expect(listed.filter(l => l.includes('FAIL'))).toHaveLength(3)
      expect(listed.filter(l => l.includes('ok'))).toHaveLength(5)
      expect(core.logs).toContain('info:   slowest 5 of 297 warmed:')
      expect(core.logs).toContainEqual(
        expect.stringMatching(/^info: normal: 297\/300 warmed in .+, 3 failed, p50 \d+ms$/)
      )
      expect(core.logs.at(-1)).toBe(`failed: ${core.failures[0]}`)
    })

    it('lists every endpoint when ACTIONS_STEP_DEBUG is on', async () => {
      core.reset(inputs('log-300-debug.json'), { debug: true })

      await run({ env: { GITHUB_WORKSPACE: dir } })

      expect(core.logs.filter(l => /^info: {3}(ok|FAIL)/.test(l))).toHaveLength(300)
      expect(core.logs.some(l => l.includes('only failures are listed'))).toBe(false)
      shape(core.logs)
    })

    it('annotates at most ten endpoints, then says how many more', async () => {
      const many = { ...inputs('log-300-many.json'), endpoints: '' }
      many.endpoints = Array.from({ length: 300 }, (_, i) => `- /p/${i}${i % 2 ? '99' : ''}`).join(
        '\n'
      )
      core.reset(many)

      await run({ env: { GITHUB_WORKSPACE: dir } })

      const annotations = core.logs.filter(l => l.startsWith('error: GET /p/'))
      expect(annotations).toHaveLength(10)
      expect(core.logs).toContain(
        'error: and 140 more endpoint(s) not passed; the job summary and the report list every one'
      )
    })
  })
})
