import { createHash } from 'node:crypto'
import type { Shard } from '../config/scale.js'

/**
 * This shard's share of one tier: every n-th item, starting at the i-th. Deterministic (it
 * depends only on the list's order), disjoint across shards, covering the list together, and
 * balanced: shares of a tier differ by at most one. Applied per tier, so every job of a matrix
 * warms its part of the critical tier before anyone's high tier.
 */
export function shardOf<T>(items: readonly T[], shard: Shard | undefined): T[] {
  if (!shard || shard.count === 1) return [...items]
  const out: T[] = []
  for (let i = shard.index - 1; i < items.length; i += shard.count) out.push(items[i] as T)
  return out
}

/**
 * The fingerprint of a whole list before sharding: sha256 of its endpoints (method, path,
 * priority), sorted, so it is the same whatever order they were listed in. Each shard's report
 * carries it (`settings.plan`); the merge recomputes it from the endpoints a complete matrix
 * warmed, so shards cut from two lists (a sitemap that changed between jobs) or a report with
 * endpoints cut out can never add up to a green "whole list".
 */
export function listFingerprint(
  endpoints: Iterable<{ readonly method: string; readonly path: string; readonly priority: string }>
): string {
  const lines: string[] = []
  for (const e of endpoints) lines.push(`${e.method} ${e.priority} ${e.path}`)
  lines.sort()
  const hash = createHash('sha256')
  for (const line of lines) hash.update(`${line}\n`)
  return hash.digest('hex')
}
