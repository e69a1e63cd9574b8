import { describe, expect, it } from '@jest/globals'
import { parseVersionCheck, type VersionCheck } from '../../src/config/phases.js'
import { NetworkError } from '../../src/http/request.js'
import { readVersion, versionMatches, waitForReady } from '../../src/phases/wait.js'
import { FakeClock } from '../support/clock.js'
import {
  answer,
  API,
  fakeSend,
  inTurn,
  phaseContext,
  phaseSettings,
  T0
} from '../support/phases.js'

const check = (text: string): VersionCheck => parseVersionCheck(text) as VersionCheck

describe('versionMatches', () => {
  const health = answer(200, {
    headers: { 'x-worker-version': 'v42 ' },
    body: { status: 'healthy', version: '2025.1.3', build: { id: 7, live: true } }
  })

  it.each([
    ['version=2025.1.3', true, 'version="2025.1.3"'],
    ['version=2025.1.2', false, 'version="2025.1.3"'],
    ['build.id=7', true, 'build.id=7'],
    ['build.live=true', true, 'build.live=true'],
    ['build.sha=abc', false, 'no build.sha field'],
    ['header:X-Worker-Version=v42', true, 'X-Worker-Version: v42 '],
    ['header:X-Worker-Version=v41', false, 'X-Worker-Version: v42 '],
    ['text:2025.1.3', true, undefined],
    ['2025.1.4', false, undefined]
  ])('%s → %s (seen %s)', (text, ok, seen) => {
    const v = versionMatches(health, check(text))
    expect(v.ok).toBe(ok)
    expect(v.seen).toBe(seen)
  })

  it('says when the header is absent or the answer is not JSON', () => {
    expect(versionMatches(health, check('header:X-Other=1'))).toEqual({ ok: false })
    expect(versionMatches(answer(200, { body: 'OK' }), check('version=1'))).toEqual({
      ok: false,
      seen: 'an answer that is not JSON'
    })
  })
})

describe('readVersion', () => {
  it('says the version an answer showed and why it is not the one asked for', () => {
    const res = answer(200, { headers: { 'x-worker-version': 'v1' }, body: { version: 'v1' } })
    expect(readVersion(res, check('header:X-WORKER-version=v2'))).toEqual({
      ok: false,
      seen: 'X-WORKER-version: v1',
      version: 'v1',
      why: 'answered from version v1, expected v2 (X-WORKER-version)'
    })
    expect(readVersion(res, check('version=v1'))).toMatchObject({ ok: true, version: 'v1' })
  })

  it('does not take one of several joined header values as the version', () => {
    const res = answer(200, { headers: { 'x-worker-version': 'v2, v1' } })
    expect(readVersion(res, check('header:X-Worker-Version=v2')).ok).toBe(false)
  })

  it('redacts and cuts the version it shows', () => {
    const res = answer(200, { headers: { 'x-worker-version': `s3cret-${'x'.repeat(200)}` } })
    const v = readVersion(res, check('header:X-Worker-Version=v2'), t => t.replace('s3cret', '***'))
    expect(v.version).toMatch(/^\*\*\*-x+\.\.\.$/)
    expect(v.version!.length).toBe(60)
    expect(v.why).not.toContain('s3cret')
  })
})

