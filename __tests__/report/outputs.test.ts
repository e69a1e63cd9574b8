import { describe, expect, it } from '@jest/globals'
import { computeOutputs, failedBeforeStartOutputs } from '../../src/report/outputs.js'
import type { MetricsResult, VerifyResult } from '../../src/result.js'
import { aMetrics, aResult, aThreshold, aVerify, type ResultOverrides } from '../support/results.js'

const result = (more: ResultOverrides = {}) =>
  aResult({
    target: 'https://api.example.com/',
    durationMs: 1234.6,
    totals: { total: 3, passed: 2, failed: 1, skipped: 0 },
    latency: { coldP50Ms: 180.4, coldP95Ms: 240.6 },
    ...more
  })

const verify = (more: Partial<VerifyResult> = {}): VerifyResult =>
  aVerify({ cached: 2, cachedShare: 1, warmP50Ms: 12.4, warmP95Ms: 30.5, speedup: 14.5, ...more })

const metrics = (more: Partial<MetricsResult> = {}): MetricsResult =>
  aMetrics({
    polls: 3,
    thresholds: [aThreshold({ progression: [1], final: 1 })],
    hitRate: 0.78125,
    cacheSize: 42,
    ...more
  })

describe('computeOutputs', () => {
  it('sets the warm-pass outputs, whole milliseconds', () => {
    expect(computeOutputs(result(), '/tmp/report.json')).toEqual({
      result: 'passed',
      warmed: '2',
      failed: '1',
      skipped: '0',
      'duration-ms': '1235',
      'cold-p50-ms': '180',
      'cold-p95-ms': '241',
      'warm-p50-ms': '',
      'warm-p95-ms': '',
      speedup: '',
      'hit-rate': '',
      'cache-size': '',
      'thresholds-met': '',
      colos: '',
      report: '/tmp/report.json'
    })
  })

  it('sets colos to the codes that answered, most answers first, and nothing without cf-ray', () => {
    const colos = [
      { colo: 'IAD', answers: 7 },
      { colo: 'SJC', answers: 2 }
    ]
    expect(computeOutputs(result({ colos }), '').colos).toBe('IAD,SJC')
    expect(computeOutputs(result(), '').colos).toBe('')
  })

  it('sets warm-p50-ms, warm-p95-ms and speedup from the verify pass', () => {
    expect(computeOutputs(result({ verify: verify() }), '')).toMatchObject({
      'warm-p50-ms': '12',
      'warm-p95-ms': '31',
      speedup: '14.5'
    })
  })

  it('leaves speedup empty when there was no cold latency to compare with', () => {
    const { speedup: _speedup, ...noSpeedup } = verify()
    expect(computeOutputs(result({ verify: noSpeedup }), '').speedup).toBe('')
  })

  it('sets hit-rate as a 0-1 fraction (4 decimals), cache-size and thresholds-met', () => {
    expect(computeOutputs(result({ metrics: metrics() }), '')).toMatchObject({
      'hit-rate': '0.7813',
      'cache-size': '42',
      'thresholds-met': 'true'
    })
    expect(computeOutputs(result({ metrics: metrics({ met: false }) }), '')['thresholds-met']).toBe(
      'false'
    )
  })

  it('leaves thresholds-met empty when metrics were only read, and hit-rate empty when unread', () => {
    const { hitRate: _h, cacheSize: _c, ...unread } = metrics({ thresholds: [] })
    expect(computeOutputs(result({ metrics: unread }), '')).toMatchObject({
      'hit-rate': '',
      'cache-size': '',
      'thresholds-met': ''
    })
  })

  it('writes a 0 % hit rate as 0, not empty', () => {
    expect(
      computeOutputs(result({ metrics: metrics({ hitRate: 0, cacheSize: 0 }) }), '')
    ).toMatchObject({
      'hit-rate': '0',
      'cache-size': '0'
    })
  })
})

describe('failedBeforeStartOutputs', () => {
  it('sets every output, result failed, the rest empty or zero', () => {
    const out = failedBeforeStartOutputs('')
    expect(Object.keys(out)).toEqual(Object.keys(computeOutputs(result(), '')))
    expect(out).toMatchObject({
      result: 'failed',
      warmed: '0',
      'hit-rate': '',
      'thresholds-met': '',
      speedup: ''
    })
  })
})

describe('computeOutputs: colos', () => {
  it('sets only codes that are colos, whatever the result holds', () => {
    const colos = [
      { colo: 'IAD', answers: 3 },
      { colo: 'x,y\nz', answers: 2 },
      { colo: 'SJC', answers: 1 }
    ]
    expect(computeOutputs(result({ colos }), '').colos).toBe('IAD,SJC')
  })
})
