import { PRIORITIES, type EndpointSpec, type Priority } from '../config/endpoints.js'
import type { Expect } from '../config/expect.js'
import type { Settings } from '../config/settings.js'

export interface PlannedEndpoint extends EndpointSpec {
  /** The endpoint's own expect, else the `expect` input, else `{}` (any 2xx). */
  readonly expect: Expect
}

export interface PlannedTier {
  readonly priority: Priority
  readonly endpoints: readonly PlannedEndpoint[]
}

/** Groups endpoints into tiers, critical first; each keeps the order it was written in. */
export function planTiers(settings: Pick<Settings, 'endpoints' | 'defaultExpect'>): PlannedTier[] {
  return PRIORITIES.map(priority => ({
    priority,
    endpoints: settings.endpoints
      .filter(e => e.priority === priority)
      .map(e => ({ ...e, expect: e.expect ?? settings.defaultExpect ?? {} }))
  })).filter(t => t.endpoints.length > 0)
}

/** The plan as text, for dry-run: tiers, methods, URLs. */
export function renderPlan(tiers: readonly PlannedTier[], settings: Settings): string {
  const lines = [
    `Plan: ${settings.endpoints.length} endpoint(s) on ${settings.origin}, ${settings.concurrency} at a time, ` +
      `timeout ${settings.timeoutMs}ms, ${settings.retries} retries, deadline ${settings.deadlineMs}ms`,
    settings.apiKey
      ? `Key: sent as ${settings.apiKeyHeader} (value masked)`
      : 'Key: none given; no key header is sent'
  ]
  for (const tier of tiers) {
    lines.push(`${tier.priority} (${tier.endpoints.length}):`)
    for (const e of tier.endpoints) lines.push(`  ${e.method.padEnd(6)} ${e.url}`)
  }
  return lines.join('\n')
}
