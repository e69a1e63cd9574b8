import type { NetworkErrorKind } from './request.js'

/** Time and chance, passed in so retry and deadline tests never sleep or flake. */
export interface Clock {
  now(): number
  /** Resolves after `ms`, or early when `signal` aborts (the caller checks `signal.aborted`). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  random(): number
  /**
   * Calls `fn` once `ms` of this clock's time have passed; returns what cancels it. The run's
   * deadline is set with it, so a test clock that jumps time reaches the deadline too.
   */
  after(ms: number, fn: () => void): () => void
}

export const realClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  after: (ms, fn) => {
    const timer = setTimeout(fn, Math.max(0, ms))
    // A pending deadline never keeps the process alive on its own.
    timer.unref?.()
    return () => clearTimeout(timer)
  },
  sleep: (ms, signal) =>
    new Promise<void>(resolve => {
      if (signal?.aborted) return resolve()
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, Math.max(0, ms))
      signal?.addEventListener('abort', done, { once: true })
    })
}

/** Status codes that can succeed when asked again. Nothing else is retried. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])
/** Network failures worth another try; DNS and TLS failures will not mend themselves. */
export const RETRY_ERRORS: ReadonlySet<NetworkErrorKind> = new Set([
  'timeout',
  'refused',
  'reset',
  'network'
])

export const BACKOFF_BASE_MS = 500
export const BACKOFF_CAP_MS = 10_000

/** `Retry-After` as milliseconds from now: delta seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  // Fractional seconds are not in the RFC but some servers send them; honour what they mean.
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  // An HTTP date names its month; without this, V8's lenient Date.parse reads "-5" as a date.
  if (!/[a-z]/i.test(text)) return undefined
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - nowMs)
}

/** Exponential backoff with jitter for the n-th retry (1-based): 50-100 % of base·2^(n-1), capped. */
export function backoffMs(
  retry: number,
  random: () => number,
  base = BACKOFF_BASE_MS,
  cap = BACKOFF_CAP_MS
): number {
  const full = Math.min(cap, base * 2 ** (retry - 1))
  return Math.round(full * (0.5 + random() * 0.5))
}
