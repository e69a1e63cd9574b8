/**
 * Bad input, at the level of a run: every bad value across the inputs makes the action fail with
 * ONE line that names the input, set `result=failed`, and send nothing (a local server counts).
 * __tests__/config/settings.test.ts checks the parser's messages; this checks what a user sees.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { json, startServer, type LocalServer } from '../support/server.js'

jest.unstable_mockModule('@actions/core', () => import('../fixtures/core.js'))
const core = await import('../fixtures/core.js')
const { run } = await import('../../src/main.js')

const KEY = 'sk_live_BADINPUT_1a2b3c4d5e6f'
/** What the files outside the workspace say; no line, log or output may show it. */
const OUTSIDE = 'OUTSIDE_WORKSPACE_c0ffee42'
let server: LocalServer
let root: string
let dir: string

beforeAll(async () => {
  // root/work is the workspace; root/etc is outside it.
  root = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-bad-'))
  dir = path.join(root, 'work')
  await mkdir(dir)
  await mkdir(path.join(root, 'etc'))
  await writeFile(path.join(root, 'etc', 'hostname'), `${OUTSIDE}\n`)
  await writeFile(
    path.join(root, 'etc', 'sitemap.xml'),
    `<urlset><url><loc>${OUTSIDE}</loc></url></urlset>`
  )
  await symlink(path.join(root, 'etc', 'hostname'), path.join(dir, 'hostname.yml'))
  await symlink(path.join(root, 'etc'), path.join(dir, 'etc-link'))
  await writeFile(path.join(dir, 'broken.yml'), 'critical: [/a\n')
  await writeFile(path.join(dir, 'dup.yml'), '- /a\n- /a\n')
  await writeFile(path.join(dir, 'scalar.txt'), `${OUTSIDE}\n`)
  server = await startServer((_req, res) => json(res, 200, { success: true, data: [1] }))
})
afterAll(async () => {
  await server.close()
  await rm(root, { recursive: true, force: true })
})
beforeEach(() => core.reset())

