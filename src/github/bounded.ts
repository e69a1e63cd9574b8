/**
 * Time limits for GitHub's API. Octokit has no timeout of its own: a GitHub (or GHES, or proxy)
 * that accepts the connection and never answers would hold the step for minutes past the run's
 * deadline. Every request made here carries an AbortSignal (Octokit hands `request.signal` to
 * fetch, which then also bounds reading the body) and is raced against a timer besides, so a
 * client that ignores the signal cannot outlive the bound either.
 */

/** The longest any one GitHub request may take. */
export const GITHUB_REQUEST_TIMEOUT_MS = 10_000

/** "10s", "1.5s", "50ms": how long GitHub was given. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  return `${Math.round(ms / 100) / 10}s`
}

/** GitHub did not answer in time. The message says how long it was given, never what was sent. */
export class GitHubTimeoutError extends Error {
  override readonly name = 'GitHubTimeoutError'
  constructor(
    readonly ms: number,
    ...notes: (string | undefined)[]
  ) {
    const note = notes.filter(Boolean).join('; ')
    super(
      `${ms <= 0 ? 'no time was left to ask GitHub' : `GitHub did not answer within ${duration(ms)}`}${note ? ` (${note})` : ''}`
    )
  }
}

/** What Octokit accepts per call to abort it: spread into the call's parameters. */
export interface Abortable {
  readonly request: { readonly signal: AbortSignal }
}

/** Runs one GitHub request under a time limit; `what` names it in the timeout message. */
export type Call = <T>(request: (abortable: Abortable) => Promise<T>, what?: string) => Promise<T>

export interface Budget {
  /**
   * One GitHub request, given `{ request: { signal } }` to spread into its parameters. Rejects
   * with GitHubTimeoutError after the per-request timeout or at the budget's end, whichever
   * comes first, and aborts the request then.
   */
  readonly call: Call
  /** Any work (several calls, loading the client) cut off at the budget's end. */
  within<T>(work: Promise<T>): Promise<T>
  /** Stops every call still waiting, now: each rejects with GitHubTimeoutError naming `why`. */
  abort(why: string): void
}

export interface BudgetOptions {
  /** Epoch milliseconds after which nothing may still wait for GitHub. */
  readonly endAt: number
  readonly now: () => number
  readonly requestTimeoutMs: number
  /** Named in the message when the budget's end, not the request timeout, cut a call short. */
  readonly limit: string
}

const MAX_TIMER_MS = 2 ** 31 - 1

/** Rejects after `ms`, or at once when `stopAll` aborts; `clear` disarms it. */
function alarm(
  stopAll: AbortSignal,
  ms: number,
  error: (aborted: boolean) => GitHubTimeoutError
): { rung: Promise<never>; clear: () => void } {
  let clear = (): void => undefined
  const rung = new Promise<never>((_, reject) => {
    let handle: ReturnType<typeof setTimeout> | undefined
    const ring = (): void => {
      clear()
      reject(error(stopAll.aborted))
    }
    clear = () => {
      clearTimeout(handle)
      stopAll.removeEventListener('abort', ring)
    }
    if (stopAll.aborted) return ring()
    // No deadline at all: only abort() ends it (setTimeout would fire at once past 2^31 - 1 ms).
    if (ms <= MAX_TIMER_MS) handle = setTimeout(ring, Math.max(0, ms))
    stopAll.addEventListener('abort', ring, { once: true })
  })
  return { rung, clear: () => clear() }
}

async function race<T>(work: Promise<T>, rung: Promise<never>, clear: () => void): Promise<T> {
  try {
    return await Promise.race([work, rung])
  } finally {
    clear()
  }
}

export function makeBudget({ endAt, now, requestTimeoutMs, limit }: BudgetOptions): Budget {
  const stopAll = new AbortController()
  let stoppedBecause = limit

  return {
    abort(why) {
      stoppedBecause = why
      stopAll.abort()
    },

    call(request, what) {
      const started = now()
      const left = endAt - started
      const ms = Math.min(requestTimeoutMs, left)
      if (stopAll.signal.aborted)
        return Promise.reject(new GitHubTimeoutError(0, what, stoppedBecause))
      if (ms <= 0) return Promise.reject(new GitHubTimeoutError(0, what, limit))
      const signal = new AbortController()
      const { rung, clear } = alarm(stopAll.signal, ms, aborted => {
        const e = aborted
          ? new GitHubTimeoutError(now() - started, what, stoppedBecause)
          : new GitHubTimeoutError(ms, what, left < requestTimeoutMs ? limit : undefined)
        signal.abort(e)
        return e
      })
      // Started inside a promise: a request that throws at once still clears its alarm.
      const work = Promise.resolve().then(() => request({ request: { signal: signal.signal } }))
      return race(work, rung, clear)
    },

    within(work) {
      const started = now()
      const { rung, clear } = alarm(stopAll.signal, endAt - started, () => {
        // Whatever is still waiting stops now too.
        stopAll.abort()
        return new GitHubTimeoutError(now() - started, stoppedBecause)
      })
      // A call stopped at the end says which request it was: give its rejection (microtasks
      // only) the chance to arrive before this general one.
      const late = rung.catch(
        (error: unknown) =>
          new Promise<never>((_, reject) => setImmediate(() => reject(error as Error)))
      )
      return race(work, late, clear)
    }
  }
}
