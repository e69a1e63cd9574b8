import type { EndpointResult, RunResult } from '../result.js'
import { headline, ms, slowest, stepLine, stoppedLine } from './format.js'

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
export function renderSummary(result: RunResult): string {
  const icon = result.dryRun ? '📝' : result.result === 'passed' ? '✅' : '❌'
  const out: string[] = [`## ${icon} ${headline(result)}`, '']
  out.push(
    `Target \`${result.target}\` · ${ms(result.durationMs)} · concurrency ${result.settings.concurrency} · ${stepLine(result)}`,
    ''
  )
  const stopped = stoppedLine(result)
  if (stopped) out.push(`> [!WARNING]`, `> ${stopped}`, '')
  for (const w of result.warnings) out.push(`> [!NOTE]`, `> ${w}`, '')

  const t = result.totals
  out.push(
    '| Endpoints | Warmed | Failed | Skipped | Cold p50 | Cold p95 |',
    '|---:|---:|---:|---:|---:|---:|',
    `| ${t.total} | ${t.passed} | ${t.failed} | ${t.skipped} | ${ms(result.latency.coldP50Ms)} | ${ms(result.latency.coldP95Ms)} |`,
    ''
  )

  const failed = result.tiers.flatMap(tier => tier.endpoints).filter(e => e.outcome === 'failed')
  if (failed.length > 0) {
    out.push('### Why it failed', '')
    for (const e of failed)
      out.push(`- **${e.priority}** ${code(`${e.method} ${e.path}`)}: ${e.reason ?? 'failed'}`)
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
