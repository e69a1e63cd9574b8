/**
 * Class 11 (an unexpected error still reports: answers nested 100,000 deep) and class 12
 * (sitemap-exclude regexes that backtrack catastrophically on a 30,000-character path). Both can
 * block the event loop, so they run in a child process killed after BUDGET_MS (see
 * support/isolated.ts); a killed scenario is reported as "blocked the event loop".
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import { runIsolated, type IsolatedResult } from '../support/isolated.js'

/** deadline (3 s) + a grace: past this the scenario is killed. */
const BUDGET_MS = 6000
const CASES = [
  'deep-metrics',
  'deep-endpoint',
  'deep-endpoint-expect',
  'deep-array-endpoint',
  'redos-anchored',
  'redos-slash',
  'redos-unanchored',
  'redos-short',
  'redos-query',
  'redos-glob'
]
let results: Map<string, IsolatedResult>

beforeAll(async () => {
  results = new Map((await runIsolated(CASES, BUDGET_MS)).map(r => [r.name, r]))
  if (process.env.ADV_DEBUG) console.log(JSON.stringify([...results.values()], null, 1))
}, 90_000)

function outcome(name: string) {
  const r = results.get(name)!
  return {
    finished: !r.killed && !r.hung,
    note: r.killed
      ? `blocked the event loop for more than ${BUDGET_MS} ms; the child was killed`
      : '',
    ...r
  }
}

describe('class 11: an answer nested 100,000 deep still reports', () => {
  it.each(['deep-metrics', 'deep-endpoint', 'deep-endpoint-expect', 'deep-array-endpoint'])(
    '%s: no stack overflow; a verdict, outputs, summary and report',
    name => {
      expect(outcome(name)).toMatchObject({
        finished: true,
        stackOverflow: false,
        result: expect.stringMatching(/^(passed|failed)$/),
        summaryWritten: true,
        reportWritten: true
      })
    }
  )
  it('deep-metrics: the hit rate next to the deep field is still read (0.9 >= 0.8 passes)', () => {
    expect(outcome('deep-metrics')).toMatchObject({ finished: true, result: 'passed' })
  })
})

describe('class 12: sitemap-exclude regexes on a 30,000-character path end within the deadline', () => {
  it.each([
    'redos-anchored',
    'redos-slash',
    'redos-unanchored',
    'redos-short',
    'redos-query',
    'redos-glob'
  ])('%s finishes within deadline + grace and reports', name => {
    const o = outcome(name)
    expect(o).toMatchObject({ finished: true, summaryWritten: true, reportWritten: true })
    expect(o.ms).toBeLessThan(3000 + 2000)
  })
})
