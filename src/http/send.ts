import type { Settings } from '../config/settings.js'
import { VERSION_OVERRIDE_HEADER } from '../config/phases.js'
import { formatDuration } from '../config/duration.js'
import type { FollowedResponse } from './redirect.js'
import { NetworkError, type HttpRequest } from './request.js'
import { backoffMs, parseRetryAfter, RETRY_ERRORS, RETRY_STATUSES, type Clock } from './retry.js'

/** The longest Retry-After honoured for one retry; a longer one gives up at once (as ky does). */
export const MAX_RETRY_AFTER_MS = 60_000

export type Send = (
  req: HttpRequest,
  opts: { timeoutMs: number; signal?: AbortSignal }
) => Promise<FollowedResponse>

/**
 * Whether `url` is on `origin` (a serialized origin: scheme://host[:port]). A URL that starts
 * with `origin` and a "/" has that very host and port (a host cannot hold a "/"), so the common
 * case needs no parse; anything else (user:password@, no path, another host) is parsed.
 */
export function sameOrigin(url: string, origin: string): boolean {
  if (url.length > origin.length && url.startsWith(origin) && url[origin.length] === '/')
    return true
  try {
    return new URL(url).origin === origin
  } catch {
    return false
  }
}

/** Headers for a request: the key and extra headers go to the deployment's own origin only. */
export function requestHeaders(
  url: string,
  settings: Settings,
  own: Readonly<Record<string, string>>,
  userAgent: string
): Record<string, string> {
  const headers: Record<string, string> = {
    'User-Agent': userAgent,
    Accept: 'application/json, */*;q=0.5'
  }
  if (sameOrigin(url, settings.deployment.origin)) {
    Object.assign(headers, settings.deployment.headers)
    if (settings.deployment.apiKey)
      headers[settings.deployment.apiKeyHeader] = settings.deployment.apiKey
    if (settings.deployment.versionOverride)
      headers[VERSION_OVERRIDE_HEADER] = settings.deployment.versionOverride
  }
  return Object.assign(headers, own)
}

/**
 * What a request needs from the run: the settings (headers for the origin), the run's one
 * rate-limited `send`, its clock, deadline and signal, and its redaction of server words.
 */
export interface RequestContext extends RetryContext {
  readonly settings: Settings
  readonly userAgent: string
  /** Redacts the run's secrets (RunContext.redact); server words are redacted before a cut. */
  readonly redact?: (text: string) => string
}

/** What retrying needs: the run's send, clock, deadline and signal. */
export interface RetryContext {
  readonly send: Send
  readonly clock: Clock
  /** Absolute time (clock ms) when the run must stop. */
  readonly deadlineAt: number
  readonly signal?: AbortSignal
}

export interface Attempted {
  readonly response?: FollowedResponse
  readonly error?: NetworkError
  readonly attempts: number
  /** Why retrying stopped early, when it did. */
  readonly gaveUp?: string
  readonly stopped?: boolean
}

/**
 * Sends a request, retrying only what can succeed on retry (network errors, 408, 429, 500,
 * 502-504): Retry-After when the server gives it, else exponential backoff with jitter; never
 * past the deadline.
 */
export async function sendWithRetries(
  req: HttpRequest,
  retries: number,
  timeoutMs: number,
  ctx: RetryContext
): Promise<Attempted> {
  const { clock, deadlineAt, signal } = ctx
  for (let attempt = 1; ; attempt++) {
    const left = deadlineAt - clock.now()
    if (signal?.aborted || left <= 0) return { attempts: attempt - 1, stopped: true }
    let response: FollowedResponse | undefined
    let error: NetworkError | undefined
    try {
      response = await ctx.send(
        req,
        signal
          ? { timeoutMs: Math.min(timeoutMs, left), signal }
          : { timeoutMs: Math.min(timeoutMs, left) }
      )
    } catch (e) {
      if (!(e instanceof NetworkError)) throw e
      error = e
      if (e.kind === 'aborted' || signal?.aborted)
        return { attempts: attempt, error: e, stopped: true }
      // A timeout that the deadline cut short is the deadline, whichever timer fired first.
      if (e.kind === 'timeout' && left < timeoutMs) {
        return { attempts: attempt, error: new NetworkError('aborted', e.message), stopped: true }
      }
    }
    const retryable = response ? RETRY_STATUSES.has(response.status) : RETRY_ERRORS.has(error!.kind)
    const result: Attempted = response
      ? { attempts: attempt, response }
      : { attempts: attempt, error: error! }
    if (!retryable || attempt > retries) return result

    const retryAfter = response
      ? parseRetryAfter(response.headers['retry-after'], clock.now())
      : undefined
    const delay = retryAfter ?? backoffMs(attempt, () => clock.random())
    const remaining = deadlineAt - clock.now()
    if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_MS && retryAfter < remaining) {
      return {
        ...result,
        gaveUp: `the server asked to wait ${formatDuration(retryAfter)} (Retry-After), more than the ${formatDuration(MAX_RETRY_AFTER_MS)} the action waits for one retry`
      }
    }
    if (delay >= remaining) {
      const asked =
        retryAfter !== undefined
          ? `the server asked to wait ${formatDuration(delay)} (Retry-After)`
          : `the next retry (in ${formatDuration(delay)})`
      return {
        ...result,
        gaveUp: `${asked}, past the deadline (${formatDuration(Math.max(0, remaining))} left)`
      }
    }
    await clock.sleep(delay, signal)
    if (signal?.aborted) return { ...result, stopped: true }
  }
}
