import { PRIORITIES, type Priority } from '../config/endpoints.js'
import type { FailOn } from '../config/settings.js'
import { stepFails, totalsOf } from '../engine.js'
import { MergeRefused } from '../errors.js'
import {
  failedGates,
  PHASE_NAMES,
  type ColoCount,
  type EndpointAnswer,
  type EndpointResult,
  type FullResult,
  type MergedReport,
  type MetricsResult,
  type PhaseResult,
  type TierResult,
  type VerifyResult
} from '../result.js'
import { VERSION } from '../version.js'
import { percentile } from '../warm/stats.js'
import { listFingerprint } from '../warm/shard.js'
import { gatePhases, stoppedOf } from './evidence.js'
import type { ReadReport } from './read.js'

/** A merged report: a run's result like any other, plus what it was made of. */
export type MergedResult = FullResult & { readonly merged: NonNullable<FullResult['merged']> }

export interface MergeOptions {
  /** The merge job's `fail-on`: the same rules as a run's, over the merged endpoints. */
  readonly failOn: FailOn
  /** The merge job's own label, when it has one. */
  readonly label?: string
  /** The deployment the reports must be for (the merge job's `url`), normalized. */
  readonly target?: string
  /** Shown instead of the file name (a path relative to the workspace). */
  readonly shownFile?: (file: string) => string
}

const OUTCOME_RANK = { passed: 0, skipped: 1, failed: 2 } as const
const PHASE_RANK = { passed: 0, skipped: 1, warning: 2, failed: 3 } as const

