import type { Target } from '../config/phases.js'
import type { FollowedResponse } from '../http/redirect.js'
import { PROTECTION_HINT, vercelProtection } from '../warm/diagnose.js'
import { describeNetworkError, jsonText, NetworkError } from '../http/request.js'
import { requestHeaders, type RequestContext } from '../http/send.js'

/** What a phase needs from the run: what a request needs, and the log. */
export interface PhaseContext extends RequestContext {
  readonly log: (line: string) => void
}

export interface Answer {
  readonly response?: FollowedResponse
  readonly error?: NetworkError
}

/** One request to a phase's target (no retries: the phases poll instead). */
export async function ask(
  target: Target,
  ctx: PhaseContext,
  timeoutMs = ctx.settings.request.timeoutMs
): Promise<Answer> {
  const left = ctx.deadlineAt - ctx.clock.now()
  try {
    const response = await ctx.send(
      {
        method: target.method,
        url: target.url,
        headers: requestHeaders(target.url, ctx.settings, {}, ctx.userAgent)
      },
      {
        timeoutMs: Math.max(1, Math.min(timeoutMs, left)),
        ...(ctx.signal ? { signal: ctx.signal } : {})
      }
    )
    return { response }
  } catch (error) {
    if (error instanceof NetworkError) return { error }
    throw error
  }
}

/** A short description of an answer for messages: `503 Service Unavailable`, `connection refused`. */
export function describeAnswer(answer: Answer): string {
  if (answer.error) return describeNetworkError(answer.error.kind)
  const res = answer.response
  // Neither: the deadline or a cancel came first (a late timer can let the clock pass the
  // deadline before the signal fires), and reading `res` here crashed the whole run.
  if (!res) return 'not sent: the run was stopped'
  if (res.blockedRedirect) {
    const gate = res.blockedRedirect.protection
    return `${res.status} redirect to ${res.blockedRedirect.location} (not followed)${gate ? `: ${PROTECTION_HINT[gate]}` : ''}`
  }
  const said = `${res.status}${res.statusText ? ` ${res.statusText}` : ''}`
  return vercelProtection(res) ? `${said}: ${PROTECTION_HINT.vercel}` : said
}

export function parseJson(res: FollowedResponse): { ok: true; doc: unknown } | { ok: false } {
  if (res.truncated) return { ok: false }
  try {
    return { ok: true, doc: JSON.parse(jsonText(res.body)) }
  } catch {
    return { ok: false }
  }
}

export function stopped(ctx: PhaseContext): boolean {
  return ctx.signal?.aborted === true || ctx.clock.now() >= ctx.deadlineAt
}
