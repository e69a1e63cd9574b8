import { coloSentence } from '../http/edge.js'
import type { FullResult } from '../result.js'
import {
  headline,
  ms,
  oncePerEndpoint,
  outcomeRank,
  progression,
  saidOutsideWarnings,
  slowest,
  speedupText,
  suspiciousLine,
  stepLine,
  stoppedLine,
  thresholdValue,
  warningsToList
} from './format.js'

const MARK = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const

/** The result as plain text for a terminal (the CLI and the demo). */
export function renderText(result: FullResult): string {
  const out: string[] = [
    headline(result),
    `Target ${result.target}, ${ms(result.durationMs)}. ${stepLine(result)}`
  ]
  const stopped = stoppedLine(result)
  if (stopped) out.push(stopped)
  // A warning the phase lines or a caution below already say is not said twice.
  for (const i of warningsToList(result.warnings, saidOutsideWarnings(result)))
    out.push(`Note: ${result.warnings[i]}`)
  const doubtful = suspiciousLine(result)
  if (doubtful) out.push(`Suspicious: ${doubtful}`)
  const where = coloSentence(result.colos, result.colosMore)
  if (where) out.push(where)
  if (result.phases?.length) {
    out.push('', 'Phases:')
    for (const p of result.phases)
      out.push(
        `  ${p.status.padEnd(7)} ${p.name.padEnd(8)} ${ms(p.durationMs).padStart(7)}  ${p.detail}`
      )
  }
  for (const th of result.metrics?.thresholds ?? []) {
    out.push(
      `  ${th.met ? 'met    ' : 'NOT MET'} ${th.text}: ${progression(th.progression, th.rate)} (baseline ${thresholdValue(th.baseline, th.rate)}, read as ${th.scale ?? '?'})${th.note ? ` - ${th.note}` : ''}`
    )
  }
  for (const d of result.metrics?.doubts ?? []) out.push(`  Caution: ${d}`)
  const v = result.verify
  if (v && v.entries.length > 0) {
    out.push(
      `  verify: ${v.cached}/${v.entries.length} from cache, warm p50 ${ms(v.warmP50Ms)}, p95 ${ms(v.warmP95Ms)}${v.speedup !== undefined ? `, ${speedupText(v.speedup)}` : ''}`
    )
    for (const p of v.problems) out.push(`  FAIL ${p}`)
  }
  out.push('')
  out.push(`Cold latency p50 ${ms(result.latency.coldP50Ms)}, p95 ${ms(result.latency.coldP95Ms)}`)
  for (const tier of result.tiers) {
    const endpoints = oncePerEndpoint(tier.endpoints, outcomeRank)
    out.push('', `${tier.priority} (${endpoints.length}, ${ms(tier.durationMs)})`)
    for (const e of endpoints) {
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