/** A deployment as reports name it: origin and path, without a trailing slash. */
export function sameTarget(target: string): string {
  const url = new URL(target)
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/** Each report's label: its own, else its shard (`2/4`), else its file name. */
function labelOf(input: ReadReport, shown: string): string {
  const { label, settings } = input.report
  if (label) return label
  if (settings.shard) return `${settings.shard.index}/${settings.shard.count}`
  return shown.replace(/^.*[\\/]/, '').replace(/\.json$/i, '')
}

/**
 * One verdict from the reports of a matrix (shards, regions), by the rules a single run uses:
 * fail-on over the merged endpoints, any gate that failed in any report, any report stopped by
 * its deadline or a cancel. Each endpoint counts once, with the worst outcome any report gave
 * it; each report's own answer is kept under `answers`. The merge is never greener than a
 * report in it: a report whose own step failed fails the merge too (unless fail-on is never).
 * Throws MergeRefused when the reports are not of one deployment.
 */
export function mergeReports(inputs: readonly ReadReport[], opts: MergeOptions): MergedResult {
  if (inputs.length === 0) throw new MergeRefused('no report file to merge')
  const shown = (file: string): string => opts.shownFile?.(file) ?? file
  checkTargets(inputs, opts.target, shown)
  const labels = inputs.map(i => labelOf(i, shown(i.file)))
  const several = new Set(labels).size > 1
  const { tiers, duplicates } = mergeTiers(inputs, labels, several)
  const all = tiers.flatMap(t => t.endpoints)
  const reports = inputs.map((input, i) => reportEntry(input, labels[i]!, shown(input.file)))
  const dryRun = inputs.every(i => i.report.dryRun)
  const stoppedBy = inputs.some(i => stoppedOf(i.report) === 'cancelled')
    ? 'cancelled'
    : inputs.some(i => stoppedOf(i.report) === 'deadline')
      ? 'deadline'
      : undefined
  const phases = mergePhases(inputs, labels)
  const groups = shardGroups(inputs, labels)
  const missing = missingShards(groups)
  const mismatched = mismatchedShards(groups)
  // A dry run sent nothing: among real runs, its endpoints are not warm, whatever it lists.
  const dryAmongReal = !dryRun && inputs.some(i => i.report.dryRun)
  const gateFailed =
    failedGates({ phases }).length > 0 ||
    missing.length > 0 ||
    mismatched.length > 0 ||
    dryAmongReal
  const selfFailed = inputs.some(i => i.report.stepFailed)
  const totals = totalsOf(all)
  const anyBad =
    totals.failed > 0 ||
    totals.skipped > 0 ||
    stoppedBy !== undefined ||
    gateFailed ||
    inputs.some(i => i.report.result === 'failed')
  const stepFailed =
    !dryRun &&
    opts.failOn !== 'never' &&
    (stepFails(opts.failOn, all, stoppedBy) || gateFailed || selfFailed)
  const first = inputs[0]!.report
  const { shard: _shard, plan: _plan, ...settings } = first.settings
  const latency = coldLatency(inputs)
  const verify = mergeVerify(inputs, labels, several, latency.coldP50Ms)
  const metrics = latestMetrics(inputs)
  const colos = mergeColos(inputs)
  const span = timeSpan(inputs)
  return {
    schemaVersion: 1,
    tool: { name: 'cache-warm-action', version: VERSION },
    target: first.target,
    startedAt: span.startedAt,
    durationMs: span.durationMs,
    dryRun,
    result: dryRun ? 'dry-run' : anyBad ? 'failed' : 'passed',
    stepFailed,
    failOn: opts.failOn,
    ...(stoppedBy ? { stoppedBy } : {}),
    settings: {
      ...settings,
      // "contents not checked" is said when any report did not check them.
      contentsChecked: inputs.every(i => i.report.settings.contentsChecked !== false)
    },
    tiers,
    totals,
    latency,
    warnings: [
      ...missing.map(m => `${m}: its share counts as not warm`),
      ...mismatched.map(m => `${m}: together they are not the list one run would warm`),
      ...mergeWarnings(inputs, labels)
    ],
    ...(opts.label ? { label: opts.label } : {}),
    ...(colos ? { colos } : {}),
    phases,
    ...(verify ? { verify } : {}),
    ...(metrics ? { metrics } : {}),
    merged: {
      reports,
      duplicates,
      ...(missing.length > 0 ? { missing } : {}),
      ...(mismatched.length > 0 ? { mismatched } : {})
    }
  }
}

/** The reports of one matrix of shards: one per label that names a region, and the default. */
interface ShardGroup {
  /** The region's label, or '' for reports labelled by their shard (`2/4`). */
  readonly group: string
  readonly count: number
  readonly members: { readonly index: number; readonly of: number; readonly report: FullResult }[]
}

/**
 * Reports with the default label (`2/4`) are one matrix; reports a report-label names (a region
 * of 4 shards) one matrix per label; and shards of 3 are never of the matrix of 4.
 */
function shardGroups(inputs: readonly ReadReport[], labels: readonly string[]): ShardGroup[] {
  const groups = new Map<string, ShardGroup>()
  inputs.forEach((input, i) => {
    const shard = input.report.settings.shard
    if (!shard) return
    const label = labels[i]!
    const group = label === `${shard.index}/${shard.count}` ? '' : label
    const key = `${group}\n${shard.count}`
    const g = groups.get(key) ?? { group, count: shard.count, members: [] }
    g.members.push({ index: shard.index, of: shard.of, report: input.report })
    groups.set(key, g)
  })
  return [...groups.values()]
}

/**
 * The shards of a matrix with no report: a shard job that failed before writing one, an
 * artifact not downloaded. Without this, 3 of 4 shards would merge green.
 */
function missingShards(groups: readonly ShardGroup[]): string[] {
  const out: string[] = []
  for (const g of groups) {
    const seen = new Set(g.members.map(m => m.index))
    for (let i = 1; i <= g.count && out.length < 50; i++)
      if (!seen.has(i))
        out.push(`${g.group ? `${g.group} ` : ''}shard ${i}/${g.count} has no report`)
  }
  return out
}

/**
 * Matrices whose shards do not add up to one whole list, from the evidence each shard report
 * carries (`settings.shard.of`, the list's size, and `settings.plan`, its fingerprint): shards
 * cut from lists of different sizes or contents (a sitemap that changed between the jobs, two
 * workflows' reports in one folder), or a matrix with every shard present whose endpoints are
 * not the list (a report with endpoints cut out). Their union is not what one run would have
 * warmed, so the merge is not green on it.
 */
function mismatchedShards(groups: readonly ShardGroup[]): string[] {
  const out: string[] = []
  for (const g of groups) {
    const name = `${g.group ? `${g.group} ` : ''}shards of ${g.count}`
    const sizes = [...new Set(g.members.map(m => m.of))].sort((a, b) => a - b)
    const plans = new Set(
      g.members.flatMap(m => (m.report.settings.plan ? [m.report.settings.plan] : []))
    )
    if (sizes.length > 1) {
      out.push(`${name} were cut from lists of different sizes (${sizes.join(' and ')} endpoints)`)
      continue
    }
    if (plans.size > 1) {
      out.push(`${name} were cut from different lists (their list fingerprints differ)`)
      continue
    }
    if (new Set(g.members.map(m => m.index)).size < g.count) continue // missing says it
    const union = new Map<string, EndpointResult>()
    for (const m of g.members)
      for (const t of m.report.tiers)
        for (const e of t.endpoints) {
          const key = `${e.method} ${e.path}`
          if (!union.has(key)) union.set(key, e)
        }
    const of = sizes[0]!
    if (union.size !== of)
      out.push(
        `${name} warmed ${union.size} distinct endpoint(s), but the list they were cut from has ${of}`
      )
    else if (plans.size === 1 && listFingerprint(union.values()) !== [...plans][0])
      out.push(
        `${name} warmed endpoints that are not the list they were cut from (its fingerprint differs)`
      )
  }
  return out
}

/** Refuses reports of different deployments, naming both files and both targets. */
function checkTargets(
  inputs: readonly ReadReport[],
  expected: string | undefined,
  shown: (file: string) => string
): void {
  const first = inputs[0]!
  const want = expected !== undefined ? sameTarget(expected) : sameTarget(first.report.target)
  for (const input of inputs) {
    if (sameTarget(input.report.target) === want) continue
    throw new MergeRefused(
      expected !== undefined
        ? `${shown(input.file)}: is a report for ${input.report.target}, not for url ${expected}; merge reports of one deployment`
        : `${shown(input.file)}: is a report for ${input.report.target}, but ${shown(first.file)} is for ${first.report.target}; merge reports of one deployment`
    )
  }
}

/**
 * The endpoints of every report, each (method and path) once in the tier of the highest
 * priority any report gave it, with the worst outcome; `answers` when several reports had it.
 */
function mergeTiers(
  inputs: readonly ReadReport[],
  labels: readonly string[],
  several: boolean
): { tiers: TierResult[]; duplicates: number } {
  const seen = new Map<
    string,
    { worst: EndpointResult; label: string; answers: EndpointAnswer[] }
  >()
  const tierMs = new Map<Priority, number>()
  inputs.forEach((input, i) => {
    const label = labels[i]!
    for (const tier of input.report.tiers) {
      tierMs.set(tier.priority, Math.max(tierMs.get(tier.priority) ?? 0, tier.durationMs))
      for (const e of tier.endpoints) {
        const key = `${e.method} ${e.path}`
        const answer = answerOf(e, label)
        const had = seen.get(key)
        if (!had) {
          seen.set(key, { worst: e, label, answers: [answer] })
          continue
        }
        had.answers.push(answer)
        const priority = higher(had.worst.priority, e.priority)
        if (OUTCOME_RANK[e.outcome] > OUTCOME_RANK[had.worst.outcome]) {
          had.worst = e
          had.label = label
        }
        had.worst = { ...had.worst, priority }
      }
    }
  })
  let duplicates = 0
  const byTier = new Map<Priority, EndpointResult[]>()
  for (const { worst, label, answers } of seen.values()) {
    if (answers.length > 1) duplicates++
    const { answers: _nested, ...e } = worst
    const reason = e.reason !== undefined && several ? `${label}: ${e.reason}` : e.reason
    const merged: EndpointResult = {
      ...e,
      ...(reason !== undefined ? { reason } : {}),
      ...(answers.length > 1 ? { answers } : {})
    }
    const list = byTier.get(e.priority) ?? []
    list.push(merged)
    byTier.set(e.priority, list)
  }
  const tiers = PRIORITIES.filter(p => byTier.has(p)).map(priority => ({
    priority,
    endpoints: byTier.get(priority)!,
    durationMs: tierMs.get(priority) ?? 0
  }))
  return { tiers, duplicates }
}

function higher(a: Priority, b: Priority): Priority {
  return PRIORITIES.indexOf(a) <= PRIORITIES.indexOf(b) ? a : b
}

function answerOf(e: EndpointResult, label: string): EndpointAnswer {
  return {
    label,
    outcome: e.outcome,
    ...(e.status !== undefined ? { status: e.status } : {}),
    ...(e.latencyMs !== undefined ? { latencyMs: e.latencyMs } : {}),
    ...(e.cache !== undefined ? { cache: e.cache } : {}),
    ...(e.colo !== undefined ? { colo: e.colo } : {}),
    ...(e.reason !== undefined ? { reason: e.reason } : {})
  }
}

function reportEntry(input: ReadReport, label: string, file: string): MergedReport {
  const r = input.report
  return {
    file,
    label,
    target: r.target,
    result: r.result,
    stepFailed: r.stepFailed,
    ...(stoppedOf(r) ? { stoppedBy: stoppedOf(r)! } : {}),
    startedAt: r.startedAt,
    durationMs: r.durationMs,
    totals: r.totals,
    ...(r.settings.shard ? { shard: r.settings.shard } : {}),
    ...(r.colos ? { colos: r.colos } : {}),
    failedPhases: failedGates({ phases: gatePhases(r) }).map(p => p.name)
  }
}

/**
 * Each phase once: the worst status any report gave it, the longest time, and the words of
 * the reports with that status (the first three, by label), then how many reports share it.
 */
function mergePhases(inputs: readonly ReadReport[], labels: readonly string[]): PhaseResult[] {
  const out: PhaseResult[] = []
  for (const name of PHASE_NAMES) {
    const found = inputs.flatMap((input, i) =>
      gatePhases(input.report)
        .filter(p => p.name === name)
        .map(p => ({ phase: p, label: labels[i]! }))
    )
    if (found.length === 0) continue
    const worst = Math.max(...found.map(f => PHASE_RANK[f.phase.status]))
    const status = found.find(f => PHASE_RANK[f.phase.status] === worst)!.phase.status
    const these = found.filter(f => f.phase.status === status)
    const words = these
      .slice(0, 3)
      .map(f => `${f.label}: ${f.phase.detail}`)
      .join('; ')
    const more = these.length > 3 ? `; and ${these.length - 3} more` : ''
    const of =
      found.length === 1 ? '' : ` (${status} in ${these.length} of ${found.length} reports)`
    out.push({
      name,
      status,
      durationMs: Math.max(...found.map(f => f.phase.durationMs)),
      detail: `${words}${more}${of}`
    })
  }
  return out
}

/** The verify entries of every report together; the gate's words prefixed by their label. */
function mergeVerify(
  inputs: readonly ReadReport[],
  labels: readonly string[],
  several: boolean,
  coldP50Ms: number | undefined
): VerifyResult | undefined {
  const withVerify = inputs.flatMap((input, i) =>
    input.report.verify ? [{ verify: input.report.verify, label: labels[i]! }] : []
  )
  if (withVerify.length === 0) return undefined
  const entries = withVerify.flatMap(v => v.verify.entries)
  const cached = entries.filter(e => e.state === 'cached').length
  const latencies = entries.filter(e => e.latencyMs !== undefined).map(e => e.latencyMs!)
  const warmP50Ms = percentile(latencies, 50)
  const warmP95Ms = percentile(latencies, 95)
  const speedup =
    coldP50Ms !== undefined && warmP50Ms !== undefined && warmP50Ms > 0
      ? Math.round((coldP50Ms / warmP50Ms) * 10) / 10
      : undefined
  const { minCached, maxWarmLatencyMs } = withVerify[0]!.verify
  return {
    entries,
    cached,
    cachedShare: entries.length === 0 ? 0 : cached / entries.length,
    ...(minCached !== undefined ? { minCached } : {}),
    ...(maxWarmLatencyMs !== undefined ? { maxWarmLatencyMs } : {}),
    ...(warmP50Ms !== undefined ? { warmP50Ms } : {}),
    ...(warmP95Ms !== undefined ? { warmP95Ms } : {}),
    ...(speedup !== undefined ? { speedup } : {}),
    passed: withVerify.every(v => v.verify.passed),
    problems: withVerify.flatMap(v =>
      v.verify.problems.map(p => (several ? `${v.label}: ${p}` : p))
    )
  }
}

/** The metrics of the report that finished last: the latest reading of the deployment. */
function latestMetrics(inputs: readonly ReadReport[]): MetricsResult | undefined {
  let latest: { at: number; metrics: MetricsResult } | undefined
  for (const { report } of inputs) {
    if (!report.metrics) continue
    const at = Date.parse(report.startedAt) + report.durationMs
    if (!latest || at >= latest.at) latest = { at, metrics: report.metrics }
  }
  return latest?.metrics
}

/** Colos summed by code, most answers first; absent when no report had any. */
function mergeColos(inputs: readonly ReadReport[]): ColoCount[] | undefined {
  const counts = new Map<string, number>()
  for (const { report } of inputs)
    for (const c of report.colos ?? []) counts.set(c.colo, (counts.get(c.colo) ?? 0) + c.answers)
  if (counts.size === 0) return undefined
  return [...counts]
    .map(([colo, answers]) => ({ colo, answers }))
    .sort((a, b) => b.answers - a.answers || (a.colo < b.colo ? -1 : a.colo > b.colo ? 1 : 0))
}

/** Every passed answer of every report (each region's cold answer is a real one). */
function passedLatencies(inputs: readonly ReadReport[]): number[] {
  return inputs.flatMap(i =>
    i.report.tiers.flatMap(t =>
      t.endpoints
        .filter(e => e.outcome === 'passed' && e.latencyMs !== undefined)
        .map(e => e.latencyMs!)
    )
  )
}

function coldLatency(inputs: readonly ReadReport[]): FullResult['latency'] {
  const latencies = passedLatencies(inputs)
  const p50 = percentile(latencies, 50)
  const p95 = percentile(latencies, 95)
  return {
    ...(p50 !== undefined ? { coldP50Ms: p50 } : {}),
    ...(p95 !== undefined ? { coldP95Ms: p95 } : {})
  }
}

/** From the first report's start to the last one's end. */
function timeSpan(inputs: readonly ReadReport[]): { startedAt: string; durationMs: number } {
  const starts = inputs.map(i => Date.parse(i.report.startedAt))
  const ends = inputs.map((i, n) => starts[n]! + i.report.durationMs)
  const start = Math.min(...starts)
  return {
    startedAt: new Date(start).toISOString(),
    durationMs: Math.round(Math.max(...ends) - start)
  }
}

/** Each report's warnings under its label, and what the merge itself has to say. */
function mergeWarnings(inputs: readonly ReadReport[], labels: readonly string[]): string[] {
  const out: string[] = []
  inputs.forEach((input, i) => {
    const { report } = input
    const label = labels[i]!
    if (report.dryRun && !inputs.every(x => x.report.dryRun))
      out.push(`${label} is a dry run: nothing was sent, so its endpoints count as not warm`)
    const stopped = stoppedOf(report)
    if (stopped)
      out.push(
        `${label} stopped early (${stopped === 'deadline' ? 'its deadline passed' : 'it was cancelled'}); what it did not do counts as not warm`
      )
    if (report.stepFailed && !report.dryRun) out.push(`${label}: its own step failed`)
    for (const w of report.warnings) out.push(`${label}: ${w}`)
  })
  return out
}
