import { describe, expect, it } from '@jest/globals'
import type { FollowedResponse } from '../../src/http/redirect.js'
import { NetworkError } from '../../src/http/request.js'
import {
  diagnoseNetwork,
  diagnoseRedirect,
  diagnoseStatus,
  serverMessage,
  type DiagnoseContext
} from '../../src/warm/diagnose.js'

function answer(
  status: number,
  body: string | object = '',
  headers: Record<string, string> = {},
  extra: Partial<FollowedResponse> = {}
): FollowedResponse {
  const buf = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
  return {
    status,
    statusText: '',
    headers,
    setCookie: false,
    body: buf,
    truncated: false,
    bytes: buf.length,
    durationMs: 12,
    finalUrl: 'https://api.example.com/x',
    redirects: 0,
    ...extra
  }
}

const CTX: DiagnoseContext = {
  method: 'GET',
  path: '/api/v1/reports',
  apiKeyHeader: 'X-API-Key',
  apiKeySent: true,
  attempts: 1
}

describe('diagnoseStatus: the key', () => {
  it.each([
    [401, 'unauthorized'],
    [403, 'forbidden']
  ])('on %d with a key, names the header that carried it', (status, verb) => {
    const d = diagnoseStatus(answer(status), CTX)
    expect(d.reason).toBe(
      `GET /api/v1/reports returned ${status} (${verb}): the key sent in header X-API-Key was refused; check the api-key secret and api-key-header`
    )
    expect(d.cause).toBe(`http-${status}`)
  })

  it.each([401, 403])('on %d without a key, says no api-key was given', status => {
    const d = diagnoseStatus(answer(status), { ...CTX, apiKeySent: false, apiKeyHeader: 'X-Token' })
    expect(d.reason).toContain('no api-key was given, so no X-Token header was sent')
    expect(d.reason).toContain('set api-key')
  })

  it("quotes the server's own words", () => {
    const d = diagnoseStatus(answer(401, { error: 'invalid key' }), CTX)
    expect(d.reason).toMatch(/\(server said: "invalid key"\)$/)
  })
})

describe('diagnoseStatus: the method', () => {
  it('on 404 for GET on a warm-up route, says it may need POST', () => {
    const d = diagnoseStatus(answer(404), { ...CTX, path: '/cache/warmup' })
    expect(d.reason).toBe('GET /cache/warmup returned 404; this route may need POST')
    expect(d.cause).toBe('http-404')
  })

  it.each(['/cache/warm', '/api/prewarm?all=1', '/admin/refresh', '/cdn/purge/'])(
    'treats %s as an action route',
    path => {
      expect(diagnoseStatus(answer(404), { ...CTX, path }).reason).toContain('may need POST')
    }
  )

  it('on an ordinary 404, says to check the path', () => {
    const d = diagnoseStatus(answer(404), CTX)
    expect(d.reason).toBe('GET /api/v1/reports returned 404; check the path and the method')
  })

  it('on 405 with Allow: POST, says to use POST', () => {
    const d = diagnoseStatus(answer(405, '', { allow: 'POST, OPTIONS' }), {
      ...CTX,
      path: '/cache/warmup'
    })
    expect(d.reason).toBe(
      'GET /cache/warmup returned 405; the server allows POST here, set method: POST'
    )
  })

  it('on 405 without Allow for GET, says it may need POST', () => {
    expect(diagnoseStatus(answer(405), CTX).reason).toContain(
      'the route exists but not for GET, it may need POST'
    )
  })

  it('on 405 without Allow for POST, does not suggest POST', () => {
    const d = diagnoseStatus(answer(405), { ...CTX, method: 'POST' })
    expect(d.reason).toBe('POST /api/v1/reports returned 405; the route exists but not for POST')
  })

  it('ignores HEAD and OPTIONS and the method already used in Allow', () => {
    const d = diagnoseStatus(answer(405, '', { allow: 'GET, HEAD, OPTIONS, PUT' }), CTX)
    expect(d.reason).toContain('the server allows PUT here, set method: PUT')
  })
})

