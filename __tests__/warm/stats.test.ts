import { describe, expect, it } from '@jest/globals'
import { percentile } from '../../src/warm/stats.js'

describe('percentile (nearest rank)', () => {
  it('is undefined for no values', () => {
    expect(percentile([], 50)).toBeUndefined()
  })

  it('is the value itself for one value', () => {
    expect(percentile([42], 50)).toBe(42)
    expect(percentile([42], 95)).toBe(42)
  })

  it('takes p50 and p95 by nearest rank, whatever the input order', () => {
    const values = [100, 10, 90, 20, 80, 30, 70, 40, 60, 50]
    expect(percentile(values, 50)).toBe(50)
    expect(percentile(values, 95)).toBe(100)
    expect(percentile(values, 0)).toBe(10)
    expect(percentile(values, 100)).toBe(100)
  })

  it('does not reorder the caller’s list', () => {
    const values = [3, 1, 2]
    percentile(values, 50)
    expect(values).toEqual([3, 1, 2])
  })

  it('picks the 95th of twenty', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1)
    expect(percentile(values, 95)).toBe(19)
    expect(percentile(values, 50)).toBe(10)
  })
})
