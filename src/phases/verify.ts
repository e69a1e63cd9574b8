import { formatDuration } from '../config/duration.js'
import type { CacheMarker, VerifySettings } from '../config/phases.js'
import type { FollowedResponse } from '../http/redirect.js'
import { speedupText } from '../report/format.js'
import type {
  CacheState,
  EndpointResult,
  PhaseResult,
  VerifyEntry,
  VerifyResult,
  Writable
} from '../result.js'
import { coloOf } from '../http/edge.js'
import { requestHeaders, sendWithRetries } from '../http/send.js'
import { getPath } from '../warm/json-checks.js'
import type { PlannedEndpoint } from '../warm/plan.js'
import { runPool } from '../warm/pool.js'
import { percentile } from '../warm/stats.js'
import { describeAnswer, parseJson, type PhaseContext } from './request.js'
import { readVersion } from './wait.js'

// CloudFront's RefreshHit is a hit after revalidating, like nginx's REVALIDATED.
const CACHED = new Set(['HIT', 'STALE', 'UPDATING', 'REVALIDATED', 'REFRESHHIT', 'PRERENDER'])
const NOT_YET = new Set(['MISS', 'EXPIRED'])
const UNCACHEABLE = new Set(['BYPASS', 'DYNAMIC'])

function headerState(
  name: string,
  value: string | undefined
): { state: CacheState; evidence: string } | undefined {
  if (!value) return undefined
  // "HIT", "Hit from cloudfront", "TCP_HIT": take the word that says it.
  const words = value.toUpperCase().split(/[\s,;_]+/)
  const evidence = `${name}: ${value}`
  if (words.some(w => CACHED.has(w))) return { state: 'cached', evidence }
  if (words.some(w => UNCACHEABLE.has(w))) return { state: 'not cacheable', evidence }
  if (words.some(w => NOT_YET.has(w))) return { state: 'not cached', evidence }
  return undefined
}

/**
 * RFC 9211 `Cache-Status: edge; hit, origin; fwd=uri-miss`: the first cache (nearest the
 * client) says whether it served the answer (`hit`) or passed it on (`fwd=`).
 */
function cacheStatusState(
  value: string | undefined
): { state: CacheState; evidence: string } | undefined {
  if (!value) return undefined
  const first = value
    .split(',')[0]!
    .split(';')
    .map(p => p.trim().toLowerCase())
  const evidence = `Cache-Status: ${value}`
  if (first.includes('hit')) return { state: 'cached', evidence }
  if (first.some(p => p.startsWith('fwd=')))
    return { state: first.includes('fwd=bypass') ? 'not cacheable' : 'not cached', evidence }
  return undefined
}

/** Decides from headers and JSON markers whether an answer was served from cache. */
export function classifyCache(
  res: FollowedResponse,
  markers: readonly CacheMarker[]
): { state: CacheState; evidence: string } {
  const fromHeaders = [
    headerState('CF-Cache-Status', res.headers['cf-cache-status']),
    headerState('X-Cache', res.headers['x-cache']),
    headerState('X-Cache-Status', res.headers['x-cache-status']),
    headerState('X-Vercel-Cache', res.headers['x-vercel-cache']),
    cacheStatusState(res.headers['cache-status'])
  ].filter((x): x is { state: CacheState; evidence: string } => x !== undefined)
  const cachedHeader = fromHeaders.find(h => h.state === 'cached')
  if (cachedHeader) return cachedHeader

  const parsed = markers.length > 0 ? parseJson(res) : { ok: false as const }
  let markerMiss: string | undefined
  if (parsed.ok) {
    for (const m of markers) {
      const { found, value } = getPath(parsed.doc, m.path)
      if (!found) continue
      if (String(value).toLowerCase() === m.value.toLowerCase())
        return { state: 'cached', evidence: `${m.path}=${String(value)}` }
      markerMiss ??= `${m.path}=${String(value)}`
    }
  }
  const uncacheable = fromHeaders.find(h => h.state === 'not cacheable')
  if (uncacheable) return uncacheable
  const miss = fromHeaders.find(h => h.state === 'not cached')
  if (miss) return miss
  if (markerMiss) return { state: 'not cached', evidence: markerMiss }
  const age = Number(res.headers.age)
  if (Number.isFinite(age) && age > 0)
    return { state: 'cached', evidence: `Age: ${res.headers.age}` }
  return { state: 'unknown', evidence: 'no cache header or marker' }
}

