import { coloOf } from '../http/edge.js'
import type { FollowedResponse } from '../http/redirect.js'
import { jsonText, type HttpRequest } from '../http/request.js'
import {
  requestHeaders,
  sendWithRetries,
  type Attempted,
  type RequestContext
} from '../http/send.js'
import type { EndpointResult, Writable } from '../result.js'
import { StoppedError } from '../errors.js'
import { readVersion, type VersionReading } from '../phases/wait.js'
import {
  diagnoseNetwork,
  diagnoseRedirect,
  diagnoseStatus,
  type DiagnoseContext,
  type Diagnosis
} from './diagnose.js'
import { checkJson, placeholderSign, saysItFailed } from './json-checks.js'
import type { PlannedEndpoint } from './plan.js'

/** What warming one endpoint needs from the run. */
export type EndpointContext = RequestContext

function cacheHeader(res: FollowedResponse): string | undefined {
  const parts: string[] = []
  const cf = res.headers['cf-cache-status']
  const x = res.headers['x-cache']
  const age = res.headers.age
  if (cf) parts.push(`CF-Cache-Status: ${cf}`)
  if (x) parts.push(`X-Cache: ${x}`)
  if (age) parts.push(`Age: ${age}`)
  return parts.length > 0 ? parts.join(', ') : undefined
}

