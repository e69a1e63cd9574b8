import { isColoCode } from '../http/edge.js'
import type { FullResult } from '../result.js'

const OUTPUT_NAMES = [
  'result',
  'warmed',
  'failed',
  'skipped',
  'duration-ms',
  'cold-p50-ms',
  'cold-p95-ms',
  'warm-p50-ms',
  'warm-p95-ms',
  'speedup',
  'hit-rate',
  'cache-size',
  'thresholds-met',
  'colos',
  'report'
] as const
export type OutputName = (typeof OUTPUT_NAMES)[number]

const whole = (v: number | undefined): string => (v === undefined ? '' : String(Math.round(v)))

/** Every output, computed in one place from one result. Set on success and failure alike. */
export function computeOutputs(result: FullResult, reportPath: string): Record<OutputName, string> {
  const metrics = result.metrics
  return {
    result: result.result,
    warmed: String(result.totals.passed),
    failed: String(result.totals.failed),
    skipped: String(result.totals.skipped),
    'duration-ms': String(Math.round(result.durationMs)),
    'cold-p50-ms': whole(result.latency.coldP50Ms),
    'cold-p95-ms': whole(result.latency.coldP95Ms),
    'warm-p50-ms': whole(result.verify?.warmP50Ms),
    'warm-p95-ms': whole(result.verify?.warmP95Ms),
    speedup: result.verify?.speedup === undefined ? '' : String(result.verify.speedup),
    'hit-rate':
      metrics?.hitRate === undefined ? '' : String(Math.round(metrics.hitRate * 10_000) / 10_000),
    'cache-size': metrics?.cacheSize === undefined ? '' : String(metrics.cacheSize),
    'thresholds-met': metrics && metrics.thresholds.length > 0 ? String(metrics.met) : '',
    // Codes that pass coloOf's rule only (three capital letters): nothing a server wrote.
    colos: (result.colos ?? [])
      .map(c => c.colo)
      .filter(isColoCode)
      .join(','),
    report: reportPath
  }
}

/** Outputs for a run that never started (bad input): still set, so later steps can read them. */
export function failedBeforeStartOutputs(reportPath: string): Record<OutputName, string> {
  const out = Object.fromEntries(OUTPUT_NAMES.map(n => [n, ''])) as Record<OutputName, string>
  return {
    ...out,
    result: 'failed',
    warmed: '0',
    failed: '0',
    skipped: '0',
    'duration-ms': '0',
    report: reportPath
  }
}
