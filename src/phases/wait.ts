import { formatDuration } from '../config/duration.js'
import type { VersionCheck, WaitSettings } from '../config/phases.js'
import type { FollowedResponse } from '../http/redirect.js'
import type { PhaseResult, WaitResult } from '../result.js'
import { clip } from '../secrets.js'
import { getPath, show } from '../warm/json-checks.js'
import { ask, describeAnswer, parseJson, stopped, type PhaseContext } from './request.js'

/** Versions an answer showed are cut to this many characters, after redaction. */
const VERSION_SHOWN_MAX = 60

/** What an answer says of its version, against `check` (wait-for-version, expect-version). */
export interface VersionReading {
  readonly ok: boolean
  /** What was seen, as the wait log says it: `X-Worker-Version: v42`, `version="1.2"`, `no version field`. */
  readonly seen?: string
  /** The version the answer showed, bare, redacted and cut (a header's value, a field's text). */
  readonly version?: string
  /** Why it is not the version asked for, in words for an endpoint's reason; absent when ok. */
  readonly why?: string
}

/**
 * Reads the version an answer shows. The header form reads only headers (the name matched in
 * any case), so it never needs the body (versionNeedsBody); the others read the body as kept,
 * and say so when it was cut at the body cap.
 */
export function readVersion(
  res: FollowedResponse,
  check: VersionCheck,
  redact?: (text: string) => string
): VersionReading {
  const expected = `expected ${check.value}`
  switch (check.kind) {
    case 'header': {
      const got = res.headers[check.name.toLowerCase()]
      if (got === undefined)
        return { ok: false, why: `the answer has no ${check.name} header (${expected})` }
      const ok = got.trim() === check.value
      const version = clip(got.trim(), VERSION_SHOWN_MAX, redact)
      return {
        ok,
        // The value as shown (redacted, cut): a hostile header of 16 KiB must not fill the log.
        seen: `${check.name}: ${clip(got, VERSION_SHOWN_MAX, redact)}`,
        version,
        ...(ok ? {} : { why: `answered from version ${version}, ${expected} (${check.name})` })
      }
    }
    case 'json': {
      if (res.truncated)
        return {
          ok: false,
          seen: 'an answer too large to read whole',
          why: `the body is larger than the part read, so its ${check.path} field cannot be read (${expected})`
        }
      const parsed = parseJson(res)
      if (!parsed.ok)
        return {
          ok: false,
          seen: 'an answer that is not JSON',
          why: `the answer is not JSON, so its ${check.path} field cannot be read (${expected})`
        }
      const { found, value } = getPath(parsed.doc, check.path)
      if (!found)
        return {
          ok: false,
          seen: `no ${check.path} field`,
          why: `the answer has no ${check.path} field (${expected})`
        }
      const text = typeof value === 'string' ? value : jsonText(value)
      const ok = text === check.value
      const version =
        typeof value === 'string' ? clip(value, VERSION_SHOWN_MAX, redact) : show(value, redact)
      return {
        ok,
        seen: `${check.path}=${show(value, redact)}`,
        version,
        ...(ok ? {} : { why: `answered from version ${version}, ${expected} (${check.path})` })
      }
    }
    case 'text': {
      // Buffer.includes: no string copy of a body of up to the cap for every answer.
      if (res.body.includes(check.value)) return { ok: true }
      return {
        ok: false,
        why: res.truncated
          ? `the body is larger than the part read, and that part did not contain "${check.value}"`
          : `the body did not contain "${check.value}"`
      }
    }
  }
}

/** Whether the readiness answer shows the new version; with what was seen instead. */
export function versionMatches(
  res: FollowedResponse,
  check: VersionCheck,
  redact?: (text: string) => string
): { ok: boolean; seen?: string } {
  const { ok, seen } = readVersion(res, check, redact)
  return { ok, ...(seen !== undefined ? { seen } : {}) }
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
