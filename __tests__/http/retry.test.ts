import { describe, expect, it } from '@jest/globals'
import {
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  backoffMs,
  parseRetryAfter,
  realClock,
  RETRY_ERRORS,
  RETRY_STATUSES
} from '../../src/http/retry.js'

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0)

describe('parseRetryAfter', () => {
  it('reads delta seconds', () => {
    expect(parseRetryAfter('1', NOW)).toBe(1000)
    expect(parseRetryAfter(' 30 ', NOW)).toBe(30_000)
    expect(parseRetryAfter('0', NOW)).toBe(0)
  })

  it('reads fractional seconds, which some servers send', () => {
    expect(parseRetryAfter('1.5', NOW)).toBe(1500)
  })

  it('reads an HTTP date as the time from now', () => {
    const inFive = new Date(NOW + 5000).toUTCString()
    expect(parseRetryAfter(inFive, NOW)).toBe(5000)
  })

  it('treats a date in the past as no wait', () => {
    expect(parseRetryAfter(new Date(NOW - 60_000).toUTCString(), NOW)).toBe(0)
  })

  it.each([undefined, '', 'soon', '-5', '1e3', '12:00'])('ignores %p', value => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined()
  })
})

describe('backoffMs', () => {
  it('grows exponentially from the base', () => {
    const full = () => 1
    expect([1, 2, 3, 4].map(n => backoffMs(n, full))).toEqual([500, 1000, 2000, 4000])
  })

  it('jitters between half and all of the step', () => {
    for (const n of [1, 2, 3, 4, 5]) {
      const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (n - 1))
      expect(backoffMs(n, () => 0)).toBe(step / 2)
      expect(backoffMs(n, () => 0.999999)).toBeLessThanOrEqual(step)
      for (let i = 0; i < 50; i++) {
        const ms = backoffMs(n, Math.random)
        expect(ms).toBeGreaterThanOrEqual(step / 2)
        expect(ms).toBeLessThanOrEqual(step)
      }
    }
  })

  it('never waits longer than the cap', () => {
    expect(backoffMs(20, () => 1)).toBe(BACKOFF_CAP_MS)
    expect(backoffMs(3, () => 1, 100, 250)).toBe(250)
  })
})

describe('what is retried', () => {
  it.each([408, 429, 500, 502, 503, 504])('retries status %d', status => {
    expect(RETRY_STATUSES.has(status)).toBe(true)
  })

  it.each([400, 401, 403, 404, 405, 409, 422, 501, 505])('does not retry status %d', status => {
    expect(RETRY_STATUSES.has(status)).toBe(false)
  })

  it('retries network failures that can mend, not DNS or TLS', () => {
    expect([...RETRY_ERRORS].sort()).toEqual(['network', 'refused', 'reset', 'timeout'])
  })
})

describe('realClock.sleep', () => {
  it('waits about the given time', async () => {
    const started = Date.now()
    await realClock.sleep(30)
    expect(Date.now() - started).toBeGreaterThanOrEqual(25)
  })

  it('wakes early when the signal aborts', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 10)
    const started = Date.now()
    await realClock.sleep(10_000, controller.signal)
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('does not wait at all when already aborted', async () => {
    const started = Date.now()
    await realClock.sleep(10_000, AbortSignal.abort())
    expect(Date.now() - started).toBeLessThan(100)
  })
})
