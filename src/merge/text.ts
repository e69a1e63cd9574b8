import { formatDuration } from '../config/duration.js'
import type { FullResult } from '../result.js'
import { renderText } from '../report/text.js'
import { coloText, labelRows } from './summary.js'

/** A merged report as plain text for a terminal: the per-label lines, then the run's text. */
export function renderMergeText(result: FullResult): string {
  const lines = mergeLines(result)
  return lines.length > 0 ? `${lines.join('\n')}\n\n${renderText(result)}` : renderText(result)
}

/** What was merged: a line, then one per label (the step log and the terminal). */
export function mergeLines(result: FullResult): string[] {
  const merged = result.merged
  if (!merged) return []
  const out = [
    `Merged ${merged.reports.length} report(s)` +
      (merged.duplicates > 0
        ? `; ${merged.duplicates} endpoint(s) warmed by more than one, counted once with the worst outcome`
        : '')
  ]
  for (const m of merged.missing ?? []) out.push(`  MISSING ${m}`)
  for (const m of merged.mismatched ?? []) out.push(`  NOT ONE LIST ${m}`)
  for (const r of labelRows(merged.reports)) {
    const t = r.totals
    const extra = [
      ...r.failedPhases.map(p => `${p} failed`),
      ...r.stopped.map(s => `stopped: ${s}`),
      ...(r.colos ? [coloText(r.colos)] : [])
    ]
    out.push(
      `  ${r.result === 'failed' ? 'FAIL' : r.result === 'dry-run' ? 'dry ' : 'ok  '} ${r.label}: ${t.passed}/${t.total} warmed` +
        (t.failed ? `, ${t.failed} failed` : '') +
        (t.skipped ? `, ${t.skipped} skipped` : '') +
        `, ${formatDuration(r.durationMs)} (${r.reports.map(x => x.file).join(', ')})` +
        (extra.length ? `; ${extra.join('; ')}` : '')
    )
  }
  return out
}
