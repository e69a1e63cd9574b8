import { formatDuration } from '../config/duration.js'
import type { VersionCheck, WaitSettings } from '../config/phases.js'
import type { FollowedResponse } from '../http/redirect.js'
import type { PhaseResult, WaitResult } from '../result.js'
import { getPath, show } from '../warm/json-checks.js'
import { ask, describeAnswer, parseJson, stopped, type PhaseContext } from './request.js'

/** Whether the readiness answer shows the new version; with what was seen instead. */
export function versionMatches(
  res: FollowedResponse,
  check: VersionCheck,
  redact?: (text: string) => string
): { ok: boolean; seen?: string } {
  switch (check.kind) {
    case 'header': {
      const got = res.headers[check.name.toLowerCase()]
      return {
        ok: got !== undefined && got.trim() === check.value,
        ...(got !== undefined ? { seen: `${check.name}: ${got}` } : {})
      }
    }
    case 'json': {
      const parsed = parseJson(res)
      if (!parsed.ok) return { ok: false, seen: 'an answer that is not JSON' }
      const { found, value } = getPath(parsed.doc, check.path)
      if (!found) return { ok: false, seen: `no ${check.path} field` }
      const text = typeof value === 'string' ? value : jsonText(value)
      return { ok: text === check.value, seen: `${check.path}=${show(value, redact)}` }
    }
    case 'text':
      return { ok: res.body.toString('utf8').includes(check.value) }
  }
}

/**
 * Polls `wait-for` until it answers 2xx (and shows `wait-for-version`), up to `wait-timeout`.
 * Warming the old version's cache is the classic false green.
 */
export async function waitForReady(wait: WaitSettings, ctx: PhaseContext): Promise<WaitResult> {
  const { settings, clock } = ctx
  const { target, version: check, timeoutMs, pollIntervalMs } = wait
  const startedAt = clock.now()
  const endAt = Math.min(startedAt + timeoutMs, ctx.deadlineAt)
  let polls = 0
  let lastAnswer: string | undefined
  let versionSeen: string | undefined
  let logged: string | undefined
  for (;;) {
    polls++
    const answer = await ask(target, ctx, Math.min(settings.request.timeoutMs, pollIntervalMs * 2))
    const res = answer.response
    if (res && res.status >= 200 && res.status < 300 && !res.blockedRedirect) {
      if (!check)
        return {
          ready: true,
          polls,
          url: target.url,
          lastAnswer: describeAnswer(answer),
          message: `ready after ${polls} poll(s)`
        }
      const v = versionMatches(res, check, ctx.redact)
      versionSeen = v.seen
      if (v.ok) {
        return {
          ready: true,
          polls,
          url: target.url,
          lastAnswer: describeAnswer(answer),
          ...(v.seen ? { versionSeen: v.seen } : {}),
          message: `version ${check.value} live after ${polls} poll(s)`
        }
      }
      lastAnswer = `${res.status}, but not the new version (${v.seen ?? `"${check.value}" not in the answer`}; waiting for ${check.text})`
    } else {
      lastAnswer = describeAnswer(answer)
    }
    // Say it when the answer changes, not on every poll.
    if (lastAnswer !== logged) ctx.log(`  not ready yet (poll ${polls}: ${lastAnswer})`)
    logged = lastAnswer
    if (stopped(ctx) || clock.now() >= endAt) break
    await clock.sleep(Math.min(pollIntervalMs, endAt - clock.now()), ctx.signal)
    if (ctx.signal?.aborted) break
  }
  const waited = formatDuration(Math.min(timeoutMs, clock.now() - startedAt))
  return {
    ready: false,
    polls,
    url: target.url,
    ...(lastAnswer ? { lastAnswer } : {}),
    ...(versionSeen ? { versionSeen } : {}),
    message: `deployment at ${target.url} not ready after ${waited}: last answer ${lastAnswer ?? 'none'}`
  }
}

/** A value as JSON text; a value nested too deep to serialize (a hostile answer) matches nothing. */
function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return '\u0000unserializable'
  }
}

/** The wait line in the phase table: ready, or why not. */
export function waitPhase(wait: WaitResult, took: number): PhaseResult {
  return {
    name: 'wait',
    status: wait.ready ? 'passed' : 'failed',
    durationMs: took,
    detail: wait.message
  }
}
