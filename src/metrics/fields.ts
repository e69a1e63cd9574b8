import { walkLeaves } from './walk.js'

/**
 * Every leaf path of a JSON document (`cacheStats.l1Size`), arrays as `.0` (their first three
 * items), at most `limit`; walked without recursion and depth-capped, so any answer is safe.
 */
export function leafPaths(doc: unknown, limit = 200): string[] {
  const out: string[] = []
  if (limit <= 0) return out
  walkLeaves(
    doc,
    ({ path }) => {
      out.push(path)
      return out.length < limit
    },
    { arrayItems: 3 }
  )
  return out
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length]!
}

/** The document's fields, closest to `wanted` first (by leaf name, then whole path). */
export function closeMatches(wanted: string, available: readonly string[]): string[] {
  const leaf = (p: string): string => (p.split('.').pop() ?? p).toLowerCase()
  const w = wanted.toLowerCase()
  return [...available].sort((a, b) => {
    const d = distance(leaf(a), leaf(w)) - distance(leaf(b), leaf(w))
    return d !== 0 ? d : distance(a.toLowerCase(), w) - distance(b.toLowerCase(), w)
  })
}
