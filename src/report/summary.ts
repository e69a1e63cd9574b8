import {
  failedGates,
  type EndpointResult,
  type FullResult,
  type MetricsResult,
  type TierResult,
  type VerifyEntry
} from '../result.js'
import { coloSentence } from '../http/edge.js'
import { forMarkdown } from './escape.js'
import {
  doubtLine,
  failedEndpoints,
  headline,
  ms,
  oncePerEndpoint,
  outcomeRank,
  phaseIcon,
  progression,
  saidOutsideWarnings,
  slowest,
  speedupText,
  suspicious,
  stepLine,
  stoppedLine,
  thresholdValue,
  warningsToList
} from './format.js'

const ICON = { passed: '✅', failed: '❌', skipped: '⏭️' } as const
/** Warnings shown in full in the summary; the rest are counted. */
const MAX_NOTES = 20
/** Rows per tier table before warmed endpoints are left to the JSON report. */
export const MAX_TIER_ROWS = 200

/** Escapes text for a Markdown table cell. */
export function cell(text: string | number | undefined): string {
  if (text === undefined || text === '') return ''
  return String(text).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``
}

/**
 * The job summary as Markdown: a pure function of the result, snapshot-tested. Every free text
 * of the result is made safe for Markdown first (forMarkdown): a server's words can never add a
 * heading, a link, an image or an HTML tag. Each section is one function, in reading order.
 */
export function renderSummary(
  raw: FullResult,
  /** Sections after the totals, from the escaped result (a merged report's per-label tables). */
  more: (escaped: FullResult) => string[] = () => []
): string {
  const result = forMarkdown(raw)
  // Decided on the raw result (escaping changes the text a warning is compared by); the
  // escaped copy keeps every array's order, so the same indexes pick the same warnings.
  const warnings = warningsToList(raw.warnings, saidInSummary(raw)).map(i => result.warnings[i]!)
  const sections = [
    header(result),
    callouts(result, warnings),
    phaseTable(result),
    totalsTable(result),
    whereItLanded(result),
    more(result),
    whyItFailed(result),
    suspiciousAnswers(result),
    metricsSection(result),
    verifySection(result),
    ...result.tiers.map(tierSection),
    slowestTable(result)
  ]
  return fitJobSummary(sections.flat().join('\n'))
}

/** What the summary says outside its warnings list: there, a warning is not said again. */
function saidInSummary(result: FullResult): string[] {
  const rows = verifyRows(result.verify?.entries ?? []).slice(0, MAX_TIER_ROWS)
  return [
    ...saidOutsideWarnings(result),
    // A verify note is on its endpoint's row already (the warning is "METHOD path: note").
    ...rows.filter(e => e.note).map(e => `${e.method} ${e.path}: ${e.note}`)
  ]
}

function header(result: FullResult): string[] {
  const icon = result.dryRun ? '📝' : result.result === 'passed' ? '✅' : '❌'
  const { shard, maxRps } = result.settings
  return [
    `## ${icon} ${headline(result)}`,
    '',
    `Target ${code(result.target)} · ${ms(result.durationMs)} · concurrency ${result.settings.concurrency}` +
      (maxRps !== undefined ? ` · at most ${maxRps} req/s` : '') +
      (shard
        ? ` · shard ${shard.index}/${shard.count} (${result.totals.total} of ${shard.of})`
        : '') +
      ` · ${stepLine(result)}`,
    ''
  ]
}

/** Why the run stopped early, then the warnings: the first few, then a count. */
function callouts(result: FullResult, warnings: readonly string[]): string[] {
  const out: string[] = []
  const stopped = stoppedLine(result)
  if (stopped) out.push(`> [!WARNING]`, `> ${stopped}`, '')
  // Warnings can be one per endpoint (verify notes): the first few, then a count.
  for (const w of warnings.slice(0, MAX_NOTES)) out.push(`> [!NOTE]`, `> ${w}`, '')
  if (warnings.length > MAX_NOTES)
    out.push(
      `> [!NOTE]`,
      `> … ${warnings.length - MAX_NOTES} more warnings; the JSON report has all of them.`,
      ''
    )
  return out
}

function phaseTable(result: FullResult): string[] {
  if (!result.phases || result.phases.length === 0) return []
  return [
    '| Phase | Took | Result |',
    '|---|---:|---|',
    ...result.phases.map(
      p => `| ${phaseIcon(p.status)} ${p.name} | ${ms(p.durationMs)} | ${cell(p.detail)} |`
    ),
    ''
  ]
}

function totalsTable(result: FullResult): string[] {
  const t = result.totals
  // A job with nothing to warm (a metrics gate after a sharded matrix) has no endpoint table.
  if (t.total === 0) return []
  return [
    '| Endpoints | Warmed | Failed | Skipped | Cold p50 | Cold p95 |',
    '|---:|---:|---:|---:|---:|---:|',
    `| ${t.total} | ${t.passed} | ${t.failed} | ${t.skipped} | ${ms(result.latency.coldP50Ms)} | ${ms(result.latency.coldP95Ms)} |`,
    ''
  ]
}