describe('diagnoseStatus: other answers', () => {
  it('on 429, gives the attempts and the Retry-After', () => {
    const d = diagnoseStatus(answer(429, '', { 'retry-after': '30' }), { ...CTX, attempts: 3 })
    expect(d.reason).toBe(
      'GET /api/v1/reports returned 429 (rate limited) after 3 attempts; Retry-After: 30; lower concurrency or raise retries'
    )
    expect(d.cause).toBe('http-429')
  })

  it('on 5xx, gives the status text and the attempt count', () => {
    const d = diagnoseStatus(answer(503, '', {}, { statusText: 'Service Unavailable' }), {
      ...CTX,
      attempts: 3
    })
    expect(d.reason).toBe('GET /api/v1/reports returned 503 Service Unavailable after 3 attempts')
  })

  it('says "1 attempt" in the singular', () => {
    expect(diagnoseStatus(answer(500), CTX).reason).toContain('after 1 attempt')
  })

  it('on a 3xx without Location, says so', () => {
    expect(diagnoseStatus(answer(302), CTX)).toEqual({
      reason: 'GET /api/v1/reports returned 302 (a redirect with no Location header)',
      cause: 'redirect'
    })
  })

  it('on a status expect.status does not accept, says so', () => {
    expect(diagnoseStatus(answer(200), CTX).reason).toBe(
      "GET /api/v1/reports returned 200, which the endpoint's expect.status does not accept"
    )
  })
})

describe('serverMessage', () => {
  it.each([
    [{ error: 'bad key' }, 'bad key'],
    [{ message: 'nope' }, 'nope'],
    [{ detail: 'gone' }, 'gone'],
    [{ title: 'Not Found' }, 'Not Found'],
    [{ error: { message: 'nested' } }, 'nested'],
    ['plain words\n  here', 'plain words here']
  ])('reads %p', (body, said) => {
    expect(serverMessage(answer(400, body))).toBe(said)
  })

  it.each([['<html><body>nope</body></html>'], [''], [{ ok: false }], [{ error: 42 }]])(
    'finds nothing in %p',
    body => {
      expect(serverMessage(answer(400, body))).toBeUndefined()
    }
  )

  it('shortens long messages', () => {
    const said = serverMessage(answer(400, { error: 'x'.repeat(500) }))
    expect(said).toHaveLength(120)
    expect(said?.endsWith('...')).toBe(true)
  })

  it('does not throw on a JSON null body', () => {
    expect(serverMessage(answer(400, 'null'))).toBeUndefined()
  })
})

describe('diagnoseRedirect', () => {
  it('says a redirect to another origin was not followed and the key withheld', () => {
    const d = diagnoseRedirect(
      answer(
        302,
        '',
        {},
        {
          blockedRedirect: { why: 'other-origin', location: 'https://login.example.net/sso' }
        }
      ),
      CTX
    )
    expect(d.reason).toBe(
      "GET /api/v1/reports redirected (302) to https://login.example.net/sso; not followed because it leaves the deployment's origin (key withheld)"
    )
    expect(d.cause).toBe('redirect-other-origin')
  })

  it('says a redirect to another scheme was not followed', () => {
    const d = diagnoseRedirect(
      answer(302, '', {}, { blockedRedirect: { why: 'scheme', location: 'file:…' } }),
      CTX
    )
    expect(d.reason).toBe('GET /api/v1/reports redirected (302) to a file:… URL; not followed')
    expect(d.cause).toBe('redirect-scheme')
  })

  it('calls too many redirects a loop', () => {
    const d = diagnoseRedirect(
      answer(301, '', {}, { blockedRedirect: { why: 'too-many', location: 'https://x/a' } }),
      CTX
    )
    expect(d.reason).toContain('more than 5 times; stopped (a redirect loop?)')
    expect(d.cause).toBe('redirect-loop')
  })

  it('says an invalid Location was not followed', () => {
    const d = diagnoseRedirect(
      answer(301, '', {}, { blockedRedirect: { why: 'bad-location', location: 'http://[' } }),
      CTX
    )
    expect(d).toEqual({
      reason: 'GET /api/v1/reports redirected (301) to an invalid Location; not followed',
      cause: 'redirect'
    })
  })
})

