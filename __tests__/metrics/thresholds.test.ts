import { describe, expect, it } from '@jest/globals'
import { holds, OPERATORS, parseThreshold, type Threshold } from '../../src/metrics/thresholds.js'

const parsed = (line: string, forceRate = false): Threshold => {
  const t = parseThreshold(line, forceRate)
  if (typeof t === 'string') throw new Error(t)
  return t
}

describe('parseThreshold', () => {
  it('reads a size gate as a plain number', () => {
    expect(parsed('cacheStats.l1Size >= 100')).toEqual({
      text: 'cacheStats.l1Size >= 100',
      path: 'cacheStats.l1Size',
      op: '>=',
      target: 100,
      rate: false
    })
  })

  it.each([
    'l1Stats.hitRate >= 0.7',
    'l1Stats.hitRate >= 70%',
    'l1Stats.hitRate >= 70',
    'l1Stats.hitRate>=70 %'
  ])('%s means 70 % on a rate field', line =>
    expect(parsed(line)).toMatchObject({ path: 'l1Stats.hitRate', target: 0.7, rate: true })
  )

  it('a % target makes any field a rate', () => {
    expect(parsed('cache.fill > 50%')).toMatchObject({ target: 0.5, rate: true, op: '>' })
  })

  it('forceRate (min-hit-rate) reads the target as a rate whatever the field is called', () => {
    expect(parsed('stats.hits >= 80', true)).toMatchObject({ target: 0.8, rate: true })
    expect(parsed('stats.hits >= 0.8', true)).toMatchObject({ target: 0.8, rate: true })
  })

  it('keeps fractional and small percentages apart', () => {
    expect(parsed('hitRate >= 0.5%').target).toBeCloseTo(0.005, 10)
    expect(parsed('hitRate >= 1').target).toBe(1)
  })

  it.each(OPERATORS)('accepts the operator %s', op => expect(parsed(`a.b ${op} 3`).op).toBe(op))

  it.each([
    ['hitRate >= 150', /a rate must be between 0 and 1/],
    ['hitRate >= -5', /a rate must be between 0 and 1/],
    ['cacheStats.l1Size => 100', /is not "dot.path OP number" \(OP one of >= <= == > <\)/],
    ['cacheStats.l1Size >= lots', /is not "dot.path OP number"/],
    ['>= 100', /is not "dot.path OP number"/],
    ['a b >= 1', /is not "dot.path OP number"/]
  ])('rejects %j with a phrase saying what is accepted', (line, phrase) => {
    const t = parseThreshold(line)
    expect(typeof t).toBe('string')
    expect(t).toMatch(phrase)
  })
})

describe('holds', () => {
  it.each([
    [0.7, '>=', 0.7, true],
    [0.7 - 1e-12, '>=', 0.7, true],
    [0.69, '>=', 0.7, false],
    [0.7, '>', 0.7, false],
    [0.71, '>', 0.7, true],
    [5, '<=', 5, true],
    [5, '<', 5, false],
    [4, '<', 5, true],
    [0.1 + 0.2, '==', 0.3, true],
    [3, '==', 4, false]
  ] as const)('%d %s %d is %s', (value, op, target, expected) =>
    expect(holds(value, op, target)).toBe(expected)
  )
})
