/** The job summary's per-poll table: whether the polls agreed, or flapped between isolates. */
import { describe, expect, it } from '@jest/globals'
import { renderSummary } from '../../src/report/summary.js'
import { aMetrics, aResult, aThreshold } from '../support/results.js'

const rate = aThreshold({
  text: 'l1Stats.hitRate >= 70%',
  path: 'l1Stats.hitRate',
  target: 0.7,
  rate: true
})
const size = aThreshold({ text: 'cacheStats.l2Size >= 10', path: 'cacheStats.l2Size', target: 10 })

describe('the per-poll table', () => {
  it('shows each poll with every threshold value and whether all were met', () => {
    const md = renderSummary(
      aResult({
        metrics: aMetrics({
          polls: 4,
          met: false,
          stablePolls: 2,
          thresholds: [rate, size],
          error:
            'every threshold held on 2 of 4 poll(s) but never 2 polls in a row (stable-polls): met on poll 3, fell back on poll 4 (l1Stats.hitRate 41 % < 70 %): isolates disagreeing, not a warm cache',
          pollLog: [
            { poll: 1, values: [0.2, 3], met: false },
            { poll: 2, values: [null, null], met: false, answer: '503 Service | Unavailable' },
            { poll: 3, values: [0.82, 12], met: true },
            { poll: 4, values: [0.41, 12], met: false }
          ]
        })
      })
    )
    expect(md).toContain('**every threshold held on 2 of 4 poll(s) but never 2 polls in a row')
    expect(md).toContain('isolates disagreeing, not a warm cache**')
    const table = md.slice(md.indexOf('Each poll'))
    expect(table.split('\n').slice(0, 8)).toEqual([
      'Each poll (2 in a row must meet every threshold):',
      '',
      '| Poll | `l1Stats.hitRate` | `cacheStats.l2Size` | All met |',
      '|---:|---:|---:|---|',
      '| 1 | 20 % | 3 | ❌ |',
      '| 2 | – | – | ❌ 503 Service \\| Unavailable |',
      '| 3 | 82 % | 12 | ✅ |',
      '| 4 | 41 % | 12 | ❌ |'
    ])
  })

  it('marks the polls a long run did not keep', () => {
    const md = renderSummary(
      aResult({
        metrics: aMetrics({
          polls: 50,
          stablePolls: 1,
          thresholds: [size],
          pollLog: [
            { poll: 1, values: [1], met: false },
            { poll: 49, values: [2], met: false },
            { poll: 50, values: [12], met: true }
          ]
        })
      })
    )
    expect(md).toContain('Each poll (the first that meets every threshold passes):')
    expect(md).toContain('| 1 | 1 | ❌ |\n| … | 47 poll(s) not kept | |\n| 49 | 2 | ❌ |')
  })

  it('escapes a server answer: no markup from it', () => {
    const md = renderSummary(
      aResult({
        metrics: aMetrics({
          polls: 1,
          met: false,
          thresholds: [size],
          pollLog: [{ poll: 1, values: [null], met: false, answer: '502 <img src=x> [a](b)' }]
        })
      })
    )
    expect(md).toContain('| 1 | – | ❌ 502 &lt;img src=x> &#91;a&#93;(b) |')
  })

  it('is left out when the result has no poll log (no thresholds, or an older report)', () => {
    const md = renderSummary(aResult({ metrics: aMetrics({ thresholds: [size] }) }))
    expect(md).not.toContain('Each poll')
  })
})
