import {
  PRIORITIES,
  VERSION_OVERRIDE_HEADER,
  type EndpointSpec,
  type Priority
} from '../config/endpoints.js'
import type { Expect } from '../config/expect.js'
import type { Settings, WarmSettings } from '../config/settings.js'
import { shardOf } from './shard.js'

export interface PlannedEndpoint extends EndpointSpec {
  /** The endpoint's own expect, else the `expect` input, else `{}` (any 2xx). */
  readonly expect: Expect
}

export interface PlannedTier {
  readonly priority: Priority
  readonly endpoints: readonly PlannedEndpoint[]
}

/**
 * Groups endpoints into tiers, critical first; each keeps the order it was written in. With
 * `shard`, each tier keeps only this shard's share. One pass over the list.
 */
export function planTiers(
  warm: Pick<WarmSettings, 'endpoints' | 'defaultExpect' | 'shard'>
): PlannedTier[] {
  const byTier = new Map<Priority, EndpointSpec[]>(PRIORITIES.map(p => [p, []]))
  for (const e of warm.endpoints) byTier.get(e.priority)?.push(e)
  const fallback = warm.defaultExpect ?? {}
  return PRIORITIES.map(priority => ({
    priority,
    endpoints: shardOf(byTier.get(priority) ?? [], warm.shard).map((e): PlannedEndpoint =>
      e.expect ? (e as PlannedEndpoint) : { ...e, expect: fallback }
    )
  })).filter(t => t.endpoints.length > 0)
}

/**
 * A configured duration exactly as an input takes it back: `250ms`, `10s`, `2m`, `1m30s`,
 * `1s250ms`. formatDuration rounds (1250 ms reads `1.3s`), which suits a measurement, not a
 * setting.
 */
export function settingDuration(ms: number): string {
  let left = Math.round(ms)
  if (left <= 0) return '0s'
  const parts: string[] = []
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1]
  ] as const) {
    const n = Math.floor(left / size)
    if (n > 0) parts.push(`${n}${unit}`)
    left -= n * size
  }
  return parts.join('')
}

const d = settingDuration

/**
 * The plan as text, for dry-run: how requests are sent, then every configured phase in the
 * order it would run (wait, sitemap, trigger, warm, verify, metrics). Names headers, never
 * their values: the key and `headers` values are secrets.
 */
export function renderPlan(tiers: readonly PlannedTier[], settings: Settings): string {
  return [
    ...requestLines(tiers, settings),
    ...waitLines(settings),
    ...sitemapLines(settings),
    ...triggerLines(settings),
    ...warmLines(tiers),
    ...verifyLines(settings),
    ...metricsLines(settings)
  ].join('\n')
}

function plannedCount(tiers: readonly PlannedTier[]): number {
  return tiers.reduce((n, t) => n + t.endpoints.length, 0)
}

function requestLines(tiers: readonly PlannedTier[], settings: Settings): string[] {
  const { deployment, request, warm } = settings
  const planned = plannedCount(tiers)
  const headers = Object.keys(deployment.headers)
  const lines = [
    `Plan: ${planned} endpoint(s) on ${deployment.origin}, ${warm.concurrency} at a time, ` +
      `timeout ${d(request.timeoutMs)}, ${request.retries} retries, deadline ${d(settings.run.deadlineMs)}`,
    deployment.apiKey
      ? `Key: sent as ${deployment.apiKeyHeader} (value masked)`
      : 'Key: none given; no key header is sent'
  ]
  if (headers.length > 0) lines.push(`Headers: ${headers.join(', ')} (values masked)`)
  if (deployment.versionOverride)
    lines.push(`Version override: sent as ${VERSION_OVERRIDE_HEADER} (value masked)`)
  if (warm.shard)
    lines.push(
      `Shard: ${warm.shard.index}/${warm.shard.count}, ${planned} of the ${warm.endpoints.length} listed`
    )
  if (request.maxRps) lines.push(`Rate: at most ${request.maxRps} request(s) a second`)
  return lines
}

function waitLines({ wait }: Settings): string[] {
  if (!wait) return []
  const shows = wait.version ? ` and shows ${wait.version.text}` : ''
  return [
    `Wait: ${wait.target.method} ${wait.target.path} until it answers 2xx${shows}; every ${d(wait.pollIntervalMs)}, for up to ${d(wait.timeoutMs)}`
  ]
}

function sitemapLines({ sitemap }: Settings): string[] {
  if (!sitemap) return []
  const exclude = sitemap.exclude.length ? `, ${sitemap.exclude.length} exclude pattern(s)` : ''
  return [
    `Sitemap: ${sitemap.source.shown} (not read in a dry run; up to ${sitemap.limit} URLs${exclude})`
  ]
}

function triggerLines({ trigger }: Settings): string[] {
  if (!trigger) return []
  const required = trigger.required
    ? 'required: the step fails if it fails'
    : 'not required: a failure is a warning (a refused key still fails the step)'
  return [`Trigger: ${trigger.target.method} ${trigger.target.path} before warming; ${required}`]
}

function warmLines(tiers: readonly PlannedTier[]): string[] {
  const lines = [
    `Warm: ${plannedCount(tiers)} endpoint(s) in ${tiers.length} tier(s), in this order`
  ]
  for (const tier of tiers) {
    lines.push(`${tier.priority} (${tier.endpoints.length}):`)
    for (const e of tier.endpoints) lines.push(`  ${e.method.padEnd(6)} ${e.url}`)
  }
  return lines
}

function verifyLines({ verify }: Settings): string[] {
  if (!verify.enabled) return ['Verify: off']
  const gates = [
    `min-cached ${verify.minCached !== undefined ? `${Math.round(verify.minCached * 1000) / 10} %` : 'not set'}`,
    `max-warm-latency ${verify.maxWarmLatencyMs !== undefined ? d(verify.maxWarmLatencyMs) : 'not set'}`,
    `${verify.cacheMarkers.length} cache marker(s)`
  ]
  return [`Verify: on, each warmed GET endpoint asked again; ${gates.join(', ')}`]
}

function metricsLines({ metrics }: Settings): string[] {
  if (!metrics) return []
  const { target, thresholds } = metrics
  if (thresholds.length === 0)
    return [`Metrics: ${target.method} ${target.path} read once after warming (no thresholds set)`]
  return [
    `Metrics: ${target.method} ${target.path} until ${thresholds.map(t => t.text).join(', ')}; every ${d(metrics.pollIntervalMs)}, for up to ${d(metrics.timeoutMs)}`
  ]
}
