import { PRIORITIES, type EndpointSpec, type Priority } from '../config/endpoints.js'
import type { Expect } from '../config/expect.js'
import type { Settings } from '../config/settings.js'
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
  settings: Pick<Settings, 'endpoints' | 'defaultExpect' | 'shard'>
): PlannedTier[] {
  const byTier = new Map<Priority, EndpointSpec[]>(PRIORITIES.map(p => [p, []]))
  for (const e of settings.endpoints) byTier.get(e.priority)?.push(e)
  const fallback = settings.defaultExpect ?? {}
  return PRIORITIES.map(priority => ({
    priority,
    endpoints: shardOf(byTier.get(priority) ?? [], settings.shard).map((e): PlannedEndpoint =>
      e.expect ? (e as PlannedEndpoint) : { ...e, expect: fallback }
    )
  })).filter(t => t.endpoints.length > 0)
}

/** The plan as text, for dry-run: tiers, methods, URLs. */
export function renderPlan(tiers: readonly PlannedTier[], settings: Settings): string {
  const planned = tiers.reduce((n, t) => n + t.endpoints.length, 0)
  const lines = [
    `Plan: ${planned} endpoint(s) on ${settings.origin}, ${settings.concurrency} at a time, ` +
      `timeout ${settings.timeoutMs}ms, ${settings.retries} retries, deadline ${settings.deadlineMs}ms`,
    settings.apiKey
      ? `Key: sent as ${settings.apiKeyHeader} (value masked)`
      : 'Key: none given; no key header is sent'
  ]
  if (settings.shard)
    lines.push(
      `Shard: ${settings.shard.index}/${settings.shard.count}, ${planned} of the ${settings.endpoints.length} listed`
    )
  if (settings.maxRps) lines.push(`Rate: at most ${settings.maxRps} request(s) a second`)
  if (settings.sitemap)
    lines.push(
      `Sitemap: ${settings.sitemap.source.shown} (not read in a dry run; up to ${settings.sitemap.limit} URLs${settings.sitemap.exclude.length ? `, ${settings.sitemap.exclude.length} exclude pattern(s)` : ''})`
    )
  for (const tier of tiers) {
    lines.push(`${tier.priority} (${tier.endpoints.length}):`)
    for (const e of tier.endpoints) lines.push(`  ${e.method.padEnd(6)} ${e.url}`)
  }
  return lines.join('\n')
}
