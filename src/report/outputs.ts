import type { RunResult } from '../result.js'

/** Every output, computed in one place from one result. Set on success and failure alike. */
export function computeOutputs(result: RunResult, reportPath: string): Record<string, string> {
  const n = (v: number | undefined): string => (v === undefined ? '' : String(Math.round(v)))
  return {
    result: result.result,
    warmed: String(result.totals.passed),
    failed: String(result.totals.failed),
    skipped: String(result.totals.skipped),
    'duration-ms': String(Math.round(result.durationMs)),
    'cold-p50-ms': n(result.latency.coldP50Ms),
    'cold-p95-ms': n(result.latency.coldP95Ms),
    report: reportPath
  }
}

/** Outputs for a run that never started (bad input): still set, so later steps can read them. */
export function failedBeforeStartOutputs(reportPath: string): Record<string, string> {
  return {
    result: 'failed',
    warmed: '0',
    failed: '0',
    skipped: '0',
    'duration-ms': '0',
    'cold-p50-ms': '',
    'cold-p95-ms': '',
    report: reportPath
  }
}
