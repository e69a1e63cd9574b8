import { describe, expect, it } from '@jest/globals'
import { failedGates, type PhaseResult } from '../src/result.js'

const phase = (name: PhaseResult['name'], status: PhaseResult['status']): PhaseResult => ({
  name,
  status,
  durationMs: 1,
  detail: `${name} ${status}`
})

describe('failedGates', () => {
  it('lists every failed phase but warm, in run order', () => {
    const phases = [
      phase('wait', 'passed'),
      phase('sitemap', 'failed'),
      phase('trigger', 'warning'),
      phase('warm', 'failed'),
      phase('verify', 'skipped'),
      phase('metrics', 'failed')
    ]
    expect(failedGates({ phases }).map(p => p.name)).toEqual(['sitemap', 'metrics'])
  })

  it('is empty for a run without phases', () => {
    expect(failedGates({})).toEqual([])
  })
})
