import { afterEach, describe, expect, it } from '@jest/globals'
import nock from 'nock'
import { MAX_REDIRECTS, sendFollowing } from '../../src/http/redirect.js'
import { NetworkError, type SendOptions } from '../../src/http/request.js'
import { startServer, type LocalServer } from '../support/server.js'

const OPTS: SendOptions = { timeoutMs: 2000, maxBodyBytes: 1024 * 1024 }
const API = 'https://api.example.com'
const KEY = { 'X-API-Key': 'sekrit-123' }

describe('sendFollowing: same-origin redirects', () => {
  it('follows a same-origin redirect and says where the answer came from', async () => {
    nock(API)
      .get('/old')
      .reply(301, '', { Location: '/new' })
      .get('/new')
      .matchHeader('x-api-key', 'sekrit-123')
      .reply(200, { ok: true })

    const res = await sendFollowing({ method: 'GET', url: `${API}/old`, headers: KEY }, OPTS)

    expect(res.status).toBe(200)
    expect(res.finalUrl).toBe(`${API}/new`)
    expect(res.redirects).toBe(1)
    expect(res.blockedRedirect).toBeUndefined()
  })

  it('resolves a relative Location against the current URL and drops the fragment', async () => {
    nock(API)
      .get('/a/b')
      .reply(302, '', { Location: 'c?x=1#frag' })
      .get('/a/c?x=1')
      .reply(200, 'ok')

    const res = await sendFollowing({ method: 'GET', url: `${API}/a/b`, headers: {} }, OPTS)
    expect(res.finalUrl).toBe(`${API}/a/c?x=1`)
  })

  it(`follows up to ${MAX_REDIRECTS} redirects`, async () => {
    const scope = nock(API)
    for (let i = 0; i < MAX_REDIRECTS; i++)
      scope.get(`/r${i}`).reply(307, '', { Location: `/r${i + 1}` })
    scope.get(`/r${MAX_REDIRECTS}`).reply(200, 'done')

    const res = await sendFollowing({ method: 'GET', url: `${API}/r0`, headers: {} }, OPTS)
    expect(res.status).toBe(200)
    expect(res.redirects).toBe(MAX_REDIRECTS)
  })

  it('stops a redirect loop after the limit and says why', async () => {
    nock(API)
      .get('/loop')
      .times(MAX_REDIRECTS + 1)
      .reply(302, '', { Location: '/loop' })

    const res = await sendFollowing({ method: 'GET', url: `${API}/loop`, headers: {} }, OPTS)
    expect(res.status).toBe(302)
    expect(res.redirects).toBe(MAX_REDIRECTS)
    expect(res.blockedRedirect).toEqual({ why: 'too-many', location: API })
  })

  it.each([301, 302])('turns POST into GET on %d as browsers do', async status => {
    nock(API).post('/go', 'x=1').reply(status, '', { Location: '/there' }).get('/there').reply(200)

    const res = await sendFollowing(
      { method: 'POST', url: `${API}/go`, headers: {}, body: 'x=1' },
      OPTS
    )
    expect(res.status).toBe(200)
  })

  it.each([307, 308])('keeps the method and body on %d', async status => {
    nock(API)
      .post('/go', 'x=1')
      .reply(status, '', { Location: '/there' })
      .post('/there', 'x=1')
      .reply(200)

    const res = await sendFollowing(
      { method: 'POST', url: `${API}/go`, headers: {}, body: 'x=1' },
      OPTS
    )
    expect(res.status).toBe(200)
  })

  it('keeps HEAD a HEAD on 303', async () => {
    nock(API).head('/a').reply(303, '', { Location: '/b' }).head('/b').reply(200)

    const res = await sendFollowing({ method: 'HEAD', url: `${API}/a`, headers: {} }, OPTS)
    expect(res.status).toBe(200)
  })

  it('returns a redirect without a Location as it is', async () => {
    nock(API).get('/x').reply(302)

    const res = await sendFollowing({ method: 'GET', url: `${API}/x`, headers: {} }, OPTS)
    expect(res.status).toBe(302)
    expect(res.blockedRedirect).toBeUndefined()
    expect(res.redirects).toBe(0)
  })
})

