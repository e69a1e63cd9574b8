/**
 * Protected deployments (docs/protected.md): a Cloudflare Access service token
 * (CF-Access-Client-Id, CF-Access-Client-Secret) or a Vercel bypass (x-vercel-protection-bypass)
 * passed through `headers` is a secret like the key. A hostile deployment hands each one back in
 * every form it can; no artifact may show it, the runner masks it, and it never goes to another
 * origin. Run in-process (src/main.ts) against servers on 127.0.0.1.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  ECHO_FORMS,
  echo,
  sendText,
  startHostileServer,
  type EchoForm,
  type HostileServer
} from '../support/hostile-server.js'
import {
  artifactTexts,
  describeLeaks,
  explain,
  findLeaks,
  runMain
} from '../support/adversarial.js'

jest.unstable_mockModule('@actions/core', () => import('../fixtures/core.js'))
const core = await import('../fixtures/core.js')
const { run } = await import('../../src/main.js')

const KEY = 'deploy-key-7f3a91c2'
const ACCESS_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f0.access'
// Printable ASCII with the characters each encoding treats differently.
const ACCESS_SECRET = 'cfs_9Q"x\\y/z?w#v%u&t+s=r@q'
const BYPASS = 'vercelBypass0123456789abcdefABCDEF'

let server: HostileServer
let vercel: HostileServer
let elsewhere: HostileServer
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'adv-protected-'))
  ;[server, vercel, elsewhere] = await Promise.all([
    startHostileServer({ keyHeader: 'cf-access-client-secret' }),
    startHostileServer({ keyHeader: 'x-vercel-protection-bypass' }),
    startHostileServer({ keyHeader: 'cf-access-client-secret' })
  ])
})
afterAll(async () => {
  await Promise.all([server.close(), vercel.close(), elsewhere.close()])
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => {
  server.reset()
  vercel.reset()
  elsewhere.reset()
})

const SECRET_HEADERS = [
  'cf-access-client-id',
  'cf-access-client-secret',
  'x-vercel-protection-bypass',
  'x-api-key'
]

/** Requests to the other origin that carried any secret header. */
function strays(): string[] {
  return elsewhere.requests
    .filter(r => SECRET_HEADERS.some(h => r.headers[h] !== undefined))
    .map(r => `${r.method} ${r.path}`)
}

async function attack(target: HostileServer, form: EchoForm, headers: string, secrets: string[]) {
  target.set('/echo', echo(form, { elsewhere: elsewhere.origin }))
  const a = await runMain(
    core,
    run,
    {
      url: target.origin,
      'api-key': KEY,
      headers,
      endpoints: 'critical:\n  - /echo\n  - /ok',
      expect: 'json: {success: true}',
      timeout: '400ms',
      retries: '0',
      deadline: '4s'
    },
    { dir, limitMs: 8000 }
  )
  const problems: string[] = []
  for (const s of secrets) {
    const leaks = findLeaks(s, artifactTexts(a))
    if (leaks.length) problems.push(describeLeaks(leaks))
    if (!core.secrets.includes(s)) problems.push(`  ${JSON.stringify(s)} was not masked`)
  }
  if (strays().length) problems.push(`  the other origin received secrets: ${strays().join(', ')}`)
  if (a.hung) problems.push('  run() did not finish within 8 s')
  if (problems.length)
    throw new Error(`${form} echoed:\n${problems.join('\n')}\n${explain(a, secrets[0])}`)
  return a
}

describe('a Cloudflare Access service token in headers', () => {
  it.each(ECHO_FORMS.map(f => [f]))(
    'never shows the secret or the id when the server echoes the secret (%s)',
    async form => {
      await attack(
        server,
        form,
        `CF-Access-Client-Id: ${ACCESS_ID}\nCF-Access-Client-Secret: ${ACCESS_SECRET}`,
        [ACCESS_SECRET, ACCESS_ID, KEY]
      )
      // The deployment itself got the token, as given.
      const sent = server.requests.find(r => r.path === '/ok')!
      expect(sent.headers['cf-access-client-id']).toBe(ACCESS_ID)
      expect(sent.headers['cf-access-client-secret']).toBe(ACCESS_SECRET)
    }
  )

  it.each(['json-error', 'json-escaped', 'location-same', 'header'] as const)(
    'is a secret by its name in any case, even short and plain (%s)',
    async form => {
      // Neither looks random: only the header names make them secrets.
      const id = 'team-app.access'
      const secret = 'hunter-Sekrit'
      await attack(server, form, `cf-ACCESS-client-ID: ${id}\nCF-ACCESS-CLIENT-SECRET: ${secret}`, [
        secret,
        id
      ])
      const sent = server.requests.find(r => r.path === '/ok')!
      expect(sent.headers['cf-access-client-secret']).toBe(secret)
      expect(sent.headers['cf-access-client-id']).toBe(id)
    }
  )
})

describe('a Vercel protection bypass in headers', () => {
  it.each(ECHO_FORMS.map(f => [f]))(
    'never shows the bypass secret when the server echoes it (%s)',
    async form => {
      await attack(
        vercel,
        form,
        `X-VERCEL-PROTECTION-BYPASS: ${BYPASS}\nx-vercel-set-bypass-cookie: true`,
        [BYPASS, KEY]
      )
    }
  )

  it('masks the bypass but not the flag "true" (masking it would blank every "true")', async () => {
    await attack(
      vercel,
      'json-error',
      `x-vercel-protection-bypass: ${BYPASS}\nx-vercel-set-bypass-cookie: true`,
      [BYPASS]
    )
    expect(core.secrets).not.toContain('true')
    const sent = vercel.requests.find(r => r.path === '/ok')!
    expect(sent.headers['x-vercel-set-bypass-cookie']).toBe('true')
  })
})

const VERCEL_LOGIN_PAGE =
  '<!doctype html><html><head><title>Authentication Required</title></head><body>' +
  '<a href="https://vercel.com/sso-api?url=https%3A%2F%2Fpreview.example&amp;nonce=n0nce">Log in with Vercel</a></body></html>'

describe('a deployment behind Vercel deployment protection', () => {
  it('explains the 401 login page as protection, not a refused key, for endpoints and metrics', async () => {
    server.set('/*', res =>
      sendText(res, 401, VERCEL_LOGIN_PAGE, 'text/html; charset=utf-8', {
        Server: 'Vercel',
        'X-Vercel-Id': 'fra1::abcd-1234',
        'Set-Cookie': '_vercel_sso_nonce=n0nce; Path=/; Secure; HttpOnly'
      })
    )
    const a = await runMain(
      core,
      run,
      {
        url: server.origin,
        'api-key': KEY,
        endpoints: 'critical: [/a]',
        'metrics-path': '/metrics',
        retries: '0',
        deadline: '4s'
      },
      { dir, limitMs: 8000 }
    )
    expect(a.outputs.result).toBe('failed')
    const hint = 'behind Vercel deployment protection: add x-vercel-protection-bypass in headers'
    const ep = a.report!.tiers[0].endpoints[0]
    expect(ep.reason).toContain(`GET /a returned 401 (unauthorized): ${hint}`)
    expect(ep.reason).not.toContain('was refused')
    expect(a.report!.metrics.error).toContain(hint)
    expect(a.summary).toContain(hint)
  })
})
