import { describe, expect, it } from '@jest/globals'
import {
  documentRateScale,
  formatRate,
  looksLikeRate,
  readNumber,
  readRate,
  scaleName
} from '../../src/metrics/rates.js'

describe('readRate: every format a metrics endpoint uses reads onto one 0-1 scale', () => {
  it.each([
    [0.78, 0.78, 'fraction'],
    [0.05, 0.05, 'fraction'],
    [78, 0.78, 'percent'],
    [100, 1, 'percent'],
    [1.5, 0.015, 'percent'],
    ['78%', 0.78, 'percent-string'],
    ['78.5 %', 0.785, 'percent-string'],
    ['100%', 1, 'percent-string'],
    ['0%', 0, 'percent-string'],
    ['0.78', 0.78, 'fraction'],
    ['78', 0.78, 'percent'],
    [0, 0, 'fraction']
  ] as const)('%j reads as %d (%s)', (raw, value, scale) => {
    const r = readRate(raw)
    expect(r.value).toBeCloseTo(value, 10)
    expect(r.scale).toBe(scale)
    expect(r.ambiguous).toBeUndefined()
  })

  it('does not guess a bare 1: it could be 100 % or 1 %, and it says why', () => {
    const r = readRate(1)
    expect(r.value).toBeUndefined()
    expect(r.ambiguous).toBe(true)
    expect(r.note).toMatch(/bare 1 could be 100 %.*or 1 %/)
    expect(r.note).toContain('"78%"')
  })

  it('settles a bare 1 (or 0) by the scale the rest of the answer uses', () => {
    expect(readRate(1, 'fraction')).toMatchObject({ value: 1, scale: 'fraction' })
    expect(readRate(1, 'percent')).toMatchObject({ value: 0.01, scale: 'percent' })
    expect(readRate(0, 'percent')).toMatchObject({ value: 0, scale: 'percent' })
    expect(readRate('1', 'fraction')).toMatchObject({ value: 1, scale: 'fraction' })
  })

  it.each([
    [-0.1, /outside 0-1 and 0-100/],
    [150, /outside 0-1 and 0-100/],
    ['fast', /"fast" is not a rate \(expected 0.78, 78 or "78%"\)/],
    [null, /null is not a number/],
    [undefined, /nothing is not a number/],
    [true, /true is not a number/],
    [Number.NaN, /is not a number/],
    ['150%', /outside 0 % and 100 %/],
    ['-5%', /outside 0 % and 100 %/]
  ])('%j is not a rate: no value, a note saying why', (raw, note) => {
    const r = readRate(raw)
    expect(r.value).toBeUndefined()
    expect(r.note).toMatch(note)
  })
})

describe('documentRateScale', () => {
  it('reads fractions from a rate strictly between 0 and 1', () => {
    expect(documentRateScale({ a: { hitRate: 0.4 }, b: { missRate: 1 } })).toBe('fraction')
  })

  it('reads percentages from a rate above 1', () => {
    expect(documentRateScale({ stats: { hitRate: 1, missPct: 40 } })).toBe('percent')
  })

  it('looks into arrays and ignores numbers not named like rates', () => {
    expect(documentRateScale({ shards: [{ hitRatio: 55 }], size: 0.5 })).toBe('percent')
    expect(documentRateScale({ size: 0.5, count: 40 })).toBeUndefined()
  })

  it('says nothing when the answer mixes both scales or has only 0 and 1', () => {
    expect(documentRateScale({ hitRate: 0.5, missRate: 50 })).toBeUndefined()
    expect(documentRateScale({ hitRate: 1, missRate: 0 })).toBeUndefined()
  })
})

describe('looksLikeRate', () => {
  it.each(['cacheStats.overallHitRate', 'hit_ratio', 'l1.percent', 'missPct'])('%s is a rate', p =>
    expect(looksLikeRate(p)).toBe(true)
  )
  it.each(['cacheStats.l2Size', 'rates.count', 'hits'])('%s is not', p =>
    expect(looksLikeRate(p)).toBe(false)
  )
})

describe('readNumber', () => {
  it('reads numbers and numeric strings', () => {
    expect(readNumber(120)).toMatchObject({ value: 120, scale: 'number' })
    expect(readNumber(' 42 ')).toMatchObject({ value: 42, scale: 'number' })
  })

  it('reads a "NN%" string as a rate', () => {
    expect(readNumber('60%')).toMatchObject({ value: 0.6, scale: 'percent-string' })
  })

  it('explains what is not a number', () => {
    expect(readNumber('lots').note).toBe('"lots" is not a number')
    expect(readNumber(undefined).note).toBe('nothing is not a number')
    expect(readNumber({ n: 1 }).value).toBeUndefined()
  })
})

describe('scaleName: the summary says which scale a value was read on', () => {
  it.each([
    ['fraction', '0-1 fraction'],
    ['percent', '0-100 number'],
    ['percent-string', '"NN%" string'],
    ['number', 'number'],
    [undefined, 'unread']
  ] as const)('%s → %s', (scale, name) => expect(scaleName(scale)).toBe(name))
})

describe('formatRate', () => {
  it.each([
    [0.7, '70 %'],
    [0.57, '57 %'],
    [0.29, '29 %'],
    [0.785, '78.5 %'],
    [1, '100 %'],
    [0, '0 %'],
    [undefined, '–']
  ])('%j → %s', (v, text) => expect(formatRate(v)).toBe(text))
})
