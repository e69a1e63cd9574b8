import { describe, expect, it } from '@jest/globals'
import { StoppedError } from '../src/errors.js'
import { openRun, phaseContext } from '../src/run-context.js'
import type { HttpRequest } from '../src/http/request.js'
import type { Send } from '../src/http/send.js'
import type { RateLimiter } from '../src/warm/rate-limit.js'
import { FakeClock } from './support/clock.js'
import { rawAnswer, T0 } from './support/phases.js'
import { settingsFrom } from './support/settings.js'

const KEY = 'k-9f2c71d04be83a56e1'
const settings = (raw: Record<string, string> = {}) =>
  settingsFrom({ url: 'https://api.example.com', endpoints: '- /a', 'api-key': KEY, ...raw })
const ok: Send = async () => rawAnswer(200)

describe('openRun: the deadline', () => {
  it('runs on the injected clock: the signal aborts with StoppedError("deadline") when time reaches it', () => {
    const clock = new FakeClock(T0)
    const run = openRun(settings({ deadline: '5s' }), { clock, send: ok })
    expect(run.deadlineAt).toBe(T0 + 5000)
    clock.advance(4999)
    expect(run.signal.aborted).toBe(false)
    expect(run.deadlineReached()).toBe(false)
    clock.advance(1)
    expect(run.signal.aborted).toBe(true)
    expect(run.signal.reason).toBeInstanceOf(StoppedError)
    expect((run.signal.reason as StoppedError).why).toBe('deadline')
    expect(run.deadlineReached()).toBe(true)
    run.close()
  })

  it('is reached by a sleep that jumps past it, as a retry wait would', async () => {
    const clock = new FakeClock(T0)
    const run = openRun(settings({ deadline: '2s' }), { clock, send: ok })
    await clock.sleep(10_000)
    expect(run.signal.aborted).toBe(true)
    run.close()
  })

  it('close() cancels it: a closed run is never aborted later', () => {
    const clock = new FakeClock(T0)
    const run = openRun(settings({ deadline: '1s' }), { clock, send: ok })
    run.close()
    clock.advance(60_000)
    expect(run.signal.aborted).toBe(false)
  })

  it('a cancel from the caller aborts the same signal, with the caller reason', () => {
    const clock = new FakeClock(T0)
    const cancel = new AbortController()
    const run = openRun(settings(), { clock, send: ok, signal: cancel.signal })
    cancel.abort(new StoppedError('cancelled'))
    expect(run.signal.aborted).toBe(true)
    expect((run.signal.reason as StoppedError).why).toBe('cancelled')
    expect(run.deadlineReached()).toBe(false)
    run.close()
  })
})

describe('openRun: what every request shares', () => {
  it('sends each request through the one rate limit', async () => {
    const taken: number[] = []
    const limiter: RateLimiter = { take: async () => void taken.push(1) }
    const sent: HttpRequest[] = []
    const send: Send = async req => (sent.push(req), rawAnswer(200))
    const run = openRun(settings(), { clock: new FakeClock(T0), send, limiter })
    const req = { method: 'GET' as const, url: 'https://api.example.com/a', headers: {} }
    await run.send(req, { timeoutMs: 1000 })
    await run.send(req, { timeoutMs: 1000 })
    expect(taken).toHaveLength(2)
    expect(sent).toHaveLength(2)
    run.close()
  })

  it('redacts the key and header secrets from any text', () => {
    const run = openRun(settings({ headers: 'X-Tenant-Token: tt-51f0c2a9d7e4b3816a' }), {
      clock: new FakeClock(T0),
      send: ok
    })
    const text = run.redact(`key=${KEY} token=tt-51f0c2a9d7e4b3816a debug=1`)
    expect(text).not.toContain(KEY)
    expect(text).not.toContain('tt-51f0c2a9d7e4b3816a')
    expect(text).toContain('debug=1')
    run.close()
  })

  it('gives each phase the same clock, deadline, signal and send', () => {
    const s = settings()
    const run = openRun(s, { clock: new FakeClock(T0), send: ok })
    const ctx = phaseContext(s, run)
    expect(ctx.clock).toBe(run.clock)
    expect(ctx.deadlineAt).toBe(run.deadlineAt)
    expect(ctx.signal).toBe(run.signal)
    expect(ctx.send).toBe(run.send)
    expect(ctx.settings).toBe(s)
    run.close()
  })
})
