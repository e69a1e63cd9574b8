import { describe, expect, it } from '@jest/globals'
import type { FollowedResponse } from '../../src/http/redirect.js'
import { NetworkError, type HttpRequest } from '../../src/http/request.js'
import { requestHeaders, sendWithRetries, type Send } from '../../src/http/send.js'
import { FakeClock } from '../support/clock.js'
import { API, rawAnswer as answer, T0 } from '../support/phases.js'
import { settingsFrom } from '../support/settings.js'

const KEY = 'sekrit-key-123'

/** A send that plays the given answers in turn and records what it was asked. */
function scripted(...steps: (FollowedResponse | NetworkError)[]): Send & {
  calls: { req: HttpRequest; timeoutMs: number }[]
} {
  const calls: { req: HttpRequest; timeoutMs: number }[] = []
  const send = async (req: HttpRequest, opts: { timeoutMs: number }) => {
    calls.push({ req, timeoutMs: opts.timeoutMs })
    const step = steps.length > 1 ? steps.shift() : steps[0]
    if (!step) throw new Error('no answer scripted')
    if (step instanceof NetworkError) throw step
    return step
  }
  return Object.assign(send, { calls })
}

const REQ: HttpRequest = { method: 'GET', url: `${API}/x`, headers: {} }

function retryCtx(send: Send, clock = new FakeClock(T0), deadlineMs = 600_000) {
  return { send, clock, deadlineAt: clock.now() + deadlineMs }
}

describe('sendWithRetries', () => {
  it('waits exactly Retry-After seconds after a 429, without jitter', async () => {
    const clock = new FakeClock(T0, [0.99])
    const send = scripted(answer(429, { 'retry-after': '1' }), answer(200))

    const got = await sendWithRetries(REQ, 2, 10_000, retryCtx(send, clock))

    expect(clock.sleeps).toEqual([1000])
    expect(got.attempts).toBe(2)
    expect(got.response?.status).toBe(200)
  })

  it('honours Retry-After given as an HTTP date', async () => {
    const clock = new FakeClock(T0)
    const at = new Date(T0 + 5000).toUTCString()
    const send = scripted(answer(503, { 'retry-after': at }), answer(200))

    await sendWithRetries(REQ, 2, 10_000, retryCtx(send, clock))

    expect(clock.sleeps).toEqual([5000])
  })

  it('gives up at once, with a reason, when Retry-After is past the deadline', async () => {
    const clock = new FakeClock(T0)
    const send = scripted(answer(429, { 'retry-after': '120' }))

    const got = await sendWithRetries(REQ, 5, 10_000, retryCtx(send, clock, 30_000))

    expect(clock.sleeps).toEqual([])
    expect(send.calls).toHaveLength(1)
    expect(got.attempts).toBe(1)
    expect(got.response?.status).toBe(429)
    expect(got.gaveUp).toBe(
      'the server asked to wait 2m (Retry-After), past the deadline (30s left)'
    )
  })

  it.each([400, 401, 403, 404, 422])('does not retry a %d', async status => {
    const clock = new FakeClock(T0)
    const send = scripted(answer(status, { 'retry-after': '1' }))

    const got = await sendWithRetries(REQ, 3, 10_000, retryCtx(send, clock))

    expect(send.calls).toHaveLength(1)
    expect(clock.sleeps).toEqual([])
    expect(got.attempts).toBe(1)
    expect(got.response?.status).toBe(status)
  })

  it.each([500, 502, 503, 504, 408, 429])(
    'retries a %d up to `retries` times, then reports the attempts',
    async status => {
      const clock = new FakeClock(T0)
      const send = scripted(answer(status))

      const got = await sendWithRetries(REQ, 2, 10_000, retryCtx(send, clock))

      expect(send.calls).toHaveLength(3)
      expect(got.attempts).toBe(3)
      expect(got.response?.status).toBe(status)
      expect(clock.sleeps).toHaveLength(2)
      expect(got.gaveUp).toBeUndefined()
    }
  )

  it.each(['refused', 'reset', 'timeout', 'network'] as const)(
    'retries a %s network failure',
    async kind => {
      const send = scripted(new NetworkError(kind, kind))

      const got = await sendWithRetries(REQ, 3, 10_000, retryCtx(send))

      expect(got.attempts).toBe(4)
      expect(got.error?.kind).toBe(kind)
      expect(got.response).toBeUndefined()
    }
  )

  it.each(['dns', 'tls'] as const)('does not retry a %s failure', async kind => {
    const send = scripted(new NetworkError(kind, kind))

    const got = await sendWithRetries(REQ, 3, 10_000, retryCtx(send))

    expect(got.attempts).toBe(1)
    expect(got.error?.kind).toBe(kind)
  })

  it('recovers when a retry succeeds', async () => {
    const send = scripted(new NetworkError('reset', 'reset'), answer(502), answer(200))

    const got = await sendWithRetries(REQ, 2, 10_000, retryCtx(send))

    expect(got.attempts).toBe(3)
    expect(got.response?.status).toBe(200)
    expect(got.error).toBeUndefined()
  })

  it('backs off exponentially', async () => {
    const clock = new FakeClock(T0, [0.5])
    const send = scripted(answer(503))

    await sendWithRetries(REQ, 4, 10_000, retryCtx(send, clock))

    expect(clock.sleeps).toEqual([375, 750, 1500, 3000])
  })

  it('keeps jittered backoff within half and all of each step', async () => {
    const randoms = [0, 0.999, 0.25, 0.75, 0.5, 0.1]
    const clock = new FakeClock(T0, randoms)
    const send = scripted(new NetworkError('refused', 'refused'))

    await sendWithRetries(REQ, 6, 10_000, retryCtx(send, clock))

    expect(clock.sleeps).toHaveLength(6)
    clock.sleeps.forEach((ms, i) => {
      const step = Math.min(10_000, 500 * 2 ** i)
      expect(ms).toBeGreaterThanOrEqual(step / 2)
      expect(ms).toBeLessThanOrEqual(step)
    })
    expect(clock.sleeps[0]).toBe(250)
    expect(clock.sleeps[1]).toBe(1000)
  })

  it('gives up when the next backoff would pass the deadline', async () => {
    const clock = new FakeClock(T0, [0.5])
    const send = scripted(answer(503))

    // 375 ms, then 750 ms would leave 1000 - 375 = 625 ms: not enough.
    const got = await sendWithRetries(REQ, 5, 10_000, retryCtx(send, clock, 1000))

    expect(clock.sleeps).toEqual([375])
    expect(got.attempts).toBe(2)
    expect(got.gaveUp).toBe('the next retry (in 750ms), past the deadline (625ms left)')
  })

  it('never gives a request longer than the time left before the deadline', async () => {
    const clock = new FakeClock(T0)
    const send = scripted(answer(200))

    await sendWithRetries(REQ, 0, 10_000, retryCtx(send, clock, 4000))
    await sendWithRetries(REQ, 0, 3000, retryCtx(send, clock, 60_000))

    expect(send.calls.map(c => c.timeoutMs)).toEqual([4000, 3000])
  })

  it('sends nothing when the deadline has passed', async () => {
    const send = scripted(answer(200))

    const got = await sendWithRetries(REQ, 2, 10_000, retryCtx(send, new FakeClock(T0), 0))

    expect(got).toEqual({ attempts: 0, stopped: true })
    expect(send.calls).toHaveLength(0)
  })

  it('sends nothing when the run was stopped', async () => {
    const send = scripted(answer(200))

    const got = await sendWithRetries(REQ, 2, 10_000, {
      ...retryCtx(send),
      signal: AbortSignal.abort()
    })

    expect(got).toEqual({ attempts: 0, stopped: true })
    expect(send.calls).toHaveLength(0)
  })

  it('stops when the request is aborted', async () => {
    const send = scripted(new NetworkError('aborted', 'stopped'))

    const got = await sendWithRetries(REQ, 2, 10_000, retryCtx(send))

    expect(got).toMatchObject({ attempts: 1, stopped: true })
    expect(got.error?.kind).toBe('aborted')
  })

  it('stops when the run is stopped while waiting to retry', async () => {
    const controller = new AbortController()
    const clock = new FakeClock(T0)
    clock.sleep = async (ms: number) => {
      clock.sleeps.push(ms)
      controller.abort()
    }
    const send = scripted(answer(503))

    const got = await sendWithRetries(REQ, 3, 10_000, {
      ...retryCtx(send, clock),
      signal: controller.signal
    })

    expect(send.calls).toHaveLength(1)
    expect(got).toMatchObject({ attempts: 1, stopped: true })
    expect(got.response?.status).toBe(503)
  })

  it('lets errors that are not network failures through', async () => {
    const send: Send = async () => {
      throw new TypeError('a bug')
    }
    await expect(sendWithRetries(REQ, 2, 10_000, retryCtx(send))).rejects.toThrow('a bug')
  })
})