/** Which colos answered: only codes that passed coloOf's rule, so nothing a server wrote. */
function whereItLanded(result: FullResult): string[] {
  const where = coloSentence(result.colos, result.colosMore)
  return where ? [`🌍 ${where}`, ''] : []
}

function whyItFailed(result: FullResult): string[] {
  const failed = failedEndpoints(result)
  const gates = failedGates(result)
  if (failed.length === 0 && gates.length === 0) return []
  const out = ['### Why it failed', '']
  for (const e of failed.slice(0, MAX_TIER_ROWS))
    out.push(`- **${e.priority}** ${code(`${e.method} ${e.path}`)}: ${e.reason ?? 'failed'}`)
  if (failed.length > MAX_TIER_ROWS)
    out.push(`- … and ${failed.length - MAX_TIER_ROWS} more failed endpoint(s), in the JSON report`)
  // Gates after the endpoints: a refused key or a failed route is usually why a gate failed too.
  for (const p of gates) out.push(`- **${p.name}**: ${p.detail}`)
  out.push('')
  return out
}

function suspiciousAnswers(result: FullResult): string[] {
  const doubtful = suspicious(result)
  if (doubtful.length === 0) return []
  const out = [
    '### Suspicious answers',
    '',
    'These passed, but their answers look like placeholder data, not real data. Set `expect` `json` (e.g. `data: non-empty`) to fail them.',
    ''
  ]
  for (const e of doubtful.slice(0, MAX_NOTES))
    out.push(`- ⚠️ **${e.priority}** ${code(`${e.method} ${e.path}`)}: ${e.suspicious}`)
  if (doubtful.length > MAX_NOTES)
    out.push(`- … and ${doubtful.length - MAX_NOTES} more, in the JSON report`)
  out.push('')
  return out
}

/** The thresholds table, then the cautions about the metrics (shown with or without it). */
function metricsSection(result: FullResult): string[] {
  const metrics = result.metrics
  const out: string[] = []
  if (metrics && metrics.thresholds.length > 0) {
    out.push(`### Cache metrics · \`${metrics.path}\` · ${metrics.polls} poll(s)`, '')
    if (metrics.error) out.push(`**${metrics.error}**`, '')
    out.push(
      '| | Threshold | Baseline | Polls | Final | Target | Read as |',
      '|---|---|---:|---|---:|---:|---|'
    )
    for (const th of metrics.thresholds)
      out.push(
        `| ${th.met ? '✅' : '❌'} | ${cell(code(th.text))} | ${thresholdValue(th.baseline, th.rate)} | ${cell(progression(th.progression, th.rate))} | ${thresholdValue(th.final, th.rate)} | ${th.op} ${thresholdValue(th.target, th.rate)} | ${cell(th.scale ?? '')}${th.note ? ` · ${cell(th.note)}` : ''} |`
      )
    out.push('', ...pollTable(metrics))
  }
  for (const d of metrics?.doubts ?? []) out.push(`> [!CAUTION]`, `> ${doubtLine(d)}`, '')
  return out
}

/**
 * Each poll, one row: its number, each threshold's value, whether all were met. It shows at a
 * glance whether polls agreed (stable-polls in a row) or flapped between isolates.
 */
function pollTable(metrics: MetricsResult): string[] {
  const log = metrics.pollLog
  if (!log || log.length === 0) return []
  const need = metrics.stablePolls ?? 1
  const out = [
    `Each poll (${need > 1 ? `${need} in a row must meet every threshold` : 'the first that meets every threshold passes'}):`,
    '',
    `| Poll | ${metrics.thresholds.map(t => cell(code(t.path))).join(' | ')} | All met |`,
    `|---:|${metrics.thresholds.map(() => '---:|').join('')}---|`
  ]
  log.forEach((p, i) => {
    const gap = i > 0 ? p.poll - log[i - 1]!.poll - 1 : 0
    if (gap > 0)
      out.push(
        `| … | ${cell(`${gap} poll(s) not kept`)} |${metrics.thresholds
          .slice(1)
          .map(() => ' |')
          .join('')} |`
      )
    const values = p.values.map((v, j) => thresholdValue(v, metrics.thresholds[j]?.rate ?? false))
    out.push(
      `| ${p.poll} | ${values.join(' | ')} | ${p.met ? '✅' : '❌'}${p.answer ? ` ${cell(p.answer)}` : ''} |`
    )
  })
  out.push('')
  return out
}

/** How bad a verify entry is, for oncePerEndpoint: too slow or not cached over the rest. */
function verifyRank(e: VerifyEntry): number {
  if (e.tooSlow) return 3
  return { 'not cached': 3, 'not cacheable': 2, unknown: 1, cached: 0 }[e.state]
}

function verifyRows(entries: readonly VerifyEntry[]): VerifyEntry[] {
  return oncePerEndpoint(entries, verifyRank)
}

function verifyIcon(e: VerifyEntry): string {
  if (e.tooSlow) return '🐢'
  return { cached: '✅', unknown: '❔', 'not cached': '❌', 'not cacheable': '❌' }[e.state]
}

