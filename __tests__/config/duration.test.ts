import { describe, expect, it } from '@jest/globals'
import { formatDuration, parseDuration } from '../../src/config/duration.js'

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['5', 5_000],
    ['1.5s', 1_500],
    [' 2M ', 120_000]
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', 'soon', '-5s', '10 seconds', '5d', '1e3'])('rejects %p', text => {
    expect(parseDuration(text)).toBeUndefined()
  })
})

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [1200, '1.2s'],
    [10_000, '10s'],
    [120_000, '2m'],
    [150_000, '2m30s'],
    // Rounded before it is split, so no unit ever reads 60 (or 1000 ms).
    [999.6, '1s'],
    [59_950, '1m'],
    [119_500, '2m'],
    [3_599_700, '1h'],
    [7_170_000, '2h']
  ])('shows %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})

describe('parseDuration with more than one unit', () => {
  it.each([
    ['1m30s', 90_000],
    ['1h30m', 5_400_000],
    ['2m5s500ms', 125_500]
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each([125_000, 5_400_000, 3_600_000, 90_000, 1500, 850])(
    'reads back what formatDuration writes for %d ms',
    ms => {
      expect(parseDuration(formatDuration(ms))).toBe(ms)
    }
  )

  it.each(['1s1m', '1m1m', 'm', '1.5m30s'])('rejects %p', text => {
    expect(parseDuration(text)).toBeUndefined()
  })
})
