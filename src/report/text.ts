import type { RunResult } from '../result.js'
import { headline, ms, slowest, stepLine, stoppedLine } from './format.js'

const MARK = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const

/** The result as plain text for a terminal (the CLI and the demo). */
export function renderText(result: RunResult): string {
  const out: string[] = [
    headline(result),
    `Target ${result.target}, ${ms(result.durationMs)}. ${stepLine(result)}`
  ]
  const stopped = stoppedLine(result)
  if (stopped) out.push(stopped)
  for (const w of result.warnings) out.push(`Note: ${w}`)
  out.push(`Cold latency p50 ${ms(result.latency.coldP50Ms)}, p95 ${ms(result.latency.coldP95Ms)}`)
  for (const tier of result.tiers) {
    out.push('', `${tier.priority} (${tier.endpoints.length}, ${ms(tier.durationMs)})`)
    for (const e of tier.endpoints) {
      const status = e.status === undefined ? '---' : String(e.status)
      out.push(
        `  ${MARK[e.outcome]} ${e.method.padEnd(6)} ${e.path.padEnd(36)} ${status} ${ms(e.latencyMs).padStart(7)}  x${e.attempts}${e.cache ? `  ${e.cache}` : ''}`
      )
      if (e.reason) out.push(`       ${e.reason}`)
    }
  }
  const slow = slowest(result, 3)
  if (slow.length > 1)
    out.push('', `Slowest: ${slow.map(e => `${e.method} ${e.path} ${ms(e.latencyMs)}`).join(', ')}`)
  return out.join('\n')
}
