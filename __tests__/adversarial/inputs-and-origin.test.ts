/**
 * Class 8 (bad input never reaches the wire), 9 (deployment_status: the key goes only to
 * environment_url), 10 (paths stay in the workspace; userinfo in a sitemap loc is never used),
 * and redirects that try to carry the key to another origin.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  startCounter,
  startHostileServer,
  urlset,
  xml,
  type HostileServer
} from '../support/hostile-server.js'
import {
  artifactTexts,
  describeLeaks,
  explain,
  findLeaks,
  runMain,
  type Artifacts
} from '../support/adversarial.js'

jest.unstable_mockModule('@actions/core', () => import('../fixtures/core.js'))
const core = await import('../fixtures/core.js')
const { run } = await import('../../src/main.js')

const KEY = 'sk_live_INPUTS_7f3a9c2e5b1d4a60'
let server: HostileServer
let second: HostileServer
let root: string
let ws: string

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'adv-inputs-'))
  ws = path.join(root, 'a', 'b')
  await mkdir(ws, { recursive: true })
  ;[server, second] = await Promise.all([startHostileServer(), startHostileServer()])
})
afterAll(async () => {
  await Promise.all([server.close(), second.close()])
  await rm(root, { recursive: true, force: true })
})
beforeEach(() => {
  server.reset()
  second.reset()
})

const base = (): Record<string, string> => ({
  url: server.origin,
  'api-key': KEY,
  endpoints: '- /ok',
  timeout: '400ms',
  retries: '0',
  deadline: '3s'
})
const go = (inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<Artifacts> =>
  runMain(core, run, inputs, { dir: ws, env, limitMs: 4000 })

describe('class 8: bad input is refused before anything is sent', () => {
  const cases: [string, Record<string, string>, string, string | undefined][] = [
    [
      'api-key with a BEL control character',
      { 'api-key': 'sk_live_BAD\u0007KEY_123456' },
      'api-key',
      'sk_live_BAD\u0007KEY_123456'
    ],
    [
      'api-key with an ESC control character',
      { 'api-key': 'sk_live_BAD\u001bKEY_123456' },
      'api-key',
      'sk_live_BAD\u001bKEY_123456'
    ],
    [
      'api-key with a DEL character',
      { 'api-key': 'sk_live_BAD\u007fKEY_123456' },
      'api-key',
      'sk_live_BAD\u007fKEY_123456'
    ],
    [
      'api-key with a non-latin1 character',
      { 'api-key': 'sk_live_ключ_€_123456' },
      'api-key',
      'sk_live_ключ_€_123456'
    ],
    [
      'api-key with latin1 characters (servers read them as latin1 or UTF-8)',
      { 'api-key': 'sk_live_café_ñandú_ÿ_7f3a9c2e5b' },
      'api-key',
      'sk_live_café_ñandú_ÿ_7f3a9c2e5b'
    ],
    [
      'a secret header value with latin1 characters',
      { headers: 'X-Auth-Token: tök_123456789' },
      'headers',
      'tök_123456789'
    ],
    [
      'api-key with an emoji',
      { 'api-key': 'sk_live_🔑_1234567890' },
      'api-key',
      'sk_live_🔑_1234567890'
    ],
    [
      'a header value with a control character',
      { headers: 'X-Debug: a\u0007b' },
      'headers',
      undefined
    ],
    [
      'a header value with a non-latin1 character',
      { headers: 'X-Note: ✅ done' },
      'headers',
      undefined
    ],
    [
      'a secret header value with a non-latin1 character',
      { headers: 'X-Auth-Token: tok€n_123456789' },
      'headers',
      'tok€n_123456789'
    ],
    ['api-key-header: Host', { 'api-key-header': 'Host' }, 'api-key-header', undefined],
    [
      'api-key-header: Content-Length',
      { 'api-key-header': 'Content-Length' },
      'api-key-header',
      undefined
    ],
    [
      'api-key-header: Transfer-Encoding',
      { 'api-key-header': 'Transfer-Encoding' },
      'api-key-header',
      undefined
    ],
    ['api-key-header: Connection', { 'api-key-header': 'Connection' }, 'api-key-header', undefined],
    ['headers setting Host', { headers: 'Host: evil.example' }, 'headers', undefined],
    ['headers setting Content-Length', { headers: 'Content-Length: 0' }, 'headers', undefined]
  ]
  it.each(cases)(
    '%s: one line naming the input, no request, fast',
    async (_n, bad, input, secret) => {
      const a = await go({ ...base(), ...bad })
      const message = a.failures.join('\n')
      expect({
        failures: a.failures.length,
        oneLine: !message.includes('\n'),
        namesInput: message.includes(input),
        requests: server.requests.length,
        fast: a.ms < 2000,
        result: a.outputs.result,
        why: explain(a, secret ?? KEY)
      }).toMatchObject({
        failures: 1,
        oneLine: true,
        namesInput: true,
        requests: 0,
        fast: true,
        result: 'failed'
      })
      if (secret) expect(describeLeaks(findLeaks(secret, artifactTexts(a)))).toBe('')
      expect(describeLeaks(findLeaks(KEY, artifactTexts(a)))).toBe('')
    }
  )
})

describe('class 9: deployment_status picks where the key goes', () => {
  async function event(status: Record<string, unknown>): Promise<NodeJS.ProcessEnv> {
    const file = path.join(root, `event-${Math.random().toString(36).slice(2)}.json`)
    await writeFile(
      file,
      JSON.stringify({
        deployment_status: { state: 'success', ...status },
        deployment: { sha: 'abc123def4567890abc123def4567890abc12345', environment: 'preview' }
      })
    )
    return { GITHUB_EVENT_PATH: file, GITHUB_EVENT_NAME: 'deployment_status' }
  }

  it('target_url only (no environment_url): that server gets nothing; one line asks for url', async () => {
    const env = await event({ target_url: `${second.origin}/deploys/1` })
    const a = await go({ ...base(), url: '' }, env)
    expect({
      secondServerRequests: second.requests.length,
      failures: a.failures.length,
      asksForUrl: /\burl\b/.test(a.failures.join('')),
      oneLine: !a.failures.join('').includes('\n'),
      why: explain(a, KEY)
    }).toMatchObject({ secondServerRequests: 0, failures: 1, asksForUrl: true, oneLine: true })
  })

  it('environment_url set: that server gets the key, the target_url server nothing', async () => {
    const env = await event({ environment_url: server.origin, target_url: `${second.origin}/d/1` })
    const a = await go({ ...base(), url: '' }, env)
    expect(server.withKey().length).toBeGreaterThan(0)
    expect(server.withKey()[0]!.headers['x-api-key']).toBe(KEY)
    expect(second.requests.length).toBe(0)
    expect(a.outputs.result).toBe('passed')
  })
})

describe('class 10: paths stay inside the workspace', () => {
  const MARKER = 'OUTSIDE-MARKER-5e1f0c'
  beforeAll(async () => {
    await writeFile(path.join(root, 'outside.txt'), `- /${MARKER}\n`)
    await writeFile(path.join(root, 'outside-bad.txt'), `${MARKER}: [ {{ not yaml\n`)
    await symlink(path.join(root, 'outside.txt'), path.join(ws, 'linked.txt'))
    await mkdir(path.join(ws, 'sub'), { recursive: true })
    await symlink(root, path.join(ws, 'sub', 'up'))
  })
  it.each([
    ['../../outside.txt', '../../outside.txt'],
    ['../../outside-bad.txt (not YAML)', '../../outside-bad.txt'],
    ['an absolute path outside', () => path.join(root, 'outside.txt')],
    ['a symlink in the workspace pointing outside', 'linked.txt'],
    ['a path through a symlinked directory', 'sub/up/outside.txt']
  ])('endpoints-file %s is refused; the marker appears nowhere', async (_n, file) => {
    const f = typeof file === 'function' ? file() : file
    const a = await go({ ...base(), endpoints: '', 'endpoints-file': f })
    const texts = artifactTexts(a)
    const shown = Object.entries(texts)
      .filter(([, t]) => t.includes(MARKER))
      .map(([k]) => k)
    expect({
      stepFailed: a.failures.length > 0,
      namesInput: a.failures.join('').includes('endpoints-file'),
      markerIn: shown,
      requestsForMarker: server.requests.filter(r => r.url.includes(MARKER)).length,
      why: explain(a, KEY)
    }).toMatchObject({ stepFailed: true, namesInput: true, markerIn: [], requestsForMarker: 0 })
  })

  it('a sitemap loc with user:password@ never sends Authorization; the password appears nowhere', async () => {
    const port = new URL(server.origin).port
    server.set(
      '/sitemap.xml',
      xml(urlset([`http://user:pw-s3cr3t-Zq9@127.0.0.1:${port}/x`, `${server.origin}/ok`]))
    )
    const a = await go({ ...base(), endpoints: '', sitemap: '/sitemap.xml' })
    const texts = artifactTexts(a)
    expect({
      authorization: server.requests.filter(r => r.headers.authorization !== undefined).length,
      passwordIn: Object.entries(texts)
        .filter(([, t]) => t.includes('pw-s3cr3t-Zq9') || t.includes('cHctczNjcjN0LVpxOQ'))
        .map(([k]) => k),
      why: explain(a, KEY)
    }).toMatchObject({ authorization: 0, passwordIn: [] })
  })
})

describe('redirects that try to take the key elsewhere', () => {
  let counter: Awaited<ReturnType<typeof startCounter>>
  beforeAll(async () => {
    counter = await startCounter()
  })
  afterAll(async () => {
    await counter.close()
  })

  const locations: [string, () => string][] = [
    ['https on the same host, another port', () => `https://127.0.0.1:${counter.port}/steal`],
    ['protocol-relative //host:port', () => `//127.0.0.1:${second.port}/steal`],
    ['origin@otherhost (userinfo trick)', () => `${server.origin}@127.0.0.1:${second.port}/steal`],
    ['origin + tab + @otherhost', () => `${server.origin}\t@127.0.0.1:${second.port}/steal`],
    ['backslashes \\\\host:port', () => `\\\\127.0.0.1:${second.port}/steal`],
    ['/\\host:port', () => `/\\127.0.0.1:${second.port}/steal`],
    ['http:host:port (no slashes)', () => `http:127.0.0.1:${second.port}/steal`],
    ['localhost instead of 127.0.0.1', () => `http://localhost:${server.port}/steal`]
  ]
  it.each(locations)('Location %s: the key does not follow', async (_n, loc) => {
    const l = loc()
    server.set('/go', res => {
      res.writeHead(302, { Location: l })
      res.end()
    })
    const before = counter.connections()
    const a = await go({ ...base(), endpoints: '- /go' })
    const strays = [
      ...second.withKey(),
      ...server
        .withKey()
        .filter(r => r.url.includes('steal') && r.headers.host?.startsWith('localhost'))
    ]
    expect({
      keyElsewhere: strays.length,
      tlsConnections: counter.connections() - before,
      result: a.outputs.result,
      why: explain(a, KEY)
    }).toMatchObject({
      keyElsewhere: 0,
      tlsConnections: 0,
      // `http:host:port/x` with no slashes is, by the WHATWG parser, a path on the same origin.
      ...(l.startsWith('http:1') ? {} : { result: 'failed' })
    })
    expect(describeLeaks(findLeaks(KEY, artifactTexts(a)))).toBe('')
  })

  it('a Set-Cookie carrying the key is not replayed and not shown', async () => {
    server.set('/cookie', (res, ctx) => {
      res.writeHead(302, { Location: '/landing/next', 'Set-Cookie': `k=${ctx.got}; Path=/` })
      res.end()
    })
    const a = await go({ ...base(), endpoints: '- /cookie' })
    expect(server.requests.filter(r => String(r.headers.cookie ?? '').includes(KEY)).length).toBe(0)
    expect(describeLeaks(findLeaks(KEY, artifactTexts(a)))).toBe('')
  })

  it('a header value equal to the key is redacted and does not break the run', async () => {
    const a = await go({ ...base(), headers: `X-Also: ${KEY}` })
    expect(a.outputs.result).toBe('passed')
    expect(describeLeaks(findLeaks(KEY, artifactTexts(a)))).toBe('')
  })
})
