import type { Clock } from '../http/retry.js'

/** Shared by every worker: `take` resolves when the request may go. */
export interface RateLimiter {
  /** Waits for a token; resolves early (without one) when `signal` aborts. */
  take(signal?: AbortSignal): Promise<void>
}

/**
 * A token bucket: `ratePerSecond` tokens a second, at most `burst` saved up (it starts full).
 * Over any stretch of T seconds at most `burst + rate × T` requests start.
 *
 * Each caller reserves its token at once (the count may go below zero) and sleeps until the
 * token exists, so waiters go in arrival order, with no queue to scan and no timer per tick:
 * O(1) per request however long the list.
 */
export class TokenBucket implements RateLimiter {
  private tokens: number
  private last: number
  private readonly perMs: number

  constructor(
    readonly ratePerSecond: number,
    private readonly clock: Clock,
    readonly burst = defaultBurst(ratePerSecond)
  ) {
    this.perMs = ratePerSecond / 1000
    this.tokens = burst
    this.last = clock.now()
  }

  async take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return
    const now = this.clock.now()
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs)
    this.last = now
    this.tokens -= 1
    if (this.tokens >= 0) return
    // Rounded up so the token has surely arrived when the sleep ends.
    await this.clock.sleep(Math.ceil(-this.tokens / this.perMs), signal)
  }
}

/** A tenth of a second's worth of tokens, at least one: smooth, with no start-up spike. */
export function defaultBurst(ratePerSecond: number): number {
  return Math.max(1, Math.floor(ratePerSecond / 10))
}
