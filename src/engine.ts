import type { FailOn, Settings } from './config/settings.js'
import { StoppedError } from './errors.js'
import { realClock, type Clock } from './http/retry.js'
import type { EndpointResult, RunResult, TierResult, Totals } from './result.js'
import { endpointLines, thinned, thinnedNotice, tierLine } from './log.js'
import {
  openRun,
  phaseContext,
  type EngineDeps,
  type RunContext,
  type WarmProgress
} from './run-context.js'
import { VERSION } from './version.js'
import { warmEndpoint } from './warm/endpoint.js'
import { planTiers, type PlannedEndpoint } from './warm/plan.js'
import { runPool } from './warm/pool.js'
import { listFingerprint } from './warm/shard.js'
import { percentile } from './warm/stats.js'

export {
  MAX_BODY_BYTES,
  limitedSend,
  defaultAgents,
  type EngineDeps,
  type WarmProgress
} from './run-context.js'

/** The settings shown in the result (summary, report). */
export function resultSettings(
  settings: Settings,
  listed = settings.warm.endpoints.length
): RunResult['settings'] {
  return {
    concurrency: settings.warm.concurrency,
    timeoutMs: settings.request.timeoutMs,
    retries: settings.request.retries,
    deadlineMs: settings.run.deadlineMs,
    apiKeyHeader: settings.deployment.apiKeyHeader,
    apiKeySent: settings.deployment.apiKey !== undefined,
    contentsChecked:
      Object.keys(settings.warm.defaultExpect?.json ?? {}).length > 0 ||
      settings.warm.endpoints.some(e => Object.keys(e.expect?.json ?? {}).length > 0),
    ...(settings.request.maxRps !== undefined ? { maxRps: settings.request.maxRps } : {}),
    ...(settings.warm.shard
      ? {
          shard: { ...settings.warm.shard, of: listed },
          plan: listFingerprint(settings.warm.endpoints)
        }
      : {})
  }
}

/**
 * Whether `signal` stopped the run because it was cancelled. runAll hands its deadline in on the
 * same signal (aborted with StoppedError('deadline')): that is a deadline, not a cancellation.
 */
function cancelled(signal: AbortSignal | undefined): boolean {
  if (!signal?.aborted) return false
  const reason: unknown = signal.reason
  return !(reason instanceof StoppedError && reason.why === 'deadline')
}

export function totalsOf(endpoints: readonly EndpointResult[]): Totals {
  let passed = 0
  let failed = 0
  let skipped = 0
  for (const e of endpoints) {
    if (e.outcome === 'passed') passed++
    else if (e.outcome === 'failed') failed++
    else if (e.outcome === 'skipped') skipped++
  }
  return { total: endpoints.length, passed, failed, skipped }
}

/**
 * Whether the step fails, following `fail-on`. With `critical`: a failed critical endpoint
 * fails it; so does a refused key (401/403), since nothing behind the key is warm then; and when
 * no endpoint is marked critical, every endpoint counts as critical.
 */
export function stepFails(
  failOn: FailOn,
  endpoints: readonly EndpointResult[],
  stoppedBy?: string
): boolean {
  if (failOn === 'never') return false
  if (stoppedBy) return true
  const bad = endpoints.filter(e => e.outcome !== 'passed')
  if (failOn === 'any' || !endpoints.some(e => e.priority === 'critical')) return bad.length > 0
  return bad.some(
    e => e.priority === 'critical' || e.cause === 'http-401' || e.cause === 'http-403'
  )
}

/**
 * The whole warming run: tiers in order (all critical before high ...), each through a pool of
 * `concurrency` workers, every request bounded by `timeout`, the run by `deadline`.
 * Pure apart from the HTTP it sends: no @actions/* here. Opens its own run context; inside a
 * full run (runAll) the warm goes through `warmTiers` on the run's one context instead.
 */
export async function runWarm(settings: Settings, deps: EngineDeps = {}): Promise<RunResult> {
  const run = openRun(settings, deps)
  try {
    return await warmTiers(settings, run, deps.signal)
  } finally {
    run.close()
  }
}

/**
 * Warms every tier of `settings` on an open run context: its clock, deadline, signal and
 * rate-limited `send`. `cancel` is the caller's own cancellation signal, to tell a cancel from
 * the deadline (both abort `run.signal`).
 */
