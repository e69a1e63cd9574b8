import { formatDuration } from '../config/duration.js'
import type {
  ColoCount,
  EndpointResult,
  FullResult,
  MergedReport,
  Outcome,
  Totals
} from '../result.js'
import { cell, MAX_TIER_ROWS, renderSummary } from '../report/summary.js'

const ICON = { passed: '✅', failed: '❌', skipped: '⏭️', 'dry-run': '📝' } as const

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``
}

function ms(v: number | undefined): string {
  return v === undefined ? '–' : formatDuration(v)
}

/** The job summary of a merged report: a run's summary, with the merge's tables after the totals. */
export function renderMergeSummary(result: FullResult): string {
  return renderSummary(result, mergeSections)
}

/** One label's reports together: a region of several shards is one row. */
export interface LabelRow {
  readonly label: string
  readonly reports: readonly MergedReport[]
  readonly totals: Totals
  readonly result: 'passed' | 'failed' | 'dry-run'
  readonly durationMs: number
  readonly failedPhases: readonly string[]
  readonly stopped: readonly string[]
  readonly colos?: readonly ColoCount[]
}

/** The reports grouped by label, in the order labels first appear. */
export function labelRows(reports: readonly MergedReport[]): LabelRow[] {
  const groups = new Map<string, MergedReport[]>()
  for (const r of reports) groups.set(r.label, [...(groups.get(r.label) ?? []), r])
  return [...groups].map(([label, list]) => {
    const sum = (k: keyof Totals): number => list.reduce((n, r) => n + r.totals[k], 0)
    const colos = new Map<string, number>()
    for (const r of list)
      for (const c of r.colos ?? []) colos.set(c.colo, (colos.get(c.colo) ?? 0) + c.answers)
    const failed = list.some(r => r.result === 'failed' || r.stepFailed)
    return {
      label,
      reports: list,
      totals: {
        total: sum('total'),
        passed: sum('passed'),
        failed: sum('failed'),
        skipped: sum('skipped')
      },
      result: failed ? 'failed' : list.every(r => r.result === 'dry-run') ? 'dry-run' : 'passed',
      durationMs: Math.max(...list.map(r => r.durationMs)),
      failedPhases: [...new Set(list.flatMap(r => r.failedPhases))],
      stopped: [...new Set(list.flatMap(r => (r.stoppedBy ? [r.stoppedBy] : [])))],
      ...(colos.size > 0
        ? {
            colos: [...colos]
              .map(([colo, answers]) => ({ colo, answers }))
              .sort((a, b) => b.answers - a.answers || a.colo.localeCompare(b.colo))
          }
        : {})
    }
  })
}

/** `SJC 12 · LAX 3` and how many more. */
export function coloText(colos: readonly ColoCount[] | undefined, most = 3): string {
  if (!colos || colos.length === 0) return ''
  const shown = colos.slice(0, most).map(c => `${c.colo} ${c.answers}`)
  return shown.join(' · ') + (colos.length > most ? ` · +${colos.length - most} more` : '')
}

function mergeSections(result: FullResult): string[] {
  const merged = result.merged
  if (!merged) return []
  return [
    ...(merged.missing?.length
      ? [`**❌ Missing: ${merged.missing.join('; ')}.** Their share counts as not warm.`, '']
      : []),
    ...(merged.mismatched?.length
      ? [
          `**❌ Not one list: ${merged.mismatched.join('; ')}.** Together the shards are not the list one run would warm.`,
          ''
        ]
      : []),
    ...labelTable(merged.reports, merged.duplicates),
    ...coloTable(result.colos),
    ...answersTable(result)
  ]
}

function labelTable(reports: readonly MergedReport[], duplicates: number): string[] {
  const rows = labelRows(reports)
  const out = [
    `### Merged · ${reports.length} report(s) · ${rows.length} label(s)` +
      (duplicates > 0 ? ` · ${duplicates} endpoint(s) warmed by more than one, counted once` : ''),
    '',
    '| | Shard or region | Reports | Endpoints | Warmed | Failed | Skipped | Took | Colos | Failed gates |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|---|'
  ]
  for (const r of rows) {
    const gates = [...r.failedPhases, ...r.stopped.map(s => `stopped: ${s}`)].join(', ')
    out.push(
      `| ${ICON[r.result]} | ${cell(r.label)} | ${r.reports.length} | ${r.totals.total} | ${r.totals.passed} | ${r.totals.failed} | ${r.totals.skipped} | ${ms(r.durationMs)} | ${cell(coloText(r.colos))} | ${cell(gates)} |`
    )
  }
  out.push('', `Reports: ${reports.map(r => `${cell(r.file)} (${cell(r.label)})`).join(', ')}`, '')
  return out
}

function coloTable(colos: readonly ColoCount[] | undefined): string[] {
  if (!colos || colos.length === 0) return []
  const shown = colos.slice(0, 50)
  return [
    '### Colos · where the answers came from',
    '',
    '| Colo | Answers |',
    '|---|---:|',
    ...shown.map(c => `| ${c.colo} | ${c.answers} |`),
    ...(colos.length > shown.length ? [`| … ${colos.length - shown.length} more | |`] : []),
    ''
  ]
}

const RANK: Record<Outcome, number> = { passed: 0, skipped: 1, failed: 2 }

/** Endpoints more than one report warmed: each report's answer, the ones not all passed first. */
function answersTable(result: FullResult): string[] {
  const shared = result.tiers.flatMap(t => t.endpoints).filter(e => (e.answers?.length ?? 0) > 1)
  if (shared.length === 0) return []
  const worst = (e: EndpointResult): number =>
    Math.max(...(e.answers ?? []).map(a => RANK[a.outcome]))
  const ordered = [...shared].sort((a, b) => worst(b) - worst(a))
  const out = [
    '### Answers per shard or region · endpoints warmed by more than one',
    '',
    '| | Method | Path | Shard or region | Status | Latency | Cache | Colo | Why it failed |',
    '|---|---|---|---|---:|---:|---|---|---|'
  ]
  let rows = 0
  let left = 0
  for (const e of ordered)
    for (const a of e.answers ?? []) {
      if (rows >= MAX_TIER_ROWS) {
        left++
        continue
      }
      rows++
      out.push(
        `| ${ICON[a.outcome]} | ${e.method} | ${cell(code(e.path))} | ${cell(a.label)} | ${cell(a.status)} | ${ms(a.latencyMs)} | ${cell(a.cache)} | ${cell(a.colo)} | ${cell(a.reason)} |`
      )
    }
  if (left > 0) out.push(`| | | … ${left} more answer(s), in the JSON report | | | | | | |`)
  out.push('')
  return out
}
