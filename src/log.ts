import { formatDuration } from './config/duration.js'
import type { Priority } from './config/endpoints.js'
import type { EndpointResult, FullResult, PhaseResult } from './result.js'
import { percentile } from './warm/stats.js'

/**
 * Where a run's log goes. Each phase (each warm tier) is a group; its one-line result is
 * printed after the group, outside it, so a collapsed log still reads as the run's story.
 * The action maps this onto core.startGroup / endGroup / info; the CLI onto plain lines.
 */
export interface Log {
  /** A line in the open group, or at the top level when none is open. */
  line(text: string): void
  /** Opens a group. */
  group(title: string): void
  /** Closes the open group. */
  endGroup(): void
  /** A line outside every group: a phase's or a tier's result. */
  result(text: string): void
}

/** A log as the engine takes it: a Log, or a function that is given every line. */
export type LogSink = Log | ((line: string) => void)

/** Plain lines: a group's title is a line, its end is nothing. The CLI, and a function sink. */
export function plainLog(write: (line: string) => void): Log {
  return { line: write, group: write, endGroup: () => {}, result: write }
}

export function toLog(sink: LogSink | undefined): Log {
  if (sink === undefined) return plainLog(() => {})
  return typeof sink === 'function' ? plainLog(sink) : sink
}

/**
 * A log whose groups never nest (GitHub does not nest them: a group opened inside another
 * closes the first) and are always closed: opening one closes the one still open, a result
 * closes it first, endGroup without an open group does nothing, and close() ends the run's.
 */
export function guardedLog(log: Log): Log & { close(): void } {
  let open = false
  const end = (): void => {
    if (!open) return
    open = false
    log.endGroup()
  }
  return {
    line: text => log.line(text),
    group: title => {
      end()
      log.group(title)
      open = true
    },
    endGroup: end,
    result: text => {
      end()
      log.result(text)
    },
    close: end
  }
}

/** Up to this many planned endpoints, every endpoint has its line in the log. */
export const LIST_EVERY_ENDPOINT_UP_TO = 200

/** Whether a run of `planned` endpoints lists only its failures (unless asked to list all). */
export function thinned(planned: number, listEveryEndpoint: boolean): boolean {
  return planned > LIST_EVERY_ENDPOINT_UP_TO && !listEveryEndpoint
}

/** Said once, before the first tier, in a thinned run. */
export function thinnedNotice(planned: number): string {
  return `(${planned} endpoints: only failures are listed; the report has every one; set ACTIONS_STEP_DEBUG to list all)`
}

/** How many of a thinned tier's slowest endpoints are listed. */
export const SLOWEST_LISTED = 5

const MARK = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const

/** `  ok   GET /a 200 12ms`, `  FAIL GET /b 503 8ms - why`. */
export function endpointLine(e: EndpointResult): string {
  return `  ${MARK[e.outcome]} ${e.method} ${e.path}${e.status ? ` ${e.status}` : ''}${e.latencyMs !== undefined ? ` ${e.latencyMs}ms` : ''}${e.reason ? ` - ${e.reason}` : ''}`
}

/**
 * The `count` slowest, slowest first, equal times in list order: what a stable sort by latency
 * would put first, in one pass instead of sorting 20,000 results.
 */
function slowestOf(endpoints: readonly EndpointResult[], count: number): EndpointResult[] {
  const top: EndpointResult[] = []
  for (const e of endpoints) {
    const ms = e.latencyMs ?? 0
    if (top.length === count && ms <= (top[count - 1]!.latencyMs ?? 0)) continue
    let at = top.length
    while (at > 0 && (top[at - 1]!.latencyMs ?? 0) < ms) at--
    top.splice(at, 0, e)
    if (top.length > count) top.pop()
  }
  return top
}

/**
 * A tier's endpoint lines inside its group. Thinned: each failure, the skipped counted by
 * reason (a deadline can skip thousands, all for the same reason), then the slowest few.
 */