describe('requestHeaders', () => {
  const settings = settingsFrom({
    url: `${API}/v1`,
    endpoints: '- /a',
    'api-key': KEY,
    'api-key-header': 'X-Token',
    headers: 'X-Tenant: acme\nX-Extra: 1'
  })

  it("sends the key and extra headers to the deployment's origin", () => {
    const h = requestHeaders(`${API}/v1/a`, settings, { 'X-Own': 'yes' }, 'cache-warm/1')
    expect(h).toMatchObject({
      'User-Agent': 'cache-warm/1',
      'X-Token': KEY,
      'X-Tenant': 'acme',
      'X-Extra': '1',
      'X-Own': 'yes'
    })
    expect(h.Accept).toContain('application/json')
  })

  it.each([
    'https://evil.example.net/a',
    'http://api.example.com/v1/a',
    'https://api.example.com:8443/v1/a',
    'https://sub.api.example.com/v1/a',
    // Start with the origin's text but are elsewhere: the quick same-origin check must not be fooled.
    'https://api.example.com.evil.net/v1/a',
    'https://api.example.com@evil.net/v1/a',
    'https://api.example.com:443@evil.net/',
    'https://api.example.comevil.net/',
    'https://evil.net/https://api.example.com/v1/a',
    'not a url'
  ])('sends neither the key nor extra headers to %s', url => {
    const h = requestHeaders(url, settings, {}, 'cache-warm/1')
    expect(Object.keys(h).sort()).toEqual(['Accept', 'User-Agent'])
    expect(JSON.stringify(h)).not.toContain(KEY)
  })

  it.each([
    `${API}/v1/a?x=1#f`,
    'HTTPS://API.EXAMPLE.COM/v1/a',
    'https://api.example.com:443/v1/a',
    API
  ])('sends the key to the same origin written another way: %s', url => {
    expect(requestHeaders(url, settings, {}, 'ua')['X-Token']).toBe(KEY)
  })

  it('sends no key header when no key was given', () => {
    const s = settingsFrom({ url: API, endpoints: '- /a' })
    expect(Object.keys(requestHeaders(`${API}/a`, s, {}, 'ua'))).not.toContain('X-API-Key')
  })
})