/** [the input the line must name, the inputs over a good base]. */
const CASES: [string, Record<string, string>][] = [
  // url
  ['url', { url: 'ftp://127.0.0.1/' }],
  ['url', { url: 'http://127.0.0.1:8787 http://127.0.0.1:8788' }],
  ['url', { url: 'https://user:pass@example.com' }],
  ['url', { url: 'http://example.com' }], // the key in clear text to a remote host
  ['url', { url: 'http://[::1' }],
  // api-key and headers: injection
  ['api-key', { 'api-key': `${KEY}\nX-Injected: 1` }],
  ['api-key', { 'api-key': `${KEY}\r\nHost: evil.example` }],
  ['api-key-header', { 'api-key-header': 'X API Key' }],
  ['api-key-header', { 'api-key-header': 'X-Key\r\nX-Injected: 1' }],
  ['headers', { headers: 'X-Team: web\r\nHost: evil.example' }],
  ['headers', { headers: 'X-Team: a\rb' }],
  ['headers', { headers: 'not a header line' }],
  ['headers', { headers: 'X-API-Key: other' }],
  ['headers', { headers: 'Content-Length: 5' }],
  // endpoints: YAML, types, unknown keys, duplicates, other origins
  ['endpoints', { endpoints: 'critical: [/a' }],
  ['endpoints', { endpoints: 'urgent: [/a]' }],
  ['endpoints', { endpoints: '- path: /a\n  methd: POST' }],
  ['endpoints', { endpoints: '- path: 42' }],
  ['endpoints', { endpoints: '- FETCH /a' }],
  ['endpoints', { endpoints: '- //evil.example/steal' }],
  ['endpoints', { endpoints: '- https://evil.example/steal' }],
  ['endpoints', { endpoints: '- path: /a\n  method: GET\n  body: {x: 1}' }],
  ['endpoints', { endpoints: '- path: /a\n  headers: {"X-A": "1\\r\\nHost: evil"}' }],
  ['endpoints', { endpoints: '- /a\n- /a' }],
  ['endpoints', { endpoints: 'true' }],
  ['endpoints', { endpoints: '' }],
  ['endpoints-file', { endpoints: '', 'endpoints-file': 'missing.yml' }],
  ['endpoints-file', { endpoints: '', 'endpoints-file': 'broken.yml' }],
  ['endpoints-file', { endpoints: '', 'endpoints-file': '.' }],
  ['endpoints-file', { endpoints: '', 'endpoints-file': 'dup.yml' }],
  ['expect', { expect: 'json: {success: true' }],
  ['expect', { expect: 'jsn: {success: true}' }],
  // numbers and durations
  ['concurrency', { concurrency: 'eight' }],
  ['concurrency', { concurrency: '0' }],
  ['concurrency', { concurrency: '100000' }],
  ['concurrency', { concurrency: '-4' }],
  ['retries', { retries: '1.5' }],
  ['retries', { retries: '99' }],
  ['timeout', { timeout: '-5s' }],
  ['timeout', { timeout: '0' }],
  ['timeout', { timeout: '10 minutes' }],
  ['timeout', { timeout: '11m' }],
  ['deadline', { deadline: '7h' }],
  ['deadline', { deadline: '1e3' }],
  ['wait-timeout', { 'wait-for': '/health', 'wait-timeout': 'soon' }],
  ['poll-interval', { 'poll-interval': '-1s' }],
  ['poll-timeout', { 'metrics-path': '/m', 'min-hit-rate': '70%', 'poll-timeout': 'NaN' }],
  // enums and booleans
  ['fail-on', { 'fail-on': 'sometimes' }],
  ['dry-run', { 'dry-run': 'yes' }],
  ['verify', { verify: 'maybe' }],
  ['pr-comment', { 'pr-comment': '1' }],
  ['warmup-trigger-required', { 'warmup-trigger-required': 'required' }],
  // phases and gates
  ['min-cached', { 'min-cached': '150%' }],
  ['min-cached', { verify: 'false', 'min-cached': '80%' }],
  ['min-hit-rate', { 'metrics-path': '/m', 'min-hit-rate': 'high' }],
  ['min-cache-size', { 'metrics-path': '/m', 'min-cache-size': '-3' }],
  ['thresholds', { 'metrics-path': '/m', thresholds: 'l1.hitRate => 70%' }],
  ['warmup-trigger', { 'warmup-trigger': 'FETCH /warm' }],
  ['check-name', { 'check-name': 'Cache\nwarm' }],
  // characters an HTTP header cannot carry: these used to fail only after a full timeout
  ['api-key', { 'api-key': `${KEY}\u20ac` }],
  ['api-key', { 'api-key': `${KEY}\u0001` }],
  ['api-key', { 'api-key': `\u007f${KEY}` }],
  ['api-key', { 'api-key': `${KEY}\u{1f511}` }],
  ['headers', { headers: 'X-Team: \u5bc6' }],
  ['headers', { headers: `Authorization: Bearer ${KEY}\u20ac` }],
  ['endpoints', { endpoints: '- path: /a\n  headers: {X-A: "a\\u0001b"}' }],
  ['endpoints', { endpoints: '- path: /a\n  headers: {X-A: "\u20ac"}' }],
  ['version-override', { 'version-override': 'w="\u20ac"' }],
  ['version-override', { 'version-override': 'w="\u0007"' }],
  // headers the action or the HTTP stack sets, or that reframe the request
  ['api-key-header', { 'api-key-header': 'Host' }],
  ['api-key-header', { 'api-key-header': 'Content-Length' }],
  ['api-key-header', { 'api-key-header': 'Transfer-Encoding' }],
  ['api-key-header', { 'api-key-header': 'User-Agent' }],
  ['api-key-header', { 'api-key-header': 'Content-Type' }],
  ['headers', { headers: 'Expect: 100-continue' }],
  ['headers', { headers: 'Upgrade: h2c' }],
  ['endpoints', { endpoints: '- path: /a\n  headers: {Transfer-Encoding: chunked}' }],
  // files outside the workspace, directly or through a symlink
  ['endpoints-file', { endpoints: '', 'endpoints-file': '../etc/hostname' }],
  ['endpoints-file', { endpoints: '', 'endpoints-file': '../../../../../../../../etc/hostname' }],
  ['endpoints-file', { endpoints: '', 'endpoints-file': 'hostname.yml' }],
  ['endpoints-file', { endpoints: '', 'endpoints-file': 'etc-link/hostname' }],
  ['endpoints-file', { endpoints: '', 'endpoints-file': '/etc/hostname' }],
  ['endpoints-file', { endpoints: '', 'endpoints-file': 'scalar.txt' }],
  ['sitemap', { sitemap: '../etc/sitemap.xml' }],
  ['sitemap', { sitemap: 'etc-link/sitemap.xml' }],
  ['report-file', { 'report-file': '../etc/report.json' }],
  ['report-file', { 'report-file': 'etc-link/report.json' }],
  ['report-file', { 'report-file': '/etc/cache-warm-report.json' }],
  // user:password@ would become an Authorization header
  ['url', { url: 'http://deploy:hunter2@127.0.0.1:9/' }],
  ['endpoints', { endpoints: '- http://deploy:hunter2@127.0.0.1:9/a' }],
  ['sitemap', { sitemap: 'http://deploy:hunter2@127.0.0.1:9/sitemap.xml' }],
  ['wait-for', { 'wait-for': 'http://deploy:hunter2@127.0.0.1:9/health' }],
  // regexes a linear-time matcher cannot run
  ['sitemap-exclude', { sitemap: '/sitemap.xml', 'sitemap-exclude': 're:(a)\\1' }],
  ['sitemap-exclude', { sitemap: '/sitemap.xml', 'sitemap-exclude': 're:^/p/(?!draft)' }],
  // YAML errors, with line and column and nothing of the document
  ['endpoints', { endpoints: `- /a\n- "${KEY}\\q"` }],
  ['expect', { expect: `json: {token: "${KEY}\\q"}` }]
]

