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
