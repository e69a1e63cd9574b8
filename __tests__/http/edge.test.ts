import { describe, expect, it } from '@jest/globals'
import {
  coloOf,
  coloSentence,
  MAX_COLOS_LISTED,
  MAX_RAY_LENGTH,
  tallyColos
} from '../../src/http/edge.js'

describe('coloOf', () => {
  it.each([
    ['8f1c2a3b4d5e6f70-SJC', 'SJC'],
    ['8f1c2a3b4d5e6f70-IAD', 'IAD'],
    [' 8f1c2a3b4d5e6f70-LHR ', 'LHR'],
    ['0-LCL', 'LCL']
  ])('reads %j as %s', (ray, colo) => {
    expect(coloOf(ray)).toBe(colo)
  })

  it.each([
    ['no header', undefined],
    ['empty', ''],
    ['no colo', '8f1c2a3b4d5e6f70'],
    ['lower-case colo', '8f1c2a3b4d5e6f70-sjc'],
    ['four letters', '8f1c2a3b4d5e6f70-SJCX'],
    ['digits', '8f1c2a3b4d5e6f70-S1C'],
    ['several cf-ray values (joined by ", ")', '8f1c2a3b4d5e6f70-SJC, 9a2b3c4d5e6f7081-IAD'],
    ['markdown', '[x](https://evil.example)-SJC'],
    ['HTML', '<img src=x onerror=alert(1)>-SJC'],
    ['a workflow command', '::warning::pwned-SJC'],
    ['two dashes', 'abc-def-SJC'],
    ['a huge ray id', `${'a'.repeat(100_000)}-SJC`],
    ['just over the length', `${'a'.repeat(MAX_RAY_LENGTH - 3)}-SJC`]
  ])('is no colo for %s', (_what, ray) => {
    expect(coloOf(ray)).toBeUndefined()
  })
})

describe('tallyColos', () => {
  it('is absent when no answer named a colo: nothing to say, not "none"', () => {
    expect(tallyColos([])).toBeUndefined()
    expect(tallyColos([undefined, undefined])).toBeUndefined()
  })

  it('counts answers per colo, most first, then by code', () => {
    expect(tallyColos(['SJC', 'IAD', undefined, 'SJC', 'LHR', 'IAD', 'SJC', 'AMS'])).toEqual({
      colos: [
        { colo: 'SJC', answers: 3 },
        { colo: 'IAD', answers: 2 },
        { colo: 'AMS', answers: 1 },
        { colo: 'LHR', answers: 1 }
      ]
    })
  })

  it(`lists at most ${MAX_COLOS_LISTED} colos and counts the rest`, () => {
    const codes = Array.from(
      { length: 70 },
      (_, i) =>
        `A${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + (i % 26))}`
    )
    const tally = tallyColos([...codes, codes[0]!])!
    expect(tally.colos).toHaveLength(MAX_COLOS_LISTED)
    expect(tally.colos[0]).toEqual({ colo: 'AAA', answers: 2 })
    expect(tally.more).toEqual({ colos: 70 - MAX_COLOS_LISTED, answers: 70 - MAX_COLOS_LISTED })
  })
})

describe('coloSentence', () => {
  it('names one colo and says that other colos start cold', () => {
    expect(coloSentence([{ colo: 'IAD', answers: 4 }])).toBe(
      'Warmed in IAD: users served by other colos start cold for the Cache API and KV cacheTtl; L1 memory is per isolate, so only the isolates these requests reached are warm.'
    )
  })

  it('lists several colos with their answers, and the ones past the list', () => {
    const s = coloSentence(
      [
        { colo: 'IAD', answers: 4 },
        { colo: 'SJC', answers: 1 }
      ],
      { colos: 3, answers: 5 }
    )
    expect(s).toMatch(/^Warmed in IAD \(4\), SJC \(1\) and 3 more colo\(s\) \(5\): users served/)
  })

  it('says nothing without a colo', () => {
    expect(coloSentence(undefined)).toBeUndefined()
    expect(coloSentence([])).toBeUndefined()
  })
})