describe('diagnoseNetwork', () => {
  it('gives the timeout that applied and the attempts', () => {
    const d = diagnoseNetwork(new NetworkError('timeout', 'timed out after 10000ms'), {
      ...CTX,
      attempts: 3,
      timeoutMs: 10_000
    })
    expect(d).toEqual({
      reason: 'GET /api/v1/reports timed out after 10s, after 3 attempts',
      cause: 'timeout'
    })
  })

  it('names the kind of failure and its detail', () => {
    const d = diagnoseNetwork(new NetworkError('refused', 'connection refused (ECONNREFUSED)'), {
      ...CTX,
      timeoutMs: 1000
    })
    expect(d.reason).toBe('GET /api/v1/reports connection refused (ECONNREFUSED), after 1 attempt')
    expect(d.cause).toBe('refused')
  })

  it('keeps the detail of a reset in the middle of the body', () => {
    const d = diagnoseNetwork(
      new NetworkError('reset', 'connection reset while reading the body (ECONNRESET)'),
      { ...CTX, attempts: 2, timeoutMs: 1000 }
    )
    expect(d.reason).toBe(
      'GET /api/v1/reports connection reset while reading the body (ECONNRESET), after 2 attempts'
    )
  })

  it('adds a message that does not already say what happened', () => {
    const d = diagnoseNetwork(new NetworkError('network', 'EHOSTUNREACH'), {
      ...CTX,
      timeoutMs: 1000
    })
    expect(d.reason).toBe('GET /api/v1/reports network error (EHOSTUNREACH), after 1 attempt')
  })
})

describe('a deployment behind an access gate', () => {
  it('explains a redirect to a Cloudflare Access login as a missing service token', () => {
    const d = diagnoseRedirect(
      answer(
        302,
        '',
        {},
        {
          blockedRedirect: {
            location: 'https://myteam.cloudflareaccess.com',
            why: 'other-origin',
            protection: 'cloudflare-access'
          }
        }
      ),
      CTX
    )
    expect(d).toEqual({
      reason:
        'GET /api/v1/reports redirected (302) to https://myteam.cloudflareaccess.com: behind Cloudflare Access: add a service token (CF-Access-Client-Id and CF-Access-Client-Secret in headers); if they are set, the token is wrong, expired or not allowed by a Service Auth policy; not followed (the key and headers withheld)',
      cause: 'redirect-other-origin'
    })
  })

  it('explains a redirect to the Vercel login as deployment protection', () => {
    const d = diagnoseRedirect(
      answer(
        307,
        '',
        {},
        {
          blockedRedirect: {
            location: 'https://vercel.com',
            why: 'other-origin',
            protection: 'vercel'
          }
        }
      ),
      CTX
    )
    expect(d.reason).toContain(
      'to https://vercel.com: behind Vercel deployment protection: add x-vercel-protection-bypass in headers'
    )
  })

  it('still words an ordinary cross-origin redirect as before', () => {
    const d = diagnoseRedirect(
      answer(
        302,
        '',
        {},
        {
          blockedRedirect: { location: 'https://elsewhere.example', why: 'other-origin' }
        }
      ),
      CTX
    )
    expect(d.reason).toBe(
      "GET /api/v1/reports redirected (302) to https://elsewhere.example; not followed because it leaves the deployment's origin (key withheld)"
    )
  })

  const VERCEL_PAGE =
    '<!doctype html><title>Authentication Required</title><a href="https://vercel.com/sso-api?url=x&nonce=1">Log in</a>'

  it.each([
    ['its SSO page', answer(401, VERCEL_PAGE, { server: 'Vercel', 'content-type': 'text/html' })],
    [
      'its SSO nonce cookie',
      answer(401, 'Unauthorized', { 'set-cookie': '_vercel_sso_nonce=abc; Path=/; HttpOnly' })
    ],
    ['a 403 with its SSO page', answer(403, VERCEL_PAGE, { 'x-vercel-id': 'fra1::abc' })]
  ])('says a 401/403 from Vercel protection (%s) is not a refused key', (_name, res) => {
    const d = diagnoseStatus(res, CTX)
    expect(d.reason).toMatch(
      /^GET \/api\/v1\/reports returned 40[13] \((unauthorized|forbidden)\): behind Vercel deployment protection: add x-vercel-protection-bypass in headers/
    )
    expect(d.reason).not.toContain('X-API-Key was refused')
  })

  it("keeps a Vercel-hosted deployment's own 401 a refused key", () => {
    const d = diagnoseStatus(
      answer(401, { error: 'Invalid API key' }, { server: 'Vercel', 'x-vercel-id': 'fra1::abc' }),
      CTX
    )
    expect(d.reason).toContain('the key sent in header X-API-Key was refused')
  })
})