function verifySection(result: FullResult): string[] {
  const verify = result.verify
  if (!verify || verify.entries.length === 0) return []
  const gate =
    verify.minCached !== undefined ? ` · min-cached ${Math.round(verify.minCached * 100)} %` : ''
  const out = [
    `### Verify · ${verify.cached}/${verify.entries.length} from cache${gate} · warm p50 ${ms(verify.warmP50Ms)} · p95 ${ms(verify.warmP95Ms)}${verify.speedup !== undefined ? ` · ${speedupText(verify.speedup)}` : ''}`,
    ''
  ]
  for (const p of verify.problems) out.push(`- ❌ ${p}`)
  if (verify.problems.length) out.push('')
  out.push(
    '| | Method | Path | Status | Warm latency | Cache | Evidence |',
    '|---|---|---|---:|---:|---|---|'
  )
  const rows = verifyRows(verify.entries)
  for (const e of rows.slice(0, MAX_TIER_ROWS))
    out.push(
      `| ${verifyIcon(e)} | ${e.method} | ${cell(code(e.path))} | ${cell(e.status)} | ${ms(e.latencyMs)} | ${e.state} | ${cell(e.evidence)}${e.note ? ` · ${cell(e.note)}` : ''} |`
    )
  if (rows.length > MAX_TIER_ROWS)
    out.push(
      `| | | … ${rows.length - MAX_TIER_ROWS} more endpoint(s); the JSON report has all of them | | | | |`
    )
  out.push('')
  return out
}

/**
 * GitHub keeps at most 1 MiB of summary: a long tier shows what did not pass first, up to
 * MAX_TIER_ROWS rows in all; the JSON report has every endpoint.
 */
function tierRows(endpoints: readonly EndpointResult[]): EndpointResult[] {
  if (endpoints.length <= MAX_TIER_ROWS) return [...endpoints]
  const notPassed = endpoints.filter(e => e.outcome !== 'passed')
  const passed = endpoints.filter(e => e.outcome === 'passed')
  return [
    ...notPassed.slice(0, MAX_TIER_ROWS),
    ...passed.slice(0, Math.max(0, MAX_TIER_ROWS - notPassed.length))
  ]
}

/**
 * One tier's table. The "Why it failed" column only when a row has something to put in it: a
 * green tier has no empty column.
 */
function tierSection(tier: TierResult): string[] {
  const endpoints = oncePerEndpoint(tier.endpoints, outcomeRank)
  const passed = endpoints.filter(e => e.outcome === 'passed').length
  const shown = tierRows(endpoints)
  const why = shown.some(e => e.outcome !== 'passed' || e.reason)
  const names = [
    'Method',
    'Path',
    'Status',
    'Latency',
    'Attempts',
    'Cache',
    ...(why ? ['Why it failed'] : [])
  ]
  const align = ['---', '---', '---:', '---:', '---:', '---', ...(why ? ['---'] : [])]
  const row = (e: EndpointResult): string => {
    const cells = [ICON[e.outcome], e.method, cell(code(e.path)), cell(e.status)]
    const cache = [e.cache, e.colo].filter(Boolean).join(' · ')
    cells.push(ms(e.latencyMs), String(e.attempts), cell(cache), ...(why ? [cell(e.reason)] : []))
    return `| ${cells.join(' | ')} |`
  }
  const more = endpoints.length - shown.length
  const moreRow = `| | | … ${more} more endpoint(s), listed in the JSON report |${' |'.repeat(names.length - 2)}`
  return [
    `### ${tier.priority} · ${passed}/${endpoints.length} warmed · ${ms(tier.durationMs)}`,
    '',
    `| | ${names.join(' | ')} |`,
    `|---|${align.join('|')}|`,
    ...shown.map(row),
    ...(more > 0 ? [moreRow] : []),
    ''
  ]
}

function slowestTable(result: FullResult): string[] {
  const slow = slowest(result)
  if (slow.length <= 1) return []
  return [
    '### Slowest',
    '',
    '| Method | Path | Latency |',
    '|---|---|---:|',
    ...slow.map(e => `| ${e.method} | ${cell(code(e.path))} | ${ms(e.latencyMs)} |`),
    ''
  ]
}

/** GitHub refuses a step summary over 1 MiB (1,048,576 bytes). */
export const SUMMARY_LIMIT_BYTES = 1_048_576

/**
 * The last guard: the row caps above keep a summary far below the limit, but long paths or
 * reasons could still push it over. Cut at a line, with a note, well inside the limit.
 */
export function fitJobSummary(markdown: string, limit = SUMMARY_LIMIT_BYTES): string {
  if (Buffer.byteLength(markdown) <= limit) return markdown
  const note =
    "\n\n… (cut to fit GitHub's 1 MiB job summary limit; the JSON report has every endpoint)\n"
  // Characters are at most 4 bytes in UTF-8; halve until it fits, then keep whole lines.
  let cut = Math.min(markdown.length, limit - Buffer.byteLength(note) - 1024)
  while (Buffer.byteLength(markdown.slice(0, cut)) > limit - Buffer.byteLength(note) - 1024)
    cut = Math.floor(cut * 0.9)
  const line = markdown.lastIndexOf('\n', cut)
  return markdown.slice(0, line > 0 ? line : cut) + note
}