describe('waitForReady', () => {
  it('polls every poll-interval until the deployment answers 2xx', async () => {
    const settings = phaseSettings({ 'wait-for': '/health', 'poll-interval': '5s' })
    const next = inTurn(
      answer(503, { statusText: 'Service Unavailable' }),
      answer(503),
      answer(200, { body: {} })
    )
    const send = fakeSend((_req, path) => (path === '/health' ? next() : undefined))
    const ctx = phaseContext(settings, send)

    const wait = await waitForReady(settings.wait!, ctx)

    expect(wait).toEqual({
      ready: true,
      polls: 3,
      url: `${API}/health`,
      lastAnswer: '200',
      message: 'ready after 3 poll(s)'
    })
    expect(ctx.clock.sleeps).toEqual([5000, 5000])
    // The log says when the answer changes, not on every poll.
    expect(ctx.lines).toEqual([
      '  not ready yet (poll 1: 503 Service Unavailable)',
      '  not ready yet (poll 2: 503)'
    ])
  })

  it('fails after wait-timeout with the URL, how long, and the last answer', async () => {
    const settings = phaseSettings({
      'wait-for': '/health',
      'wait-timeout': '2m',
      'poll-interval': '5s'
    })
    const send = fakeSend(() => answer(503))
    const ctx = phaseContext(settings, send)

    const wait = await waitForReady(settings.wait!, ctx)

    expect(wait.ready).toBe(false)
    expect(wait.message).toBe(`deployment at ${API}/health not ready after 2m: last answer 503`)
    // At 0, 5 s, ... 120 s: never a poll past the timeout.
    expect(wait.polls).toBe(25)
    expect(ctx.clock.now() - T0).toBe(120_000)
    expect(ctx.clock.sleeps.every(ms => ms === 5000)).toBe(true)
  })

  it('cuts the last sleep short so it ends at wait-timeout, not an interval later', async () => {
    const settings = phaseSettings({
      'wait-for': '/health',
      'wait-timeout': '12s',
      'poll-interval': '5s'
    })
    const ctx = phaseContext(
      settings,
      fakeSend(() => answer(502))
    )

    const wait = await waitForReady(settings.wait!, ctx)

    expect(ctx.clock.sleeps).toEqual([5000, 5000, 2000])
    expect(wait).toMatchObject({ ready: false, polls: 4 })
    expect(wait.message).toMatch(/not ready after 12s: last answer 502$/)
  })

  it('describes a network failure as the last answer', async () => {
    const settings = phaseSettings({
      'wait-for': '/health',
      'wait-timeout': '10s',
      'poll-interval': '5s'
    })
    const ctx = phaseContext(
      settings,
      fakeSend(() => new NetworkError('refused', 'connect ECONNREFUSED'))
    )

    const wait = await waitForReady(settings.wait!, ctx)

    expect(wait.ready).toBe(false)
    expect(wait.message).toMatch(/not ready after 10s: last answer connection refused/)
  })

  it('keeps waiting while a 200 still shows the old version, and passes once the new one is live', async () => {
    const settings = phaseSettings({
      'wait-for': '/health',
      'wait-for-version': 'version=v2',
      'poll-interval': '1s'
    })
    const next = inTurn(
      answer(503),
      answer(200, { body: { version: 'v1' } }),
      answer(200, { body: { version: 'v1' } }),
      answer(200, { body: { version: 'v2' } })
    )
    const ctx = phaseContext(settings, fakeSend(next))

    const wait = await waitForReady(settings.wait!, ctx)

    expect(wait).toMatchObject({
      ready: true,
      polls: 4,
      versionSeen: 'version="v2"',
      message: 'version v2 live after 4 poll(s)'
    })
    expect(ctx.lines).toEqual([
      '  not ready yet (poll 1: 503)',
      '  not ready yet (poll 2: 200, but not the new version (version="v1"; waiting for version=v2))'
    ])
  })

  it('fails naming the old version when the new one never shows', async () => {
    const settings = phaseSettings({
      'wait-for': '/health',
      'wait-for-version': 'header:X-Version=v2',
      'wait-timeout': '3s',
      'poll-interval': '1s'
    })
    const ctx = phaseContext(
      settings,
      fakeSend(() => answer(200, { headers: { 'x-version': 'v1' } }))
    )

    const wait = await waitForReady(settings.wait!, ctx)

    expect(wait.ready).toBe(false)
    expect(wait.versionSeen).toBe('X-Version: v1')
    expect(wait.message).toBe(
      `deployment at ${API}/health not ready after 3s: last answer 200, but not the new version (X-Version: v1; waiting for header:X-Version=v2)`
    )
  })

  it('says when plain text was not in the answer', async () => {
    const settings = phaseSettings({
      'wait-for': '/health',
      'wait-for-version': 'build-99',
      'wait-timeout': '1s',
      'poll-interval': '1s'
    })
    const ctx = phaseContext(
      settings,
      fakeSend(() => answer(200, { body: 'build-98' }))
    )

    const wait = await waitForReady(settings.wait!, ctx)

    expect(wait.message).toMatch(
      /last answer 200, but not the new version \("build-99" not in the answer; waiting for build-99\)$/
    )
  })

  it('treats a redirect it would not follow as not ready', async () => {
    const settings = phaseSettings({
      'wait-for': '/health',
      'wait-timeout': '1s',
      'poll-interval': '1s'
    })
    const redirect = answer(302, {
      blockedRedirect: { location: 'https://login.example.net/', why: 'other-origin' }
    })
    const ctx = phaseContext(
      settings,
      fakeSend(() => redirect)
    )

    const wait = await waitForReady(settings.wait!, ctx)

    expect(wait.ready).toBe(false)
    expect(wait.lastAnswer).toBe('302 redirect to https://login.example.net/ (not followed)')
  })

  it('never waits past the run deadline', async () => {
    const settings = phaseSettings({
      'wait-for': '/health',
      'wait-timeout': '2m',
      'poll-interval': '5s'
    })
    const clock = new FakeClock(T0)
    const ctx = phaseContext(
      settings,
      fakeSend(() => answer(503)),
      clock,
      { deadlineAt: T0 + 12_000 }
    )

    const wait = await waitForReady(settings.wait!, ctx)

    expect(wait.ready).toBe(false)
    expect(clock.now() - T0).toBe(12_000)
    expect(wait.message).toMatch(/not ready after 12s/)
  })

  it('stops at once when cancelled', async () => {
    const settings = phaseSettings({ 'wait-for': '/health' })
    const controller = new AbortController()
    const ctx = phaseContext(
      settings,
      fakeSend(() => {
        controller.abort()
        return answer(503)
      }),
      new FakeClock(T0),
      { signal: controller.signal }
    )

    const wait = await waitForReady(settings.wait!, ctx)

    expect(wait).toMatchObject({ ready: false, polls: 1 })
  })

  it('sends the key, and the version override, with every poll', async () => {
    const settings = phaseSettings({
      'wait-for': '/health',
      'api-key': 'k-123',
      'version-override': 'my-worker="v2-id"',
      'poll-interval': '1s'
    })
    const send = fakeSend(inTurn(answer(503), answer(200)))

    await waitForReady(settings.wait!, phaseContext(settings, send))

    expect(send.calls).toHaveLength(2)
    for (const req of send.calls) {
      expect(req).toMatchObject({ method: 'GET', url: `${API}/health` })
      expect(req.headers).toMatchObject({
        'X-API-Key': 'k-123',
        'Cloudflare-Workers-Version-Overrides': 'my-worker="v2-id"'
      })
    }
  })
})
