import { totalsOf } from '../engine.js'
import type { FullResult, PhaseName, PhaseResult } from '../result.js'

/**
 * A report's totals must be the count of its endpoints: a job writes them from its endpoints,
 * so totals that disagree were edited (or made up), and the per-report rows of the merge would
 * show a count its endpoints do not hold. Such a report is refused, naming the field, never
 * quoting a value (the report may hold anything).
 */
export function disagreement(report: FullResult): string | undefined {
  const counted = totalsOf(report.tiers.flatMap(t => t.endpoints))
  const said = report.totals
  if (
    counted.total === said.total &&
    counted.passed === said.passed &&
    counted.failed === said.failed &&
    counted.skipped === said.skipped
  )
    return undefined
  return `.totals: say ${said.passed}/${said.total} passed, ${said.failed} failed, ${said.skipped} skipped, but its endpoints are ${counted.passed}/${counted.total} passed, ${counted.failed} failed, ${counted.skipped} skipped`
}

/**
 * A report's phases as its run gated on them: a run fails its verify gate whenever the verify
 * pass did not pass (src/pipeline.ts), though the phase line may say only `warning` (no
 * min-cached, an answer of another version, verify stopped early), and its metrics gate when
 * the thresholds were not met or the key was refused. The merge reads the gate from that
 * evidence, not from the phase's word alone: a report of a `fail-on: never` job, or one whose
 * phase line was edited to `passed` (or removed), still fails the merge it is in.
 */
export function gatePhases(report: FullResult): PhaseResult[] {
  const out = [...report.phases]
  const { verify, metrics } = report
  if (verify && !verify.passed)
    failed(out, 'verify', `did not pass: ${verify.problems.join('; ') || 'see its report'}`)
  if (
    metrics &&
    (metrics.keyRefused === true ||
      (metrics.error === undefined && !metrics.met) ||
      (metrics.error !== undefined && metrics.thresholds.length > 0))
  )
    failed(out, 'metrics', metrics.error ?? 'its thresholds were not met')
  return out
}

/** Marks the phase `name` failed (adding it when the report has none), keeping its words. */
function failed(phases: PhaseResult[], name: PhaseName, detail: string): void {
  const at = phases.findIndex(p => p.name === name)
  if (at < 0) phases.push({ name, status: 'failed', durationMs: 0, detail })
  else if (phases[at]!.status !== 'failed') phases[at] = { ...phases[at]!, status: 'failed' }
}

/**
 * How a report's run stopped: its own `stoppedBy`, else what its endpoints say (not sent: the
 * deadline passed, the run was cancelled). A run stopped early fails whatever it lists, so a
 * report whose `stoppedBy` was removed is still counted as stopped.
 */
export function stoppedOf(report: FullResult): 'deadline' | 'cancelled' | undefined {
  if (report.stoppedBy) return report.stoppedBy
  let deadline = false
  for (const t of report.tiers)
    for (const e of t.endpoints) {
      if (e.cause === 'cancelled') return 'cancelled'
      if (e.cause === 'deadline') deadline = true
    }
  return deadline ? 'deadline' : undefined
}
