import { describe, expect, it } from '@jest/globals'
import { defaultBurst, TokenBucket } from '../../src/warm/rate-limit.js'
import { FakeClock } from '../support/clock.js'

describe('TokenBucket (max-rps)', () => {
  it('lets the first burst through at once, then paces requests at the rate', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(10, clock, 2)
    for (let i = 0; i < 5; i++) await bucket.take()
    // Two saved-up tokens, then one every 100 ms.
    expect(clock.sleeps).toEqual([100, 100, 100])
  })

  it('holds every worker together to the rate: N requests take (N - burst) / rate', async () => {
    const clock = new FakeClock()
    const start = clock.now()
    const bucket = new TokenBucket(50, clock, 1)
    // 32 workers at once, 200 requests in all.
    let next = 0
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < 200) {
          next++
          await bucket.take()
        }
      })
    )
    expect(clock.now() - start).toBe((200 - 1) * 20)
  })

  it('refills while idle, but never beyond the burst', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(10, clock, 3)
    for (let i = 0; i < 3; i++) await bucket.take()
    expect(clock.sleeps).toEqual([])
    clock.advance(60_000)
    for (let i = 0; i < 4; i++) await bucket.take()
    // A minute idle saves up 3 tokens, not 600.
    expect(clock.sleeps).toEqual([100])
  })

  it('paces slow rates: 0.5 a second is one request every 2 s', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(0.5, clock)
    await bucket.take()
    await bucket.take()
    await bucket.take()
    expect(clock.sleeps).toEqual([2000, 2000])
  })

  it('returns at once when the run is stopped', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(1, clock, 1)
    await bucket.take()
    await bucket.take(AbortSignal.abort())
    expect(clock.sleeps).toEqual([])
  })

  it('saves a tenth of a second of tokens by default, at least one', () => {
    expect(defaultBurst(0.5)).toBe(1)
    expect(defaultBurst(10)).toBe(1)
    expect(defaultBurst(200)).toBe(20)
  })
})