describe('sendFollowing: redirects that are not followed', () => {
  it('does not follow a redirect to another host (nock: the other host gets nothing)', async () => {
    // No interceptor on evil.example.net: the setup fails the test if anything reaches it.
    nock(API).get('/data').reply(302, '', { Location: 'https://evil.example.net/steal' })

    const res = await sendFollowing({ method: 'GET', url: `${API}/data`, headers: KEY }, OPTS)
    expect(res.status).toBe(302)
    expect(res.blockedRedirect).toEqual({
      why: 'other-origin',
      location: 'https://evil.example.net'
    })
    expect(res.finalUrl).toBe(`${API}/data`)
  })

  it('does not follow a redirect to the same host on another scheme or port', async () => {
    nock(API).get('/data').reply(301, '', { Location: 'http://api.example.com/data' })

    const res = await sendFollowing({ method: 'GET', url: `${API}/data`, headers: KEY }, OPTS)
    expect(res.blockedRedirect?.why).toBe('other-origin')
  })

  it.each([
    ['file:///etc/passwd', 'file:'],
    ['data:text/plain,hello', 'data:'],
    ['javascript:alert(1)', 'javascript:']
  ])('does not follow a redirect to %s', async (location, scheme) => {
    nock(API).get('/x').reply(302, '', { Location: location })

    const res = await sendFollowing({ method: 'GET', url: `${API}/x`, headers: {} }, OPTS)
    expect(res.blockedRedirect?.why).toBe('scheme')
    expect(res.blockedRedirect?.location).toBe(`${scheme}…`)
  })

  it('does not follow an invalid Location', async () => {
    nock(API).get('/x').reply(302, '', { Location: 'http://[nope' })

    const res = await sendFollowing({ method: 'GET', url: `${API}/x`, headers: {} }, OPTS)
    expect(res.blockedRedirect).toEqual({ why: 'bad-location', location: 'http://[nope' })
  })
})

describe('sendFollowing (two local servers)', () => {
  const servers: LocalServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(s => s.close()))
  })

  it('never lets the key reach the other origin', async () => {
    const other = await startServer((_req, res) => res.end('thanks for the key'))
    const deployment = await startServer((_req, res) => {
      res.writeHead(302, { Location: `${other.origin}/collect` })
      res.end()
    })
    servers.push(other, deployment)

    const res = await sendFollowing(
      { method: 'GET', url: `${deployment.origin}/api`, headers: KEY },
      OPTS
    )

    expect(res.blockedRedirect?.why).toBe('other-origin')
    expect(deployment.requests).toHaveLength(1)
    expect(deployment.requests[0]?.headers['x-api-key']).toBe('sekrit-123')
    expect(other.requests).toHaveLength(0)
  })

  it('turns POST into GET on 303 and drops the body and its Content-Type', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/cache/warmup') {
        res.writeHead(303, { Location: '/cache/status' })
        res.end()
      } else res.end('{"warmed":true}')
    })
    servers.push(server)

    const res = await sendFollowing(
      {
        method: 'POST',
        url: `${server.origin}/cache/warmup`,
        headers: { ...KEY, 'Content-Type': 'application/json' },
        body: '{"all":true}'
      },
      OPTS
    )

    expect(res.status).toBe(200)
    const [post, get] = server.requests
    expect(post).toMatchObject({ method: 'POST', body: '{"all":true}' })
    expect(get).toMatchObject({ method: 'GET', url: '/cache/status', body: '' })
    expect(get?.headers['content-type']).toBeUndefined()
    expect(get?.headers['content-length']).toBeUndefined()
    expect(get?.headers['x-api-key']).toBe('sekrit-123')
  })

  it('bounds the whole chain by one timeout', async () => {
    let hop = 0
    const slow = await startServer((_req, res) => {
      hop++
      setTimeout(() => {
        res.writeHead(302, { Location: `/hop${hop}` })
        res.end()
      }, 60)
    })
    servers.push(slow)

    const started = Date.now()
    await expect(
      sendFollowing(
        { method: 'GET', url: `${slow.origin}/`, headers: {} },
        { ...OPTS, timeoutMs: 150 }
      )
    ).rejects.toMatchObject({ kind: 'timeout' })
    expect(Date.now() - started).toBeLessThan(400)
    expect(slow.requests.length).toBeLessThanOrEqual(3)
  })

  it('reports the duration of the whole chain', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/a') {
        res.writeHead(301, { Location: '/b' })
        res.end()
      } else res.end('ok')
    })
    servers.push(server)
    let t = 0
    const res = await sendFollowing(
      { method: 'GET', url: `${server.origin}/a`, headers: {} },
      { ...OPTS, now: () => (t += 10) }
    )
    expect(res.status).toBe(200)
    expect(res.redirects).toBe(1)
    expect(res.durationMs).toBeGreaterThan(10)
  })

  it('passes network errors through', async () => {
    const server = await startServer(req => req.socket.destroy())
    servers.push(server)
    await expect(
      sendFollowing({ method: 'GET', url: `${server.origin}/`, headers: {} }, OPTS)
    ).rejects.toBeInstanceOf(NetworkError)
  })
})

