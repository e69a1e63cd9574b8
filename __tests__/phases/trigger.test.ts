import { describe, expect, it } from '@jest/globals'
import type { RawInputs } from '../../src/config/settings.js'
import { NetworkError } from '../../src/http/request.js'
import { callTrigger } from '../../src/phases/trigger.js'
import {
  answer,
  fakeSend,
  inTurn,
  phaseContext,
  phaseSettings,
  type Reply
} from '../support/phases.js'

async function trigger(reply: () => Reply, raw: RawInputs = {}) {
  const settings = phaseSettings({
    'warmup-trigger': '/api/v1/cache/warmup',
    'api-key': 'k-1',
    ...raw
  })
  const send = fakeSend((_req, path) =>
    path.startsWith('/api/v1/cache/warmup') ? reply() : undefined
  )
  const ctx = phaseContext(settings, send)
  const result = await callTrigger(settings.trigger!, ctx)
  return { result, send, ctx }
}

describe('callTrigger', () => {
  it('POSTs the warm-up route once, with the key, and reports the answer', async () => {
    const { result, send } = await trigger(() => answer(200, { body: { success: true } }))

    expect(result).toEqual({
      method: 'POST',
      path: '/api/v1/cache/warmup',
      required: false,
      attempts: 1,
      ok: true,
      status: 200,
      message: 'POST /api/v1/cache/warmup answered 200'
    })
    expect(send.calls).toHaveLength(1)
    expect(send.calls[0]).toMatchObject({ method: 'POST', headers: { 'X-API-Key': 'k-1' } })
  })

  it('diagnoses a 403 in words that name the header: refused, not allowed to warm, or warm-up disabled', async () => {
    const { result } = await trigger(() =>
      answer(403, { body: { error: 'Warmup disabled in production' } })
    )

    expect(result).toMatchObject({ ok: false, status: 403, attempts: 1, keyRefused: true })
    expect(result.message).toBe(
      'warm-up trigger failed: POST /api/v1/cache/warmup returned 403 (forbidden): the key sent in header X-API-Key was refused (or is not allowed to warm, or warm-up is disabled on this deployment); check the api-key secret and api-key-header (server said: "Warmup disabled in production")'
    )
  })

  it('marks a 401 as a refused key, naming the header and never the key', async () => {
    const { result, send } = await trigger(() =>
      answer(401, { body: { error: 'Invalid API key' } })
    )

    expect(send.calls).toHaveLength(1)
    expect(result).toMatchObject({ ok: false, status: 401, keyRefused: true, required: false })
    expect(result.message).toBe(
      'warm-up trigger failed: POST /api/v1/cache/warmup returned 401 (unauthorized): the key sent in header X-API-Key was refused; check the api-key secret and api-key-header (server said: "Invalid API key")'
    )
    expect(result.message).not.toContain('k-1')
  })

  it('names a custom api-key-header', async () => {
    const { result } = await trigger(() => answer(401), { 'api-key-header': 'Authorization-Key' })
    expect(result.message).toContain('the key sent in header Authorization-Key was refused')
  })

  it.each([404, 500, 503])('a %d is no refused key', async status => {
    const { result } = await trigger(() => answer(status), { retries: '0' })
    expect(result.ok).toBe(false)
    expect(result.keyRefused).toBeUndefined()
  })

  it('diagnoses a 404 to a GET trigger: warm-up routes usually need POST', async () => {
    const { result } = await trigger(() => answer(404), {
      'warmup-trigger': 'GET /api/v1/cache/warmup'
    })

    expect(result.message).toBe(
      'warm-up route not found (404) for GET /api/v1/cache/warmup; warm-up routes usually need POST, set warmup-trigger: POST /api/v1/cache/warmup'
    )
  })

  it('diagnoses a 404 to a POST trigger: the path, or no warm-up route on this deployment', async () => {
    const { result } = await trigger(() => answer(404, { body: { error: 'Not found' } }))

    expect(result.message).toBe(
      'warm-up route not found (404): POST /api/v1/cache/warmup; check the path, and that this deployment has a warm-up route (server said: "Not found")'
    )
  })

  it('explains a 401 without a key', async () => {
    const { result } = await trigger(() => answer(401), { 'api-key': '' })

    expect(result.message).toMatch(
      /^warm-up trigger failed: POST \/api\/v1\/cache\/warmup returned 401 \(unauthorized\): no api-key was given/
    )
    expect(result.keyRefused).toBe(true)
  })

  it('retries a 503 like any request, and says how many attempts it took', async () => {
    const { result, ctx } = await trigger(
      () => answer(503, { statusText: 'Service Unavailable' }),
      { retries: '2' }
    )

    expect(result).toMatchObject({ ok: false, status: 503, attempts: 3 })
    expect(result.message).toBe(
      'warm-up trigger failed: POST /api/v1/cache/warmup returned 503 Service Unavailable after 3 attempts'
    )
    expect(ctx.clock.sleeps).toHaveLength(2)
  })

  it('passes when a retry succeeds', async () => {
    const { result } = await trigger(inTurn(answer(502), answer(202)))
    expect(result).toMatchObject({ ok: true, status: 202, attempts: 2 })
  })

  it('describes a network failure', async () => {
    const { result } = await trigger(
      () => new NetworkError('refused', 'connection refused (ECONNREFUSED)'),
      {
        retries: '0'
      }
    )
    expect(result).toMatchObject({ ok: false, attempts: 1 })
    expect(result.status).toBeUndefined()
    expect(result.message).toMatch(/^warm-up trigger failed: .*connection refused/)
  })

  it('explains a redirect it did not follow as a redirect', async () => {
    const { result } = await trigger(() =>
      answer(302, {
        blockedRedirect: { location: 'https://login.example.net/sso', why: 'other-origin' }
      })
    )
    expect(result.ok).toBe(false)
    expect(result.message).toMatch(
      /redirected \(302\) to https:\/\/login\.example\.net\/sso; not followed/
    )
  })

  it('carries warmup-trigger-required, which decides fail or warning', async () => {
    const required = await trigger(() => answer(403), { 'warmup-trigger-required': 'true' })
    const optional = await trigger(() => answer(403))
    expect(required.result.required).toBe(true)
    expect(optional.result.required).toBe(false)
  })

  it('sends the version override to the trigger too', async () => {
    const { send } = await trigger(() => answer(200), { 'version-override': 'w="v2"' })
    expect(send.calls[0]?.headers['Cloudflare-Workers-Version-Overrides']).toBe('w="v2"')
  })
})
