import { describe, expect, it } from '@jest/globals'
import { PRIORITIES, type Priority } from '../../src/config/endpoints.js'
import { planTiers } from '../../src/warm/plan.js'
import { shardOf } from '../../src/warm/shard.js'
import { settingsFrom } from '../support/settings.js'

const list = (counts: Record<Priority, number>): string =>
  PRIORITIES.map(
    p =>
      `${p}:\n` +
      Array.from({ length: counts[p] }, (_, i) => `  - /${p}/${i}`).join('\n') +
      (counts[p] === 0 ? ' []' : '')
  ).join('\n')

describe('shard', () => {
  it.each([
    [1, 0, 0, 0, 4],
    [7, 3, 0, 1, 3],
    [100, 37, 5, 2, 4],
    [10, 10, 10, 10, 7]
  ])(
    'splits every tier into disjoint shares that cover it, within 1 of each other (%i/%i/%i/%i in %i)',
    (critical, high, normal, low, n) => {
      const raw = {
        url: 'https://api.example.com',
        endpoints: list({ critical, high, normal, low })
      }
      const whole = planTiers(settingsFrom(raw).warm)
      const shares = Array.from({ length: n }, (_, i) =>
        planTiers(settingsFrom({ ...raw, shard: `${i + 1}/${n}` }).warm)
      )
      for (const tier of whole) {
        const parts = shares.map(
          s => s.find(t => t.priority === tier.priority)?.endpoints.map(e => e.path) ?? []
        )
        const all = parts.flat()
        // Disjoint and covering: every endpoint exactly once.
        expect([...all].sort()).toEqual(tier.endpoints.map(e => e.path).sort())
        expect(new Set(all).size).toBe(all.length)
        const sizes = parts.map(p => p.length)
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
      }
    }
  )

  it('is deterministic: the same list gives the same share', () => {
    const items = Array.from({ length: 50 }, (_, i) => i)
    expect(shardOf(items, { index: 2, count: 3 })).toEqual(shardOf(items, { index: 2, count: 3 }))
    expect(shardOf(items, { index: 2, count: 3 }).slice(0, 3)).toEqual([1, 4, 7])
  })

  it('keeps the tier order: each shard warms its critical share before its high share', () => {
    const tiers = planTiers(
      settingsFrom({
        url: 'https://api.example.com',
        endpoints: list({ critical: 3, high: 3, normal: 0, low: 0 }),
        shard: '3/3'
      }).warm
    )
    expect(tiers.map(t => [t.priority, t.endpoints.map(e => e.path)])).toEqual([
      ['critical', ['/critical/2']],
      ['high', ['/high/2']]
    ])
  })

  it('gives nothing, not an error, to a shard with no share of a short list', () => {
    const tiers = planTiers(
      settingsFrom({ url: 'https://api.example.com', endpoints: '- /only', shard: '2/2' }).warm
    )
    expect(tiers).toEqual([])
  })
})