describe('bad input: one line naming the input, step failed, nothing sent', () => {
  it('has a case for every kind of mistake (40 or more)', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40)
  })

  it.each(CASES.map(([input, over], i) => [i + 1, input, JSON.stringify(over), over] as const))(
    '#%i %s: %s',
    async (_i, input, _shown, over) => {
      const before = server.requests.length
      core.reset({
        url: server.origin,
        'api-key': KEY,
        endpoints: '- /a',
        'report-file': path.join(dir, 'report.json'),
        ...over
      })

      await run({ env: { GITHUB_WORKSPACE: dir } })

      expect(core.failures).toHaveLength(1)
      const line = core.failures[0]!
      expect(line).not.toMatch(/[\r\n]/)
      // Named first, as `input:` or `input[3]...` / `input.critical[0]...`.
      expect(line).toMatch(new RegExp(`^${input.replace(/-/g, '\\-')}(?:[:.\\[ ]|$)`))
      expect(line).not.toMatch(/\n\s+at /)
      expect(core.outputs.result).toBe('failed')
      expect(core.summaries.join('')).toContain('Cache warm did not start')
      expect(server.requests.length).toBe(before)
      const everything = JSON.stringify([core.logs, core.outputs, core.summaries, core.failures])
      expect(everything).not.toContain(KEY)
      expect(everything).not.toContain(OUTSIDE)
      expect(everything).not.toContain('hunter2')
    }
  )

  it('says where a YAML mistake is, by line and column, and the line with its values masked', async () => {
    core.reset({ url: server.origin, endpoints: '- /a\n- "x\\q"' })
    await run({ env: { GITHUB_WORKSPACE: dir } })
    expect(core.failures).toEqual([
      'endpoints: is not valid YAML or JSON: invalid escape sequence in a double-quoted string at line 2, column 5: `- "***"`'
    ])
  })
})
