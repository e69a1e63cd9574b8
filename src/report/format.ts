import { formatDuration } from '../config/duration.js'
import {
  failedGates,
  type EndpointResult,
  type FullResult,
  type PhaseResult,
  type RunResult
} from '../result.js'
import { formatRate } from '../metrics/rates.js'

export function ms(v: number | undefined): string {
  return v === undefined ? '–' : formatDuration(v)
}

export function headline(result: FullResult): string {
  const t = result.totals
  if (result.dryRun) return `Dry run: ${t.total} endpoint(s) planned, nothing sent`
  const counts =
    t.total === 0
      ? 'no endpoints to warm'
      : `${t.passed}/${t.total} endpoints warmed` +
        (t.failed ? `, ${t.failed} failed` : '') +
        (t.skipped ? `, ${t.skipped} skipped` : '')
  const gates = failedGates(result).map(p => p.name)
  const but = gates.length > 0 ? `; ${gates.join(', ')} failed` : ''
  // Without expect.json a 200 is taken at its word (bar an answer that says it failed).
  const unchecked =
    t.passed > 0 && result.settings.contentsChecked === false
      ? '; contents not checked (no expect json)'
      : ''
  return `Cache warm ${result.result}: ${counts}${but}${unchecked}`
}

/**
 * Each endpoint (method and path) once, at its first place. When a result holds an endpoint
 * twice (a retried entry), the record `rank` puts higher replaces the earlier one: a table
 * never hides a failure behind a pass.
 */
export function oncePerEndpoint<T extends { readonly method: string; readonly path: string }>(
  list: readonly T[],
  rank: (entry: T) => number = () => 0
): T[] {
  const out: T[] = []
  const at = new Map<string, number>()
  for (const entry of list) {
    const key = `${entry.method} ${entry.path}`
    const i = at.get(key)
    if (i === undefined) {
      at.set(key, out.push(entry) - 1)
    } else if (rank(entry) > rank(out[i]!)) out[i] = entry
  }
  return out
}

const OUTCOME_RANK = { passed: 0, skipped: 1, failed: 2 } as const

/** How bad an endpoint's outcome is, for oncePerEndpoint: failed over skipped over passed. */
export function outcomeRank(e: EndpointResult): number {
  return OUTCOME_RANK[e.outcome]
}

/** Endpoints that passed with an answer that looks like placeholder data; each once. */
export function suspicious(result: RunResult): EndpointResult[] {
  return oncePerEndpoint(
    result.tiers.flatMap(t => t.endpoints).filter(e => e.suspicious !== undefined)
  )
}

/** The failed endpoints of every tier, each once, in the order they ran. */
export function failedEndpoints(result: RunResult): EndpointResult[] {
  return oncePerEndpoint(result.tiers.flatMap(t => t.endpoints).filter(e => e.outcome === 'failed'))
}

/** The words of a caution about the metrics, in the summary and the log. */
export function doubtLine(doubt: string): string {
  return `The metrics look warm for the wrong reason: ${doubt}`
}

/**
 * Which warnings to list, as indexes into `warnings`: each text once, and none that the
 * renderer already says elsewhere (`said`: a phase row, a verify row, a caution). Indexes, so
 * a renderer can decide on the raw result and print the same entries of its escaped copy.
 */
export function warningsToList(warnings: readonly string[], said: Iterable<string>): number[] {
  const seen = new Set([...said].map(sameText))
  const keep: number[] = []
  warnings.forEach((w, i) => {
    const key = sameText(w)
    if (seen.has(key)) return
    seen.add(key)
    keep.push(i)
  })
  return keep
}

/** What the summary and the text both say outside their warnings list. */
export function saidOutsideWarnings(result: FullResult): string[] {
  const doubts = result.metrics?.doubts ?? []
  return [
    ...(result.phases ?? []).map(p => p.detail),
    ...doubts,
    ...doubts.map(doubtLine),
    stoppedLine(result) ?? ''
  ].filter(t => t !== '')
}

function sameText(text: string): string {
  return text.trim().replace(/\s+/g, ' ')
}

/** One line naming the suspicious answers, for the log and the summary. */
export function suspiciousLine(result: RunResult): string | undefined {
  const list = suspicious(result)
  if (list.length === 0) return undefined
  const shown = list.slice(0, 5).map(e => `${e.method} ${e.path} (${e.suspicious})`)
  return `${list.length} answer(s) look like placeholder data, not real data: ${shown.join(', ')}${list.length > 5 ? `, and ${list.length - 5} more` : ''}; they count as warmed; set expect json (e.g. data: non-empty) to fail them`
}

export function stepLine(result: RunResult): string {
  if (result.dryRun) return 'The step passes: dry-run sends nothing.'
  if (result.stepFailed) return `The step fails (fail-on: ${result.failOn}).`
  if (result.result === 'failed')
    return `The step stays green only because fail-on is ${result.failOn}; the result output is "failed".`
  return 'The step passes.'
}

export function stoppedLine(result: RunResult): string | undefined {
  if (result.stoppedBy === 'deadline')
    return `Stopped early: the deadline (${formatDuration(result.settings.deadlineMs)}) passed; what was not done is marked skipped.`
  if (result.stoppedBy === 'cancelled')
    return 'Stopped early: the run was cancelled; what was not done is marked skipped.'
  return undefined
}

/** The `n` slowest endpoints, each once (at its slowest). */
export function slowest(result: RunResult, n = 5): EndpointResult[] {
  const timed = result.tiers
    .flatMap(t => t.endpoints)
    .filter(e => e.latencyMs !== undefined)
    .sort((a, b) => (b.latencyMs ?? 0) - (a.latencyMs ?? 0))
  return oncePerEndpoint(timed).slice(0, n)
}

export function phaseIcon(status: PhaseResult['status']): string {
  return { passed: '✅', failed: '❌', warning: '⚠️', skipped: '⏭️' }[status]
}

/** A threshold value for people: rates as percentages, sizes as numbers. */
export function thresholdValue(v: number | undefined | null, rate: boolean): string {
  if (v === undefined || v === null) return '–'
  return rate ? formatRate(v) : String(Math.round(v * 100) / 100)
}

/** Each poll's value, compact: `0 → 40 → 120`, long runs shortened in the middle. */
export function progression(values: readonly (number | null)[], rate: boolean): string {
  const shown = values.map(v => thresholdValue(v, rate))
  const list = shown.length > 8 ? [...shown.slice(0, 3), '…', ...shown.slice(-3)] : shown
  return list.join(' → ')
}

/** The verify pass against the warming pass; not "faster" when it was not. */
export function speedupText(speedup: number): string {
  return speedup >= 1.1
    ? `${speedup}× faster than the warming pass`
    : `no faster than the warming pass (${speedup}×): the cache was already warm then, or is not serving these`
}