/** Asks one endpoint again and says whether the answer came from cache, and how fast. */
async function verifyOne(ep: PlannedEndpoint, ctx: PhaseContext): Promise<VerifyEntry> {
  const { settings } = ctx
  const attempted = await sendWithRetries(
    {
      method: 'GET',
      url: ep.url,
      headers: requestHeaders(ep.url, settings, ep.headers, ctx.userAgent)
    },
    settings.request.retries,
    settings.request.timeoutMs,
    ctx
  )
  const res = attempted.response
  const colo = res ? coloOf(res.headers['cf-ray']) : undefined
  const base = {
    method: ep.method,
    path: ep.path,
    priority: ep.priority,
    ...(colo ? { colo } : {})
  }
  if (!res || res.status < 200 || res.status >= 300) {
    return {
      ...base,
      ...(res ? { status: res.status } : {}),
      state: 'not cached',
      evidence: 'no good answer',
      note: `verify request: ${describeAnswer(attempted)}`
    }
  }
  const latencyMs = Math.round(res.durationMs)
  const expected = settings.deployment.expectVersion
  const version = expected ? readVersion(res, expected, ctx.redact) : undefined
  const shown = version?.version !== undefined ? { version: version.version } : {}
  if (version && !version.ok) {
    // Another version's answer, cached or not, is not the new version warm.
    return {
      ...base,
      status: res.status,
      latencyMs,
      state: 'not cached',
      evidence: version.why!,
      ...shown,
      wrongVersion: true
    }
  }
  const { state, evidence } = classifyCache(res, settings.verify.cacheMarkers)
  const tooSlow =
    settings.verify.maxWarmLatencyMs !== undefined && latencyMs > settings.verify.maxWarmLatencyMs
  const note =
    state === 'not cacheable'
      ? `not cacheable${res.setCookie ? ': it sets a cookie (Set-Cookie), the likely cause' : ''}`
      : undefined
  // Field by field in the report's order, not a spread: entries then share a handful of hidden
  // classes, not one each (see answeredResult in warm/endpoint.ts).
  const entry = {
    method: ep.method,
    path: ep.path,
    priority: ep.priority
  } as Writable<VerifyEntry>
  if (colo) entry.colo = colo
  entry.status = res.status
  entry.latencyMs = latencyMs
  entry.state = state
  entry.evidence = evidence
  if (version?.version !== undefined) entry.version = version.version
  if (tooSlow) entry.tooSlow = tooSlow
  if (note) entry.note = note
  return entry
}

/** Warm latency over the verified entries, and how much faster than cold (p50 against p50). */
function warmLatency(
  entries: readonly VerifyEntry[],
  coldP50Ms: number | undefined
): { warmP50Ms?: number; warmP95Ms?: number; speedup?: number } {
  const latencies = entries.filter(e => e.latencyMs !== undefined).map(e => e.latencyMs as number)
  const warmP50Ms = percentile(latencies, 50)
  const warmP95Ms = percentile(latencies, 95)
  const speedup =
    coldP50Ms !== undefined && warmP50Ms !== undefined && warmP50Ms > 0
      ? Math.round((coldP50Ms / warmP50Ms) * 10) / 10
      : undefined
  return {
    ...(warmP50Ms !== undefined ? { warmP50Ms } : {}),
    ...(warmP95Ms !== undefined ? { warmP95Ms } : {}),
    ...(speedup !== undefined ? { speedup } : {})
  }
}

/** The gates that did not hold (min-cached, max-warm-latency), and endpoints never verified. */
function verifyProblems(
  gates: VerifySettings,
  entries: readonly VerifyEntry[],
  cached: number,
  targetCount: number
): string[] {
  const problems: string[] = []
  const share = entries.length === 0 ? 0 : cached / entries.length
  if (gates.minCached !== undefined) {
    if (entries.length === 0)
      problems.push('min-cached: no GET endpoint warmed, so nothing could be verified')
    else if (share + 1e-9 < gates.minCached) {
      const notCached = entries.filter(e => e.state !== 'cached').map(e => `${e.path} (${e.state})`)
      problems.push(
        `min-cached: ${cached}/${entries.length} verified endpoints came from cache (${Math.round(share * 100)} %), below ${Math.round(gates.minCached * 100)} %; not cached: ${notCached.slice(0, 5).join(', ')}${notCached.length > 5 ? ` and ${notCached.length - 5} more` : ''}`
      )
    }
  }
  const slow = entries.filter(e => e.tooSlow)
  if (slow.length > 0 && gates.maxWarmLatencyMs !== undefined) {
    problems.push(
      `max-warm-latency: ${slow.length} endpoint(s) slower than ${formatDuration(gates.maxWarmLatencyMs)} when warm: ${slow
        .slice(0, 5)
        .map(e => `${e.path} ${e.latencyMs}ms`)
        .join(', ')}`
    )
  }
  const wrong = entries.filter(e => e.wrongVersion)
  if (wrong.length > 0)
    problems.push(
      `expect-version: ${wrong.length} verify answer(s) came from another version: ${wrong
        .slice(0, 5)
        .map(e => `${e.path} (${e.evidence})`)
        .join(', ')}${wrong.length > 5 ? ` and ${wrong.length - 5} more` : ''}`
    )
  if (entries.length < targetCount)
    problems.push(`verify stopped early: ${targetCount - entries.length} endpoint(s) not verified`)
  return problems
}