export async function warmTiers(
  settings: Settings,
  run: RunContext,
  cancel?: AbortSignal
): Promise<RunResult> {
  const { clock, log, signal } = run
  const started = clock.now()
  const tiers = planTiers(settings.warm)
  const ctx = phaseContext(settings, run)
  const planned = tiers.reduce((n, t) => n + t.endpoints.length, 0)
  const thin = thinned(planned, run.listEveryEndpoint)
  if (thin) log.line(thinnedNotice(planned))
  const work = progressing(ep => warmEndpoint(ep, ctx), planned, run.onProgress)

  const results: TierResult[] = []
  let keyRefused: string | undefined
  for (const tier of tiers) {
    const tierStart = clock.now()
    const skip =
      (why: string, cause: string) =>
      (ep: (typeof tier.endpoints)[number]): EndpointResult => ({
        source: ep.source,
        method: ep.method,
        path: ep.path,
        priority: tier.priority,
        ...(ep.name ? { name: ep.name } : {}),
        outcome: 'skipped',
        attempts: 0,
        reason: why,
        cause
      })
    const notSent = (): ReturnType<typeof skip> =>
      cancelled(cancel)
        ? skip('not sent: the run was cancelled', 'cancelled')
        : skip('not sent: the deadline passed', 'deadline')
    let endpoints: EndpointResult[]
    // A tier not sent at all has no group: its result line says why.
    const sent = !keyRefused && !signal.aborted
    if (keyRefused) {
      // Every answer so far refused the key: more requests would only be refused too.
      endpoints = tier.endpoints.map(skip(`not sent: ${keyRefused}`, 'key-refused'))
    } else if (!sent) {
      endpoints = tier.endpoints.map(notSent())
    } else {
      log.group(`Warming ${tier.priority}: ${tier.endpoints.length} endpoint(s)`)
      try {
        const done = await runPool(tier.endpoints, settings.warm.concurrency, work, signal)
        const skipped = notSent()
        endpoints = done.map((r, i) => r ?? skipped(tier.endpoints[i]!))
        for (const line of endpointLines(endpoints, thin)) log.line(line)
      } finally {
        log.endGroup()
      }
      const answered = endpoints.filter(e => e.status !== undefined)
      if (answered.length > 0 && answered.every(e => e.status === 401 || e.status === 403)) {
        keyRefused = `every ${tier.priority} endpoint answered ${[...new Set(answered.map(e => e.status))].join('/')}, so the key${settings.deployment.apiKey ? ` sent as ${settings.deployment.apiKeyHeader} was refused` : ' is missing'}`
      }
    }
    const durationMs = clock.now() - tierStart
    log.result(tierLine(tier.priority, endpoints, durationMs, sent))
    results.push({ priority: tier.priority, endpoints, durationMs })
  }

  const stoppedBy = cancelled(cancel) ? 'cancelled' : run.deadlineReached() ? 'deadline' : undefined
  return warmResult(settings, results, { started, durationMs: clock.now() - started, stoppedBy })
}

/**
 * `warm`, counting each endpoint done on one progress object and telling `onProgress` (first
 * with nothing done, when warming starts). Without a listener, `warm` itself.
 */
function progressing(
  warm: (ep: PlannedEndpoint) => Promise<EndpointResult>,
  total: number,
  onProgress: ((progress: WarmProgress) => void) | undefined
): (ep: PlannedEndpoint) => Promise<EndpointResult> {
  if (!onProgress) return warm
  const progress = { total, done: 0, failed: 0 }
  onProgress(progress)
  const count = (r: EndpointResult): EndpointResult => {
    progress.done++
    if (r.outcome === 'failed') progress.failed++
    onProgress(progress)
    return r
  }
  return ep => warm(ep).then(count)
}

/** A warm pass's result from its tiers: totals, cold latency of what warmed, the verdict. */
export function warmResult(
  settings: Settings,
  tiers: TierResult[],
  at: { started: number; durationMs: number; stoppedBy?: 'deadline' | 'cancelled' | undefined }
): RunResult {
  const all = tiers.flatMap(t => t.endpoints)
  const { stoppedBy } = at
  const totals = totalsOf(all)
  // Cold latency of what warmed: a fast 401 or 503 says nothing about the cache.
  const latencies = all
    .filter(e => e.outcome === 'passed' && e.latencyMs !== undefined)
    .map(e => e.latencyMs as number)
  const p50 = percentile(latencies, 50)
  const p95 = percentile(latencies, 95)
  const anyBad = totals.failed > 0 || totals.skipped > 0 || stoppedBy !== undefined
  return {
    schemaVersion: 1,
    tool: { name: 'cache-warm-action', version: VERSION },
    target: settings.deployment.baseUrl,
    startedAt: new Date(at.started).toISOString(),
    durationMs: Math.round(at.durationMs),
    dryRun: false,
    result: anyBad ? 'failed' : 'passed',
    stepFailed: stepFails(settings.run.failOn, all, stoppedBy),
    failOn: settings.run.failOn,
    ...(stoppedBy ? { stoppedBy } : {}),
    settings: resultSettings(settings),
    tiers,
    totals,
    latency: {
      ...(p50 !== undefined ? { coldP50Ms: p50 } : {}),
      ...(p95 !== undefined ? { coldP95Ms: p95 } : {})
    },
    warnings: []
  }
}

/** Every planned endpoint as skipped, for a run that sends none of them (dry run, not ready). */
export function skippedTiers(settings: Settings, reason: string, cause: string): TierResult[] {
  return planTiers(settings.warm).map(t => ({
    priority: t.priority,
    durationMs: 0,
    endpoints: t.endpoints.map((e): EndpointResult => ({
      source: e.source,
      method: e.method,
      path: e.path,
      priority: e.priority,
      ...(e.name ? { name: e.name } : {}),
      outcome: 'skipped',
      attempts: 0,
      reason,
      cause
    }))
  }))
}

/** The result of a dry run: the plan, nothing sent. */
export function dryRunResult(settings: Settings, clock: Clock = realClock): RunResult {
  const tiers = skippedTiers(settings, 'dry run: not sent', 'dry-run')
  const all = tiers.flatMap(t => t.endpoints)
  return {
    schemaVersion: 1,
    tool: { name: 'cache-warm-action', version: VERSION },
    target: settings.deployment.baseUrl,
    startedAt: new Date(clock.now()).toISOString(),
    durationMs: 0,
    dryRun: true,
    result: 'dry-run',
    stepFailed: false,
    failOn: settings.run.failOn,
    settings: resultSettings(settings),
    tiers,
    totals: totalsOf(all),
    latency: {},
    warnings: []
  }
}