/** 5 MiB, 64 KiB, 100 bytes: rounding to whole MiB said "0 MiB" for smaller caps. */
function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / 1024 / 1024).toFixed(1)} MiB`
  return bytes >= 1024 ? `${+(bytes / 1024).toFixed(1)} KiB` : `${bytes} bytes`
}

/** Above this size, an answer with no expect.json is not parsed to see what it says of itself. */
const SELF_REPORT_MAX_BYTES = 1024 * 1024

const parsed = new WeakMap<FollowedResponse, { doc?: unknown; problem?: string }>()

/** The answer's JSON, or why it cannot be read; parsed once per answer. */
function answerJson(res: FollowedResponse): { doc?: unknown; problem?: string } {
  const known = parsed.get(res)
  if (known) return known
  let out: { doc?: unknown; problem?: string }
  // No Accept-Encoding is sent, so a compressed answer is the server's mistake; it is never
  // inflated (a gzip bomb would inflate without bound), so say that instead of "not JSON".
  const encoding = res.headers['content-encoding']?.trim().toLowerCase()
  if (encoding && encoding !== 'identity')
    out = {
      problem: `the answer is ${encoding}-encoded (Content-Encoding: ${encoding}) although no Accept-Encoding was sent; it was not inflated, so its JSON cannot be checked`
    }
  else if (res.truncated)
    out = {
      problem: `the body is larger than the ${sizeText(res.body.length)} read for checks, so its JSON cannot be checked`
    }
  else {
    try {
      out = { doc: JSON.parse(jsonText(res.body)) }
    } catch {
      const type = res.headers['content-type'] ?? 'no content-type'
      out = { problem: `the answer is not JSON (${type}${res.bytes === 0 ? ', empty body' : ''})` }
    }
  }
  parsed.set(res, out)
  return out
}

/** A body that may be a JSON object: its first byte after a BOM and whitespace is `{`. */
function mayBeJsonObject(body: Buffer): boolean {
  let i = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0
  while (i < body.length) {
    const b = body[i]!
    if (b === 0x7b) return true
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return false
    i++
  }
  return false
}

/**
 * Checks the JSON assertions of `expect`, and what a 2xx JSON answer says of itself
 * (`success: false`, `ok: false`, an `error`), unless `expect.json` checks that field itself.
 * Returns failure phrases (empty: passed).
 */
export function checkExpect(
  res: FollowedResponse,
  ep: PlannedEndpoint,
  redact?: (text: string) => string
): string[] {
  const json = ep.expect.json
  const checks = json && Object.keys(json).length > 0 ? json : undefined
  if (!checks) {
    if (res.status < 200 || res.status >= 300 || res.truncated) return []
    if (res.body.length > SELF_REPORT_MAX_BYTES || !mayBeJsonObject(res.body)) return []
    const { doc } = answerJson(res)
    const said = doc === undefined ? undefined : saysItFailed(doc, undefined, redact)
    return said ? [said] : []
  }
  const { doc, problem } = answerJson(res)
  if (problem !== undefined) return [problem]
  const failures = checkJson(doc, checks, redact)
  const said = res.status >= 200 && res.status < 300 ? saysItFailed(doc, checks, redact) : undefined
  return said ? [...failures, said] : failures
}

/** Why a passing answer looks like placeholder data, when it does (read only when JSON). */
function suspicion(res: FollowedResponse): string | undefined {
  if (res.body.length > SELF_REPORT_MAX_BYTES || !mayBeJsonObject(res.body)) return undefined
  const { doc } = answerJson(res)
  return doc === undefined ? undefined : placeholderSign(doc)
}

function statusAccepted(status: number, ep: PlannedEndpoint): boolean {
  return ep.expect.status ? ep.expect.status.includes(status) : status >= 200 && status < 300
}

/** What every result for the endpoint starts with: which endpoint, and how often it was sent. */
type ResultBase = Pick<
  EndpointResult,
  'source' | 'method' | 'path' | 'priority' | 'name' | 'attempts'
>

function requestOf(ep: PlannedEndpoint, ctx: EndpointContext): HttpRequest {
  return {
    method: ep.method,
    url: ep.url,
    headers: requestHeaders(ep.url, ctx.settings, ep.headers, ctx.userAgent),
    ...(ep.body !== undefined ? { body: ep.body } : {})
  }
}

function diagnoseContext(
  ep: PlannedEndpoint,
  ctx: EndpointContext,
  attempts: number
): DiagnoseContext {
  const { deployment } = ctx.settings
  return {
    method: ep.method,
    path: ep.path,
    apiKeyHeader: deployment.apiKeyHeader,
    apiKeySent: deployment.apiKey !== undefined,
    attempts,
    ...(ctx.redact ? { redact: ctx.redact } : {})
  }
}

/** No answer came: the run stopped it (deadline or cancel), or the network failed it. */
function unanswered(
  ep: PlannedEndpoint,
  attempted: Attempted,
  base: ResultBase,
  ctx: EndpointContext
): EndpointResult {
  if (attempted.stopped && (!attempted.error || attempted.error.kind === 'aborted'))
    return stoppedResult(ep, attempted, base, ctx)
  const { timeoutMs } = ctx.settings.request
  const d = diagnoseNetwork(attempted.error!, {
    ...diagnoseContext(ep, ctx, attempted.attempts),
    timeoutMs: Math.min(timeoutMs, ctx.settings.run.deadlineMs)
  })
  return {
    ...base,
    outcome: 'failed',
    reason: attempted.gaveUp ? `${d.reason}; ${attempted.gaveUp}` : d.reason,
    cause: d.cause
  }
}

/** Stopped before an answer: skipped when never sent, failed when cut off half way. */
function stoppedResult(
  ep: PlannedEndpoint,
  attempted: Attempted,
  base: ResultBase,
  ctx: EndpointContext
): EndpointResult {
  // The engine aborts with StoppedError('deadline'); its timer can fire a hair before the clock
  // reaches deadlineAt, so the reason counts as well as the clock.
  const reason: unknown = ctx.signal?.aborted ? ctx.signal.reason : undefined
  const byDeadline =
    ctx.clock.now() >= ctx.deadlineAt ||
    (reason instanceof StoppedError && reason.why === 'deadline')
  const why = byDeadline ? 'the deadline passed' : 'the run was stopped'
  return {
    ...base,
    outcome: attempted.attempts === 0 ? 'skipped' : 'failed',
    // Same words as the engine uses for endpoints the pool never started.
    reason:
      attempted.attempts === 0
        ? `not sent: ${byDeadline ? 'the deadline passed' : 'the run was cancelled'}`
        : `${why} before ${ep.method} ${ep.path} was answered`,
    cause: byDeadline ? 'deadline' : 'cancelled'
  }
}

/**
 * Why an answer does not count as warm (a blocked redirect, a status not expected, an answer
 * from another version than expect-version, JSON that does not match `expect` or says it
 * failed), or undefined when it does.
 */
function rejection(
  ep: PlannedEndpoint,
  res: FollowedResponse,
  attempted: Attempted,
  ctx: EndpointContext,
  version: VersionReading | undefined
): Diagnosis | undefined {
  if (res.blockedRedirect)
    return diagnoseRedirect(res, diagnoseContext(ep, ctx, attempted.attempts))
  if (!statusAccepted(res.status, ep)) {
    const d = diagnoseStatus(res, diagnoseContext(ep, ctx, attempted.attempts))
    return {
      reason: attempted.gaveUp ? `${d.reason}; ${attempted.gaveUp}` : d.reason,
      cause: d.cause
    }
  }
  // Before the JSON checks: another version's answer fails them for that reason, if at all.
  if (version && !version.ok) return { reason: version.why!, cause: 'version-mismatch' }
  const failures = checkExpect(res, ep, ctx.redact)
  if (failures.length === 0) return undefined
  const self = failures.length === 1 && failures[0]!.startsWith('the answer says it failed')
  return {
    reason: self
      ? `${res.status} but ${failures[0]!}`
      : `${res.status} but the JSON did not match expect: ${failures.join('; ')}`,
    cause: self ? 'said-failed' : 'assertion'
  }
}

/**
 * The result of an endpoint that answered, property by property in one fixed order. Not built by
 * object spread: `{ ...base, ...seen }` gave every result a hidden class (map) of its own, about
 * 400 bytes each, 9 MB of the live heap on 20,000 endpoints (see docs/performance.md).
 */
function answeredResult(
  ep: PlannedEndpoint,
  attempts: number,
  res: FollowedResponse,
  cache: string | undefined,
  colo: string | undefined,
  version: string | undefined
): Writable<EndpointResult> {
  // The report's order (docs/report.md): optional fields in their places, so a result has one
  // of a handful of shapes, whichever of name, cache, colo and version it carries.
  const r: Writable<EndpointResult> = {
    source: ep.source,
    method: ep.method,
    path: ep.path,
    priority: ep.priority
  } as Writable<EndpointResult>
  if (ep.name) r.name = ep.name
  r.attempts = attempts
  r.status = res.status
  r.latencyMs = Math.round(res.durationMs)
  r.bytes = res.bytes
  if (cache) r.cache = cache
  if (colo) r.colo = colo
  if (version !== undefined) r.version = version
  r.outcome = 'passed'
  return r
}

/** Warms one endpoint and says, honestly, whether it is warm. */
export async function warmEndpoint(
  ep: PlannedEndpoint,
  ctx: EndpointContext
): Promise<EndpointResult> {
  const { request } = ctx.settings
  const attempted = await sendWithRetries(
    requestOf(ep, ctx),
    request.retries,
    request.timeoutMs,
    ctx
  )
  const res = attempted.response
  if (!res) {
    const base: ResultBase = {
      source: ep.source,
      method: ep.method,
      path: ep.path,
      priority: ep.priority,
      ...(ep.name ? { name: ep.name } : {}),
      attempts: attempted.attempts
    }
    return unanswered(ep, attempted, base, ctx)
  }
  const cache = cacheHeader(res)
  const colo = coloOf(res.headers['cf-ray'])
  const expected = ctx.settings.deployment.expectVersion
  // Only an answer that could count as warm is asked its version (a 401 has none to show).
  const version =
    expected && !res.blockedRedirect && statusAccepted(res.status, ep)
      ? readVersion(res, expected, ctx.redact)
      : undefined
  const rejected = rejection(ep, res, attempted, ctx, version)
  const r = answeredResult(ep, attempted.attempts, res, cache, colo, version?.version)
  if (rejected) {
    r.outcome = 'failed'
    r.reason = rejected.reason
    r.cause = rejected.cause
    return r
  }
  r.outcome = 'passed'
  const suspicious = suspicion(res)
  if (suspicious) r.suspicious = suspicious
  return r
}
