import { failedGates, type EndpointResult, type FullResult } from '../result.js'
import { forMarkdown } from './escape.js'
import {
  headline,
  ms,
  phaseIcon,
  progression,
  slowest,
  speedupText,
  suspicious,
  stepLine,
  stoppedLine,
  thresholdValue
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

function row(e: EndpointResult): string {
  return `| ${ICON[e.outcome]} | ${e.method} | ${cell(code(e.path))} | ${cell(e.status)} | ${ms(e.latencyMs)} | ${e.attempts} | ${cell(e.cache)} | ${cell(e.reason)} |`
}

/**
 * The job summary as Markdown: a pure function of the result, snapshot-tested. Every free text
 * of the result is made safe for Markdown first (forMarkdown): a server's words can never add a
 * heading, a link, an image or an HTML tag.
 */
export function renderSummary(raw: FullResult): string {
  const result = forMarkdown(raw)
  const icon = result.dryRun ? '📝' : result.result === 'passed' ? '✅' : '❌'
  const out: string[] = [`## ${icon} ${headline(result)}`, '']
  const { shard, maxRps } = result.settings
  out.push(
    `Target \`${result.target}\` · ${ms(result.durationMs)} · concurrency ${result.settings.concurrency}` +
      (maxRps !== undefined ? ` · at most ${maxRps} req/s` : '') +
      (shard
        ? ` · shard ${shard.index}/${shard.count} (${result.totals.total} of ${shard.of})`
        : '') +
      ` · ${stepLine(result)}`,
    ''
  )
  const stopped = stoppedLine(result)
  if (stopped) out.push(`> [!WARNING]`, `> ${stopped}`, '')
  // Warnings can be one per endpoint (verify notes): the first few, then a count.
  for (const w of result.warnings.slice(0, MAX_NOTES)) out.push(`> [!NOTE]`, `> ${w}`, '')
  if (result.warnings.length > MAX_NOTES)
    out.push(
      `> [!NOTE]`,
      `> … ${result.warnings.length - MAX_NOTES} more warnings; the JSON report has all of them.`,
      ''
    )

  if (result.phases && result.phases.length > 0) {
    out.push('| Phase | Took | Result |', '|---|---:|---|')
    for (const p of result.phases)
      out.push(`| ${phaseIcon(p.status)} ${p.name} | ${ms(p.durationMs)} | ${cell(p.detail)} |`)
    out.push('')
  }

  const t = result.totals
  // A job with nothing to warm (a metrics gate after a sharded matrix) has no endpoint table.
  if (t.total > 0)
    out.push(
      '| Endpoints | Warmed | Failed | Skipped | Cold p50 | Cold p95 |',
      '|---:|---:|---:|---:|---:|---:|',
      `| ${t.total} | ${t.passed} | ${t.failed} | ${t.skipped} | ${ms(result.latency.coldP50Ms)} | ${ms(result.latency.coldP95Ms)} |`,
      ''
    )

  const failed = result.tiers.flatMap(tier => tier.endpoints).filter(e => e.outcome === 'failed')
  const gates = failedGates(result)
  if (failed.length > 0 || gates.length > 0) {
    out.push('### Why it failed', '')
    for (const e of failed.slice(0, MAX_TIER_ROWS)) {
      out.push(`- **${e.priority}** ${code(`${e.method} ${e.path}`)}: ${e.reason ?? 'failed'}`)
    }
    if (failed.length > MAX_TIER_ROWS)
      out.push(
        `- … and ${failed.length - MAX_TIER_ROWS} more failed endpoint(s), in the JSON report`
      )
    // Gates after the endpoints: a refused key or a failed route is usually why a gate failed too.
    for (const p of gates) out.push(`- **${p.name}**: ${p.detail}`)
    out.push('')
  }

  const doubtful = suspicious(result)
  if (doubtful.length > 0) {
    out.push(
      '### Suspicious answers',
      '',
      'These passed, but their answers look like placeholder data, not real data. Set `expect` `json` (e.g. `data: non-empty`) to fail them.',
      ''
    )
    for (const e of doubtful.slice(0, MAX_NOTES))
      out.push(`- ⚠️ **${e.priority}** ${code(`${e.method} ${e.path}`)}: ${e.suspicious}`)
    if (doubtful.length > MAX_NOTES)
      out.push(`- … and ${doubtful.length - MAX_NOTES} more, in the JSON report`)
    out.push('')
  }

  const metrics = result.metrics
  if (metrics && metrics.thresholds.length > 0) {
    out.push(`### Cache metrics · \`${metrics.path}\` · ${metrics.polls} poll(s)`, '')
    if (metrics.error) out.push(`**${metrics.error}**`, '')
    out.push(
      '| | Threshold | Baseline | Polls | Final | Target | Read as |',
      '|---|---|---:|---|---:|---:|---|'
    )
    for (const th of metrics.thresholds) {
      out.push(
        `| ${th.met ? '✅' : '❌'} | ${cell(code(th.text))} | ${thresholdValue(th.baseline, th.rate)} | ${cell(progression(th.progression, th.rate))} | ${thresholdValue(th.final, th.rate)} | ${th.op} ${thresholdValue(th.target, th.rate)} | ${cell(th.scale ?? '')}${th.note ? ` · ${cell(th.note)}` : ''} |`
      )
    }
    out.push('')
  }
  for (const d of metrics?.doubts ?? [])
    out.push(`> [!CAUTION]`, `> The metrics look warm for the wrong reason: ${d}`, '')

  const verify = result.verify
  if (verify && verify.entries.length > 0) {
    const gate =
      verify.minCached !== undefined ? ` · min-cached ${Math.round(verify.minCached * 100)} %` : ''
    out.push(
      `### Verify · ${verify.cached}/${verify.entries.length} from cache${gate} · warm p50 ${ms(verify.warmP50Ms)} · p95 ${ms(verify.warmP95Ms)}${verify.speedup !== undefined ? ` · ${speedupText(verify.speedup)}` : ''}`,
      ''
    )
    for (const p of verify.problems) out.push(`- ❌ ${p}`)
    if (verify.problems.length) out.push('')
    out.push(
      '| | Method | Path | Status | Warm latency | Cache | Evidence |',
      '|---|---|---|---:|---:|---|---|'
    )
    for (const e of verify.entries.slice(0, MAX_TIER_ROWS)) {
      const icon = e.tooSlow
        ? '🐢'
        : e.state === 'cached'
          ? '✅'
          : e.state === 'unknown'
            ? '❔'
            : '❌'
      out.push(
        `| ${icon} | ${e.method} | ${cell(code(e.path))} | ${cell(e.status)} | ${ms(e.latencyMs)} | ${e.state} | ${cell(e.evidence)}${e.note ? ` · ${cell(e.note)}` : ''} |`
      )
    }
    if (verify.entries.length > MAX_TIER_ROWS)
      out.push(
        `| | | … ${verify.entries.length - MAX_TIER_ROWS} more endpoint(s); the JSON report has all of them | | | | |`
      )
    out.push('')
  }

  for (const tier of result.tiers) {
    const tt = tier.endpoints
    const passed = tt.filter(e => e.outcome === 'passed').length
    // GitHub keeps at most 1 MiB of summary: a long tier shows what did not pass first, up to
    // MAX_TIER_ROWS rows in all; the JSON report has every endpoint.
    const notPassed = tt.length <= MAX_TIER_ROWS ? [] : tt.filter(e => e.outcome !== 'passed')
    const shown =
      tt.length <= MAX_TIER_ROWS
        ? tt
        : [
            ...notPassed.slice(0, MAX_TIER_ROWS),
            ...tt
              .filter(e => e.outcome === 'passed')
              .slice(0, Math.max(0, MAX_TIER_ROWS - notPassed.length))
          ]
    out.push(
      `### ${tier.priority} · ${passed}/${tt.length} warmed · ${ms(tier.durationMs)}`,
      '',
      '| | Method | Path | Status | Latency | Attempts | Cache | Why it failed |',
      '|---|---|---|---:|---:|---:|---|---|',
      ...shown.map(row),
      ...(shown.length < tt.length
        ? [
            `| | | … ${tt.length - shown.length} more endpoint(s), listed in the JSON report | | | | | |`
          ]
        : []),
      ''
    )
  }

  const slow = slowest(result)
  if (slow.length > 1) {
    out.push('### Slowest', '', '| Method | Path | Latency |', '|---|---|---:|')
    for (const e of slow) out.push(`| ${e.method} | ${cell(code(e.path))} | ${ms(e.latencyMs)} |`)
    out.push('')
  }
  return fitJobSummary(out.join('\n'))
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
