/**
 * A deployment behind Cloudflare Access without a service token: every request is redirected
 * to https://<team>.cloudflareaccess.com/cdn-cgi/access/login/... The action must say so in
 * words a user can act on, and send nothing there: nock is loaded with no interceptor for the
 * Access host, so any request to it (the key, a header, anything) fails the test.
 */
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import nock from 'nock'
import { useHostileServer } from '../support/hostile-server.js'
import { runMain } from '../support/adversarial.js'

jest.unstable_mockModule('@actions/core', () => import('../fixtures/core.js'))
const core = await import('../fixtures/core.js')
const { run } = await import('../../src/main.js')

const ACCESS = 'https://acme-team.cloudflareaccess.com'
const KEY = 'deploy-key-7f3a91c2'
const SECRET = 'cfs-wrong-or-absent-99'

const env = useHostileServer('adv-access-')
beforeEach(() => {
  env.server.reset()
  // No interceptor for the Access host: nock fails the test on any request to it.
  expect(nock.activeMocks()).toEqual([])
  env.server.set('/*', (res, ctx) => {
    const back = encodeURIComponent(`${ctx.origin}${ctx.url.pathname}`)
    res.writeHead(302, {
      Location: `${ACCESS}/cdn-cgi/access/login/${ctx.url.host}?kid=0a1b2c&redirect_url=${back}&meta=${SECRET}`
    })
    res.end()
  })
})

const HINT =
  'behind Cloudflare Access: add a service token (CF-Access-Client-Id and CF-Access-Client-Secret in headers)'

describe('a deployment behind Cloudflare Access', () => {
  it('explains the redirect to the Access login and sends nothing to it', async () => {
    const a = await runMain(
      core,
      run,
      {
        url: env.server.origin,
        'api-key': KEY,
        headers: `CF-Access-Client-Id: app.access\nCF-Access-Client-Secret: ${SECRET}`,
        endpoints: 'critical: [/a]',
        'wait-for': '/health',
        'wait-timeout': '300ms',
        'poll-interval': '100ms',
        retries: '0',
        deadline: '4s'
      },
      { dir: env.dir, limitMs: 8000 }
    )

    expect(a.outputs.result).toBe('failed')
    // The wait phase names the gate too, not only "another origin".
    const wait = a.report!.phases.find((p: { name: string }) => p.name === 'wait')
    expect(wait.detail).toContain(`302 redirect to ${ACCESS} (not followed): ${HINT}`)
    expect(a.summary).toContain(HINT)
    expect(a.failures.join('\n') + a.logs.join('\n')).toContain(HINT)
    // Only its origin is shown: the rest of the Location carried the secret.
    for (const text of [a.summary, a.reportText, a.logs.join('\n')])
      expect(text).not.toContain(SECRET)
  })

  it('names the gate for a warmed endpoint, with the key and headers withheld', async () => {
    const a = await runMain(
      core,
      run,
      {
        url: env.server.origin,
        'api-key': KEY,
        endpoints: 'critical: [/a]',
        retries: '0',
        deadline: '4s'
      },
      { dir: env.dir, limitMs: 8000 }
    )
    const ep = a.report!.tiers[0].endpoints[0]
    expect(ep).toMatchObject({ outcome: 'failed', cause: 'redirect-other-origin' })
    expect(ep.reason).toBe(
      `GET /a redirected (302) to ${ACCESS}: ${HINT}; if they are set, the token is wrong, expired or not allowed by a Service Auth policy; not followed (the key and headers withheld)`
    )
  })
})
