import type { EndpointResult, FullResult } from '../result.js'
import {
  headline,
  ms,
  phaseIcon,
  progression,
  slowest,
  speedupText,
  stepLine,
  stoppedLine,
  thresholdValue
} from './format.js'

const ICON = { passed: '✅', failed: '❌', skipped: '⏭️' } as const

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

/** The job summary as Markdown: a pure function of the result, snapshot-tested. */
export function renderSummary(result: FullResult): string {
  const icon = result.dryRun ? '📝' : result.result === 'passed' ? '✅' : '❌'
  const out: string[] = [`## ${icon} ${headline(result)}`, '']
  out.push(
    `Target \`${result.target}\` · ${ms(result.durationMs)} · concurrency ${result.settings.concurrency} · ${stepLine(result)}`,
    ''
  )
  const stopped = stoppedLine(result)
  if (stopped) out.push(`> [!WARNING]`, `> ${stopped}`, '')
  for (const w of result.warnings) out.push(`> [!NOTE]`, `> ${w}`, '')

  if (result.phases && result.phases.length > 0) {
    out.push('| Phase | Took | Result |', '|---|---:|---|')
    for (const p of result.phases)
      out.push(`| ${phaseIcon(p.status)} ${p.name} | ${ms(p.durationMs)} | ${cell(p.detail)} |`)
    out.push('')
  }

  const t = result.totals
  out.push(
    '| Endpoints | Warmed | Failed | Skipped | Cold p50 | Cold p95 |',
    '|---:|---:|---:|---:|---:|---:|',
    `| ${t.total} | ${t.passed} | ${t.failed} | ${t.skipped} | ${ms(result.latency.coldP50Ms)} | ${ms(result.latency.coldP95Ms)} |`,
    ''
  )

  const failed = result.tiers.flatMap(tier => tier.endpoints).filter(e => e.outcome === 'failed')
  const gates = (result.phases ?? []).filter(p => p.status === 'failed' && p.name !== 'warm')
  if (failed.length > 0 || gates.length > 0) {
    out.push('### Why it failed', '')
    for (const e of failed) {
      out.push(`- **${e.priority}** ${code(`${e.method} ${e.path}`)}: ${e.reason ?? 'failed'}`)
    }
    // Gates after the endpoints: a refused key or a failed route is usually why a gate failed too.
    for (const p of gates) out.push(`- **${p.name}**: ${p.detail}`)
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
    for (const e of verify.entries) {
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
    out.push('')
  }

  for (const tier of result.tiers) {
    const tt = tier.endpoints
    const passed = tt.filter(e => e.outcome === 'passed').length
    out.push(
      `### ${tier.priority} · ${passed}/${tt.length} warmed · ${ms(tier.durationMs)}`,
      '',
      '| | Method | Path | Status | Latency | Attempts | Cache | Why it failed |',
      '|---|---|---|---:|---:|---:|---|---|',
      ...tt.map(row),
      ''
    )
  }

  const slow = slowest(result)
  if (slow.length > 1) {
    out.push('### Slowest', '', '| Method | Path | Latency |', '|---|---|---:|')
    for (const e of slow) out.push(`| ${e.method} | ${cell(code(e.path))} | ${ms(e.latencyMs)} |`)
    out.push('')
  }
  return out.join('\n')
}