export function endpointLines(endpoints: readonly EndpointResult[], thin: boolean): string[] {
  if (!thin) return endpoints.map(endpointLine)
  const lines: string[] = []
  const skipped = new Map<string, EndpointResult[]>()
  const passed: EndpointResult[] = []
  for (const e of endpoints) {
    if (e.outcome === 'failed') lines.push(endpointLine(e))
    else if (e.outcome === 'skipped') {
      const why = e.reason ?? 'skipped'
      const same = skipped.get(why)
      if (same) same.push(e)
      else skipped.set(why, [e])
    } else if (e.latencyMs !== undefined) passed.push(e)
  }
  for (const [why, list] of skipped)
    lines.push(
      list.length === 1 ? endpointLine(list[0]!) : `  skip ${list.length} endpoints - ${why}`
    )
  const slowest = slowestOf(passed, SLOWEST_LISTED)
  if (slowest.length > 0) {
    lines.push(`  slowest ${slowest.length} of ${passed.length} warmed:`)
    for (const e of slowest) lines.push(endpointLine(e))
  }
  return lines
}

/**
 * A tier's result: `critical: 6/6 warmed in 2.1s, p50 804ms`. A tier that was not sent at all
 * (a refused key, the deadline) says why instead of a time.
 */
export function tierLine(
  priority: Priority,
  endpoints: readonly EndpointResult[],
  durationMs: number,
  sent: boolean
): string {
  let passed = 0
  let failed = 0
  let skipped = 0
  const latencies: number[] = []
  for (const e of endpoints) {
    if (e.outcome === 'passed') {
      passed++
      if (e.latencyMs !== undefined) latencies.push(e.latencyMs)
    } else if (e.outcome === 'failed') failed++
    else skipped++
  }
  const p50 = percentile(latencies, 50)
  const why = sent ? undefined : sameReason(endpoints)
  return (
    `${priority}: ${passed}/${endpoints.length} warmed` +
    (sent ? ` in ${formatDuration(durationMs)}` : '') +
    (failed ? `, ${failed} failed` : '') +
    (skipped ? `, ${skipped} skipped` : '') +
    (p50 !== undefined ? `, p50 ${formatDuration(p50)}` : '') +
    (why ? ` (${why})` : '')
  )
}

/** The one reason every endpoint gives, if they all give the same. */
function sameReason(endpoints: readonly EndpointResult[]): string | undefined {
  const reason = endpoints[0]?.reason
  return endpoints.every(e => e.reason === reason) ? reason : undefined
}

/** A phase's result: `verify passed in 300ms: 10/10 from cache, warm p50 12ms`. */
export function phaseLine(phase: PhaseResult): string {
  const took = phase.status === 'skipped' ? '' : ` in ${formatDuration(phase.durationMs)}`
  return `${phase.name} ${phase.status}${took}: ${phase.detail}`
}

/**
 * The last line of a run that does not fail the step:
 * `Cache warm passed: 10/10 warmed, verify 10/10 cached, metrics 3/3 thresholds met`.
 */
export function verdictLine(result: FullResult): string {
  const t = result.totals
  if (result.dryRun) return `Cache warm dry run: ${t.total} endpoint(s) planned, nothing sent`
  const parts = [
    t.total === 0
      ? 'no endpoints to warm'
      : `${t.passed}/${t.total} warmed` +
        (t.failed ? `, ${t.failed} failed` : '') +
        (t.skipped ? `, ${t.skipped} skipped` : '')
  ]
  const v = result.verify
  if (v && v.entries.length > 0) parts.push(`verify ${v.cached}/${v.entries.length} cached`)
  const m = result.metrics
  if (m) {
    const met = m.thresholds.filter(th => th.met).length
    // Every threshold met once is not a pass when the polls did not agree (stable-polls).
    const failed = result.phases.some(p => p.name === 'metrics' && p.status === 'failed')
    parts.push(
      m.thresholds.length > 0
        ? failed && met === m.thresholds.length
          ? `metrics failed: ${met}/${m.thresholds.length} thresholds met, but not proven (see the metrics phase)`
          : `metrics ${met}/${m.thresholds.length} thresholds met`
        : m.error
          ? 'metrics not read'
          : 'metrics read once'
    )
  }
  const green =
    result.result === 'failed' && !result.stepFailed
      ? `; the step stays green (fail-on: ${result.failOn})`
      : ''
  return `Cache warm ${result.result}: ${parts.join(', ')}${green}`
}