describe('sendFollowing: a Location with user:password@ (local server)', () => {
  let server: LocalServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('is not followed, so the credentials never come back as an Authorization header', async () => {
    server = await startServer((req, res) => {
      if (req.url === '/start') {
        const port = new URL(server!.origin).port
        res.writeHead(302, { Location: `http://admin:hunter2@127.0.0.1:${port}/inside` })
        res.end()
      } else res.end('inside')
    })

    const res = await sendFollowing(
      { method: 'GET', url: `${server.origin}/start`, headers: KEY },
      OPTS
    )

    expect(res.blockedRedirect?.why).toBe('userinfo')
    expect(res.blockedRedirect?.location).not.toContain('hunter2')
    expect(server.requests.map(r => r.url)).toEqual(['/start'])
    expect(server.requests.some(r => r.headers.authorization !== undefined)).toBe(false)
  })
})

describe('sendFollowing: where a refused redirect pointed is shown as its origin only', () => {
  it.each([
    [
      'https://evil.example.net/steal/sk_live_ab#cd?k=x',
      'other-origin',
      'https://evil.example.net'
    ],
    ['https://u:sk_live_ab%23cd@api.example.com/in', 'userinfo', API]
  ])('%s', async (location, why, shown) => {
    nock(API).get('/data').reply(302, '', { Location: location })
    const res = await sendFollowing({ method: 'GET', url: `${API}/data`, headers: KEY }, OPTS)
    expect(res.blockedRedirect).toEqual({ why, location: shown })
  })
})

describe('sendFollowing: a redirect to an access gate login', () => {
  const ACCESS = {
    'CF-Access-Client-Id': 'a1b2c3d4.access',
    'CF-Access-Client-Secret': 'cf-secret-0123456789abcdef',
    ...KEY
  }

  it.each([
    [
      'https://myteam.cloudflareaccess.com/cdn-cgi/access/login/api.example.com?kid=k1&redirect_url=%2Fx',
      'https://myteam.cloudflareaccess.com',
      'cloudflare-access'
    ],
    ['https://MyTeam.CloudflareAccess.com./cdn-cgi/access/login/x', null, 'cloudflare-access'],
    [
      'https://vercel.com/sso-api?url=https%3A%2F%2Fapi.example.com%2Fx&nonce=n1',
      'https://vercel.com',
      'vercel'
    ]
  ])(
    'is not followed (nothing is sent there) and names the gate: %s',
    async (location, origin, protection) => {
      // No interceptor for the gate: a request to it would fail this test as unexpected.
      nock(API).get('/x').reply(302, '', { Location: location })
      const res = await sendFollowing({ method: 'GET', url: `${API}/x`, headers: ACCESS }, OPTS)
      expect(res.status).toBe(302)
      expect(res.blockedRedirect).toMatchObject({ why: 'other-origin', protection })
      if (origin) expect(res.blockedRedirect!.location).toBe(origin)
    }
  )

  it.each([
    'https://cloudflareaccess.com.evil.example/cdn-cgi/access/login/x',
    'https://evilcloudflareaccess.com/x',
    'https://vercel.com/docs',
    'https://other.example/sso-api'
  ])('does not mistake %s for a gate login', async location => {
    nock(API).get('/x').reply(302, '', { Location: location })
    const res = await sendFollowing({ method: 'GET', url: `${API}/x`, headers: KEY }, OPTS)
    expect(res.blockedRedirect?.why).toBe('other-origin')
    expect(res.blockedRedirect?.protection).toBeUndefined()
  })
})
