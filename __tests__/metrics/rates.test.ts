import { describe, expect, it } from '@jest/globals'
import {
  describeValue,
  documentRateScale,
  formatRate,
  looksLikeRate,
  mixedScales,
  rateFields,
  readNumber,
  readRate,
  ScaleEvidence,
  scaleName,
  scaleShown
} from '../../src/metrics/rates.js'

/** `[[[...]]]` and `{"a":{"a":...}}` a hundred thousand deep: JSON.parse takes them. */
const DEEP = 100_000
const deepArray = (): unknown => JSON.parse('['.repeat(DEEP) + ']'.repeat(DEEP))
const deepObject = (leaf = '1'): unknown =>
  JSON.parse('{"a":'.repeat(DEEP) + leaf + '}'.repeat(DEEP))

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
    expect(r.assumed).toBeUndefined()
  })

  it('reads a bare 1 that nothing settles as a 0-1 fraction (100 %), and says it assumed so', () => {
    const r = readRate(1)
    expect(r).toMatchObject({ value: 1, scale: 'fraction', assumed: true })
    expect(r.note).toMatch(
      /^read as 0-1 fraction \(assumed: no other value in the answers set the scale; on a 0-100 scale this 1 would be 1 %/
    )
    expect(readRate('1')).toMatchObject({ value: 1, assumed: true })
  })

  it('assumes nothing about a bare 0: it is 0 on both scales', () => {
    const r = readRate(0)
    expect(r).toMatchObject({ value: 0, scale: 'fraction' })
    expect(r.assumed).toBeUndefined()
    expect(r.note).toBeUndefined()
  })

  it('says what settled a bare 1 when the evidence is given with its reason', () => {
    expect(readRate(1, { scale: 'percent', by: 'earlier polls of x read 40' })).toEqual({
      raw: 1,
      value: 0.01,
      scale: 'percent',
      note: 'a bare 1 read on the 0-100 scale (1 %): earlier polls of x read 40'
    })
    expect(readRate(1, { scale: 'fraction', by: 'the baseline read x as 0.2' })).toEqual({
      raw: 1,
      value: 1,
      scale: 'fraction',
      note: 'a bare 1 read as a 0-1 fraction (100 %): the baseline read x as 0.2'
    })
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

describe('documentRateScale and rateFields on a hostile answer', () => {
  it('never overflow the stack on an answer nested 100,000 deep', () => {
    for (const doc of [deepArray(), deepObject(), { hitRate: 0.5, deep: deepObject('0.7') }]) {
      expect(() => documentRateScale(doc)).not.toThrow()
      expect(() => rateFields(doc)).not.toThrow()
    }
    expect(documentRateScale(deepArray())).toBeUndefined()
    expect(documentRateScale({ hitRate: 0.5, deep: deepObject('{"missRate":40}') })).toBe(
      'fraction'
    )
  })

  it('read rates down to 64 levels, and leave out what is deeper', () => {
    const nest = (levels: number, leaf: unknown): unknown => {
      let doc = leaf
      for (let i = 0; i < levels; i++) doc = { a: doc }
      return doc
    }
    expect(documentRateScale(nest(63, { hitRate: 40 }))).toBe('percent')
    expect(documentRateScale(nest(64, { hitRate: 40 }))).toBeUndefined()
  })

  it('name the first rate field of each scale, with its path, in document order', () => {
    expect(
      rateFields({ l1Stats: { hitRate: 0.78 }, shards: [{ missPct: 12 }], overallHitRate: 85 })
    ).toEqual({
      fraction: { path: 'l1Stats.hitRate', value: 0.78 },
      percent: { path: 'shards.0.missPct', value: 12 }
    })
  })
})

describe('mixedScales', () => {
  it('says so when one answer has a rate on each scale, naming both', () => {
    expect(mixedScales({ l1Stats: { hitRate: 0.78 }, cacheStats: { overallHitRate: 85 } })).toMatch(
      /^rate fields in the answer use mixed scales \(l1Stats\.hitRate 0\.78 as a fraction, cacheStats\.overallHitRate 85 on 0-100\)/
    )
  })

  it('is quiet on one scale, or with only bare 0 and 1', () => {
    expect(mixedScales({ a: { hitRate: 0.78 }, b: { missRate: 0.22 } })).toBeUndefined()
    expect(mixedScales({ hitRate: 1, missRate: 0, size: 40 })).toBeUndefined()
  })
})

describe('ScaleEvidence: a bare 1 is settled by the run, in order', () => {
  const PATH = 'cacheStats.overallHitRate'
  const doc = (rate: unknown, more: Record<string, unknown> = {}) => ({
    cacheStats: { overallHitRate: rate, ...more }
  })

  it("by the field's own earlier polls: 0.4 then 1 is 100 %", () => {
    const e = new ScaleEvidence()
    e.record(doc(0.4), [PATH])
    const hint = e.hint(PATH, doc(1))
    expect(hint).toEqual({ scale: 'fraction', by: `earlier polls of ${PATH} read 0.4` })
    expect(readRate(1, hint)).toMatchObject({ value: 1, scale: 'fraction' })
  })

  it('hostile: 40 then 1 is 1 %, not 100 %', () => {
    const e = new ScaleEvidence()
    e.record(doc(40), [PATH])
    expect(readRate(1, e.hint(PATH, doc(1)))).toMatchObject({ value: 0.01, scale: 'percent' })
  })

  it('own earlier polls outrank the other rates of the answer', () => {
    const e = new ScaleEvidence()
    e.record(doc(40), [PATH])
    expect(e.hint(PATH, doc(1, { l1HitRate: 0.5 }))?.scale).toBe('percent')
  })

  it('by the baseline when no earlier poll showed a scale', () => {
    expect(new ScaleEvidence(doc(20)).hint(PATH, doc(1))).toEqual({
      scale: 'percent',
      by: `the baseline read ${PATH} as 20`
    })
    expect(new ScaleEvidence(doc('0.2')).hint(PATH, doc(1))?.scale).toBe('fraction')
  })

  it('by the other rate fields of the same answer, then of earlier answers', () => {
    expect(new ScaleEvidence().hint(PATH, doc(1, { missRate: 40 }))).toEqual({
      scale: 'percent',
      by: 'other rate fields in the answer are on that scale (cacheStats.missRate 40)'
    })
    const e = new ScaleEvidence(doc(0, { missRate: 0.3 }))
    expect(e.hint(PATH, doc(1))).toEqual({
      scale: 'fraction',
      by: 'rate fields in earlier answers are on that scale (cacheStats.missRate 0.3)'
    })
  })

  it('a field that showed both scales settles nothing by itself: the next evidence decides', () => {
    const e = new ScaleEvidence()
    e.record(doc(0.4), [PATH])
    e.record(doc(40), [PATH])
    expect(e.hint(PATH, doc(1, { missRate: 0.2 }))?.by).toMatch(/^other rate fields/)
  })

  it('has nothing to say when nothing shows a scale', () => {
    const e = new ScaleEvidence(doc(0))
    e.record(doc(1), [PATH])
    expect(e.hint(PATH, doc(1))).toBeUndefined()
  })

  it('keeps no document: it records a deep hostile answer without throwing', () => {
    const e = new ScaleEvidence(deepObject())
    expect(() => e.record(deepArray(), [PATH, 'a.a.a'])).not.toThrow()
    expect(e.hint(PATH, deepObject())).toBeUndefined()
  })
})

describe('scaleShown and describeValue', () => {
  it.each([
    [0.4, 'fraction'],
    ['0.4', 'fraction'],
    [40, 'percent'],
    [100, 'percent'],
    [1, undefined],
    [0, undefined],
    [150, undefined],
    ['40%', undefined],
    [null, undefined]
  ])('%j shows %s', (raw, scale) => expect(scaleShown(raw)).toBe(scale))

  it('describes a value without ever stringifying a whole (deep) document', () => {
    expect(describeValue(deepArray())).toBe('a list')
    expect(describeValue(deepObject())).toBe('an object')
    // Never cut: a cut could leave part of a secret that redaction no longer recognises.
    expect(describeValue('x'.repeat(100))).toBe('a 100-character string')
    expect(describeValue('x'.repeat(40))).toBe(`"${'x'.repeat(40)}"`)
    expect(describeValue(undefined)).toBe('nothing')
    expect(describeValue(null)).toBe('null')
  })

  it('keeps notes about deep values short and safe', () => {
    expect(readRate(deepArray()).note).toBe('a list is not a number')
    expect(readNumber(deepObject()).note).toBe('an object is not a number')
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
