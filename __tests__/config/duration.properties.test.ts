import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { formatDuration, parseDuration } from '../../src/config/duration.js'

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const
type Unit = keyof typeof UNITS

describe('parseDuration, for any input', () => {
  it('reads any valid duration string as its value in milliseconds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }),
        fc.constantFrom<Unit | ''>('ms', 's', 'm', 'h', ''),
        fc.constantFrom('', ' '),
        fc.boolean(),
        (whole, fraction, unit, gap, upper) => {
          const number = fraction === undefined ? `${whole}` : `${whole}.${fraction}`
          const text = `${number}${unit ? gap : ''}${upper ? unit.toUpperCase() : unit}`
          expect(parseDuration(`  ${text} `)).toBe(
            Math.round(Number(number) * (unit ? UNITS[unit] : 1000))
          )
        }
      )
    )
  })

  it('round-trips what formatDuration writes in one unit (850ms, 12s, 2m, 3h)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 999 }),
          fc.integer({ min: 1, max: 59 }).map(s => s * 1000),
          fc.integer({ min: 1, max: 59 }).map(m => m * 60_000),
          fc.integer({ min: 1, max: 48 }).map(h => h * 3_600_000)
        ),
        ms => expect(parseDuration(formatDuration(ms))).toBe(ms)
      )
    )
  })

  it('never throws, and gives a finite whole number of ms or undefined', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' })), text => {
        const ms = parseDuration(text)
        if (ms !== undefined) {
          expect(Number.isInteger(ms)).toBe(true)
          expect(ms).toBeGreaterThanOrEqual(0)
        }
      })
    )
  })

  it('refuses negative and signed durations', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.constantFrom('ms', 's', 'm', 'h', ''),
        fc.constantFrom('-', '+'),
        (n, unit, sign) => expect(parseDuration(`${sign}${n}${unit}`)).toBeUndefined()
      )
    )
  })
})