/**
 * Requests every GET endpoint that warmed once more and records whether it now comes from cache,
 * and how fast. `min-cached` and `max-warm-latency` gate on it.
 */
export async function verifyPass(
  endpoints: readonly PlannedEndpoint[],
  warmed: readonly EndpointResult[],
  coldP50Ms: number | undefined,
  ctx: PhaseContext
): Promise<VerifyResult> {
  const gates = ctx.settings.verify
  const passed = new Set(warmed.filter(e => e.outcome === 'passed').map(e => e.source))
  const targets = endpoints.filter(e => e.method === 'GET' && passed.has(e.source))
  const done = await runPool(
    targets,
    ctx.settings.warm.concurrency,
    ep => verifyOne(ep, ctx),
    ctx.signal
  )
  const entries = done.filter((e): e is VerifyEntry => e !== undefined)
  const cached = entries.filter(e => e.state === 'cached').length
  const problems = verifyProblems(gates, entries, cached, targets.length)
  return {
    entries,
    cached,
    cachedShare: entries.length === 0 ? 0 : cached / entries.length,
    ...(gates.minCached !== undefined ? { minCached: gates.minCached } : {}),
    ...(gates.maxWarmLatencyMs !== undefined ? { maxWarmLatencyMs: gates.maxWarmLatencyMs } : {}),
    ...warmLatency(entries, coldP50Ms),
    passed: problems.length === 0,
    problems
  }
}

/**
 * The verify line in the phase table: failed when a gate it measures (min-cached,
 * max-warm-latency) did not hold, a warning when it found answers not served from cache.
 */
export function verifyPhase(verify: VerifyResult, took: number): PhaseResult {
  // An answer from another version fails the phase like a gate: expect-version asked for it.
  const gate =
    verify.minCached !== undefined ||
    verify.maxWarmLatencyMs !== undefined ||
    verify.entries.some(e => e.wrongVersion)
  return {
    name: 'verify',
    status: !verify.passed
      ? gate
        ? 'failed'
        : 'warning'
      : verify.entries.some(e => e.state === 'not cached')
        ? 'warning'
        : 'passed',
    durationMs: took,
    detail:
      `${verify.cached}/${verify.entries.length} from cache` +
      (verify.warmP50Ms !== undefined ? `, warm p50 ${formatDuration(verify.warmP50Ms)}` : '') +
      (verify.speedup !== undefined ? `, ${speedupText(verify.speedup)}` : '') +
      (verify.problems.length ? `; ${verify.problems.join('; ')}` : '')
  }
}

/**
 * What the verify pass found that gates nothing but must not go unsaid: each entry's note, and,
 * without min-cached, the endpoints that were still not served from cache when asked again.
 */
export function verifyWarnings(verify: VerifyResult | undefined): string[] {
  if (!verify) return []
  const warnings: string[] = []
  for (const e of verify.entries) if (e.note) warnings.push(`${e.method} ${e.path}: ${e.note}`)
  // An answer from another version is a problem of its own (verifyProblems), not a miss.
  const missed = verify.entries.filter(e => e.state === 'not cached' && !e.wrongVersion)
  if (verify.minCached === undefined && missed.length > 0) {
    warnings.push(
      `${missed.length}/${verify.entries.length} endpoint(s) were still not served from cache when asked again (${missed
        .slice(0, 3)
        .map(e => `${e.path}: ${e.evidence}`)
        .join(', ')}${missed.length > 3 ? ', ...' : ''}); set min-cached to fail the step on it`
    )
  }
  return warnings
}
