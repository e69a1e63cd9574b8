import { describe, expect, it } from '@jest/globals'
import { closeMatches, leafPaths } from '../../src/metrics/fields.js'

describe('leafPaths', () => {
  it('lists every leaf as a dot path, arrays by index', () => {
    expect(
      leafPaths({
        success: true,
        cacheStats: { l1Size: 3, nested: { a: null } },
        shards: [{ n: 1 }, 2]
      })
    ).toEqual(['success', 'cacheStats.l1Size', 'cacheStats.nested.a', 'shards.0.n', 'shards.1'])
  })

  it('shows only the first three items of an array', () => {
    expect(leafPaths({ list: [1, 2, 3, 4, 5] })).toEqual(['list.0', 'list.1', 'list.2'])
  })

  it('stops at the limit', () => {
    const doc = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]))
    expect(leafPaths(doc, 10)).toHaveLength(10)
  })

  it('has no fields for a scalar or an empty document', () => {
    expect(leafPaths(42)).toEqual([])
    expect(leafPaths({})).toEqual([])
  })

  it('hostile: lists the fields of an answer nested 100,000 deep without overflowing the stack', () => {
    const deep = 100_000
    const arrays = JSON.parse('['.repeat(deep) + ']'.repeat(deep)) as unknown
    const objects = JSON.parse('{"a":'.repeat(deep) + '1' + '}'.repeat(deep)) as unknown
    expect(() => leafPaths(arrays)).not.toThrow()
    expect(leafPaths(arrays)).toEqual([])
    // The leaf is far below the depth cap, so it is left out; the shallow fields are kept.
    expect(leafPaths({ size: 3, deep: objects })).toEqual(['size'])
  })
})

describe('closeMatches', () => {
  const fields = [
    'success',
    'cacheStats.totalRequests',
    'cacheStats.l1Size',
    'cacheStats.l2Size',
    'cacheStats.hitRate',
    'l1Stats.hitRate'
  ]

  it('puts the field the user most likely meant first', () => {
    expect(closeMatches('cacheStats.overallHitRate', fields).slice(0, 2)).toEqual([
      'cacheStats.hitRate',
      'l1Stats.hitRate'
    ])
    expect(closeMatches('cacheStats.l2size', fields)[0]).toBe('cacheStats.l2Size')
    expect(closeMatches('stats.L1Size', fields)[0]).toBe('cacheStats.l1Size')
  })

  it('keeps every field and does not change the list it was given', () => {
    const copy = [...fields]
    const out = closeMatches('x', fields)
    expect([...out].sort()).toEqual([...fields].sort())
    expect(fields).toEqual(copy)
  })
})
