import { formatDuration } from './config/duration.js'
import type { Settings } from './config/settings.js'
import { skippedTiers, warmResult, warmTiers, type EngineDeps } from './engine.js'
import { askMetrics, pollMetrics, refusedBaseline, type MetricsRead } from './phases/metrics.js'
import { callTrigger } from './phases/trigger.js'
import { verifyPass } from './phases/verify.js'
import { waitForReady } from './phases/wait.js'
import { formatRate } from './metrics/rates.js'
import { speedupText, thresholdValue } from './report/format.js'
import type { FullResult, MetricsResult, PhaseResult, PhaseResults, RunResult } from './result.js'
import { openRun, phaseContext } from './run-context.js'
import { loadSitemap, type SitemapLoad } from './sitemap/load.js'
import { USER_AGENT } from './version.js'
import { planTiers } from './warm/plan.js'

/**
 * The whole run, in order: wait → trigger → warm → verify → poll metrics. Each phase that is
 * configured runs and is timed; the verdict fails when any gate fails (subject to fail-on).
 */
export async function runAll(settings: Settings, deps: EngineDeps = {}): Promise<FullResult> {
  // One run context for the whole run: one deadline, one signal, one rate-limit bucket, one
  // set of agents; the sitemap, warm, verify and metrics requests all go through it.
  const opened = openRun(settings, deps)
  const { clock, log, started, deadlineAt, signal, agentFor: via, limiter } = opened
  const ctx = phaseContext(settings, opened)
  const phases: PhaseResult[] = []
  const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const t0 = clock.now()
    const value = await fn()
    return [value, clock.now() - t0]
  }

  try {
    const extra: { -readonly [K in keyof PhaseResults]?: PhaseResults[K] } = {}
    let gateFailed = false

    // 1. Wait for the new version to be live.
    if (settings.waitFor) {
      log(
        `Waiting for ${settings.waitFor.path}${settings.waitForVersion ? ` to show ${settings.waitForVersion.text}` : ''}`
      )
      const [wait, took] = await timed(() => waitForReady(settings.waitFor!, ctx))
      // Cancelled while waiting: not the deployment's fault, and the words must say so.
      const cancelledWait = !wait.ready && deps.signal?.aborted === true
      extra.wait = cancelledWait
        ? {
            ...wait,
            message: `cancelled while waiting for ${settings.waitFor.path} (${wait.polls} poll(s))`
          }
        : wait
      phases.push({
        name: 'wait',
        status: wait.ready ? 'passed' : 'failed',
        durationMs: took,
        detail: extra.wait.message
      })
      if (!wait.ready) {
        log(extra.wait.message)
        const skipped = cancelledWait
          ? skippedTiers(settings, 'not sent: the run was cancelled', 'cancelled')
          : skippedTiers(settings, 'not sent: the deployment was not ready', 'not-ready')
        const notWarmed = warmResult(settings, skipped, { started: clock.now(), durationMs: 0 })
        return finish(notWarmed, { ...extra, phases }, true)
      }
    }

    // The sitemap, once the deployment answers: its URLs join the endpoints.
    let run: Settings = settings
    if (settings.sitemap && !signal.aborted) {
      log(`Reading the sitemap ${settings.sitemap.source.shown}`)
      const [loaded, took] = await timed(() =>
        loadSitemap(settings, {
          ...(via ? { agentFor: via } : {}),
          signal,
          ...(limiter ? { limiter } : {}),
          userAgent: USER_AGENT,
          log
        })
      )
      extra.sitemap = sitemapResult(loaded)
      const phase = sitemapPhase(loaded, took, settings.origin)
      phases.push(phase)
      log(`Sitemap: ${phase.detail}`)
      // Unreadable, or nothing in it to warm: a run asked to warm a sitemap never passes on it.
      if (phase.status === 'failed') gateFailed = true
      if (loaded.endpoints.length > 0)
        run = { ...settings, endpoints: settings.endpoints.concat(loaded.endpoints) }
    }

    // The baseline, before anything is warmed.
    let baseline: MetricsRead | undefined
    // A job with nothing to warm (the gate after a sharded matrix) runs after the warming jobs:
    // a baseline read now would be taken after the warm and doubt it for that.
    const gateOnly = settings.endpoints.length === 0 && !settings.sitemap
    if (settings.metrics && !gateOnly && !signal.aborted) {
      baseline = await askMetrics(settings.metrics, ctx)
      log(
        `Metrics baseline: ${baseline.refused ? `Error: ${baseline.refused}` : baseline.answer.ok ? 'read' : baseline.answer.text}`
      )
    }
    // A refused key at the baseline fails the metrics phase; polling it would be refused again.
    const baselineRefused = baseline?.refused
    const refusedAtBaseline =
      settings.metrics && baseline && baselineRefused
        ? refusedBaseline(
            settings.metrics,
            { answer: baseline.answer, refused: baselineRefused },
            settings.thresholds
          )
        : undefined

    // 2. Warm-up trigger.
    if (settings.warmupTrigger && !signal.aborted) {
      log(
        `Calling the warm-up trigger ${settings.warmupTrigger.method} ${settings.warmupTrigger.path}`
      )
      const [trigger, took] = await timed(() => callTrigger(settings.warmupTrigger!, ctx))
      extra.trigger = trigger
      // A refused key (401/403) fails whether or not the trigger is required.
      const fails = !trigger.ok && (trigger.required || trigger.keyRefused === true)
      const status = trigger.ok ? 'passed' : fails ? 'failed' : 'warning'
      phases.push({ name: 'trigger', status, durationMs: took, detail: trigger.message })
      if (!trigger.ok) log(`${fails ? 'Error' : 'Warning'}: ${trigger.message}`)
      if (fails) gateFailed = true
    }

    // 3. Warm.
    const [warm, warmTook] = await timed(() => warmTiers(run, opened, deps.signal))
    const nothingToWarm = warm.totals.total === 0
    if (nothingToWarm) {
      // A metrics-gate job (after a sharded matrix) or a shard with no share: say so plainly.
      phases.push({
        name: 'warm',
        status: 'skipped',
        durationMs: warmTook,
        detail: settings.shard
          ? `no endpoints in shard ${settings.shard.index}/${settings.shard.count}`
          : settings.sitemap
            ? 'nothing to warm: no endpoints listed, and the sitemap added none'
            : 'no endpoints listed; this job only checks the deployment'
      })
    } else
      phases.push({
        name: 'warm',
        status:
          warm.totals.failed + warm.totals.skipped === 0
            ? 'passed'
            : warm.stepFailed
              ? 'failed'
              : 'warning',
        durationMs: warmTook,
        detail: `${warm.totals.passed}/${warm.totals.total} warmed${warm.totals.failed ? `, ${warm.totals.failed} failed` : ''}${warm.totals.skipped ? `, ${warm.totals.skipped} skipped` : ''}`
      })

    // A key the deployment refused makes verify and metrics pointless: say so instead of
    // polling a 401 until poll-timeout.
    const refused = warm.tiers.flatMap(t => t.endpoints).find(e => e.cause === 'key-refused')
    if (refused) {
      const detail = `skipped: ${refused.reason?.replace(/^not sent: /, '') ?? 'the key was refused'}`
      if (settings.verify) phases.push({ name: 'verify', status: 'skipped', durationMs: 0, detail })
      if (refusedAtBaseline) {
        extra.metrics = refusedAtBaseline
        phases.push(metricsPhase(refusedAtBaseline, 0, settings))
        gateFailed = true
      } else if (settings.metrics)
        phases.push({ name: 'metrics', status: 'skipped', durationMs: 0, detail })
      return finish(warm, { ...extra, phases }, gateFailed)
    }

    // 4. Verify.
    if (settings.verify && !nothingToWarm && !signal.aborted) {
      log('Verifying: each GET endpoint once more')
      const warmed = warm.tiers.flatMap(t => t.endpoints)
      const planned = planTiers(run).flatMap(t => t.endpoints)
      const [verify, took] = await timed(() =>
        verifyPass(planned, warmed, warm.latency.coldP50Ms, ctx)
      )
      extra.verify = verify
      const gate = verify.minCached !== undefined || verify.maxWarmLatencyMs !== undefined
      phases.push({
        name: 'verify',
        status: !verify.passed
          ? gate
            ? 'failed'
            : 'warning'
          : verify.entries.some(e => e.state === 'not cached')
            ? 'warning'
            : 'passed',
        durationMs: took,
        detail:
          `${verify.cached}/${verify.entries.length} from cache` +
          (verify.warmP50Ms !== undefined ? `, warm p50 ${formatDuration(verify.warmP50Ms)}` : '') +
          (verify.speedup !== undefined ? `, ${speedupText(verify.speedup)}` : '') +
          (verify.problems.length ? `; ${verify.problems.join('; ')}` : '')
      })
      if (!verify.passed) gateFailed = true
    }

    // 5. Poll metrics until the thresholds hold (without thresholds: read once, for the outputs).
    if (refusedAtBaseline) {
      extra.metrics = refusedAtBaseline
      phases.push(metricsPhase(refusedAtBaseline, 0, settings))
      gateFailed = true
    } else if (settings.metrics && !signal.aborted) {
      const gates = settings.thresholds.length > 0
      log(
        gates
          ? `Polling ${settings.metrics.path} until ${settings.thresholds.map(t => t.text).join(', ')}`
          : `Reading ${settings.metrics.path}`
      )
      const [metrics, took] = await timed(() =>
        pollMetrics(settings.metrics!, baseline?.answer, extra.verify, ctx)
      )
      extra.metrics = metrics
      const phase = metricsPhase(metrics, took, settings)
      phases.push(phase)
      if (phase.status === 'failed') gateFailed = true
    }

    return finish(warm, { ...extra, phases }, gateFailed)
  } finally {
    opened.close()
  }

  function finish(warm: RunResult, extra: PhaseResults, gateFailed: boolean): FullResult {
    const stoppedBy = deps.signal?.aborted
      ? 'cancelled'
      : (warm.stoppedBy ?? (clock.now() >= deadlineAt ? 'deadline' : undefined))
    const failed = warm.result === 'failed' || gateFailed || stoppedBy !== undefined
    const stepFailed =
      settings.failOn !== 'never' && (warm.stepFailed || gateFailed || stoppedBy !== undefined)
    // Doubts about the metrics are shown on their own (metrics.doubts), not repeated here.
    const warnings = [...warm.warnings]
    for (const e of extra.verify?.entries ?? [])
      if (e.note) warnings.push(`${e.method} ${e.path}: ${e.note}`)
    if (extra.trigger && !extra.trigger.ok && !extra.trigger.required && !extra.trigger.keyRefused)
      warnings.push(extra.trigger.message)
    // Without min-cached nothing gates on it, but a MISS on the second request is never quiet.
    const missed = (extra.verify?.entries ?? []).filter(e => e.state === 'not cached')
    if (extra.verify && extra.verify.minCached === undefined && missed.length > 0) {
      warnings.push(
        `${missed.length}/${extra.verify.entries.length} endpoint(s) were still not served from cache when asked again (${missed
          .slice(0, 3)
          .map(e => `${e.path}: ${e.evidence}`)
          .join(', ')}${missed.length > 3 ? ', ...' : ''}); set min-cached to fail the step on it`
      )
    }
    return {
      ...warm,
      startedAt: new Date(started).toISOString(),
      durationMs: Math.round(clock.now() - started),
      result: failed ? 'failed' : 'passed',
      stepFailed,
      ...(stoppedBy ? { stoppedBy } : {}),
      warnings,
      ...extra
    }
  }
}

/** The metrics line in the phase table. A refused key fails it even without thresholds. */
function metricsPhase(metrics: MetricsResult, took: number, settings: Settings): PhaseResult {
  const gates = settings.thresholds.length > 0
  const unmet = metrics.thresholds.filter(t => !t.met)
  return {
    name: 'metrics',
    status: metrics.error
      ? gates || metrics.keyRefused
        ? 'failed'
        : 'warning'
      : metrics.met
        ? metrics.doubts.length
          ? 'warning'
          : 'passed'
        : 'failed',
    durationMs: took,
    detail: metrics.error
      ? metrics.error
      : !gates
        ? `read once (no thresholds set)${metrics.hitRate !== undefined ? `, hit rate ${formatRate(metrics.hitRate)}` : ''}`
        : metrics.met
          ? `${metrics.thresholds.length}/${metrics.thresholds.length} thresholds met after ${metrics.polls} poll(s)${metrics.hitRate !== undefined ? `, hit rate ${formatRate(metrics.hitRate)}` : ''}`
          : `${unmet.length} threshold(s) not met after ${formatDuration(took)}: ${unmet.map(t => `${t.text} (last ${thresholdValue(t.final, t.rate)})`).join(', ')}`
  }
}

function sitemapResult(load: SitemapLoad): NonNullable<PhaseResults['sitemap']> {
  return {
    source: load.source,
    documents: load.documents,
    urls: load.urls,
    added: load.endpoints.length,
    otherOrigin: load.otherOrigin,
    excluded: load.excluded,
    duplicates: load.duplicates,
    invalid: load.invalid,
    limited: load.limited,
    problems: load.problems,
    ...(load.error ? { error: load.error } : {})
  }
}

/**
 * The sitemap's line in the phase table: what it gave, and what it left out and why. A sitemap
 * that yields no URL to warm fails: a run asked to warm it and warming nothing is no pass.
 */
function sitemapPhase(load: SitemapLoad, took: number, origin: string): PhaseResult {
  if (load.error)
    return {
      name: 'sitemap',
      status: 'failed',
      durationMs: took,
      detail: `could not be read: ${load.error}`
    }
  const left: string[] = []
  if (load.otherOrigin)
    left.push(`${load.otherOrigin} on another origin skipped (e.g. ${load.otherOriginExample})`)
  if (load.excluded) left.push(`${load.excluded} excluded`)
  if (load.duplicates) left.push(`${load.duplicates} already listed`)
  if (load.invalid) left.push(`${load.invalid} invalid`)
  if (load.limited) left.push('stopped at sitemap-limit')
  const detail =
    `${load.endpoints.length} URL(s) added from ${load.documents} sitemap document(s)` +
    (left.length ? `; ${left.join(', ')}` : '') +
    (load.problems.length ? `; ${load.problems.join('; ')}` : '')
  // URLs already listed in endpoints are warmed as those: the sitemap still gave them.
  if (load.endpoints.length === 0 && load.duplicates === 0)
    return {
      name: 'sitemap',
      status: 'failed',
      durationMs: took,
      detail: `nothing to warm: ${whyNothing(load, origin)}; ${detail}`
    }
  return {
    name: 'sitemap',
    status: load.problems.length || load.endpoints.length === 0 ? 'warning' : 'passed',
    durationMs: took,
    detail
  }
}

/** Why a sitemap that was read gave no URL to warm, in one phrase. */
function whyNothing(load: SitemapLoad, origin: string): string {
  const { otherOrigin, excluded, invalid, problems } = load
  const skipped = otherOrigin + excluded + invalid
  if (skipped === 0) {
    if (problems.length > 0) return `no URL could be read (${problems.join('; ')})`
    return `the sitemap lists no URL (an empty urlset)`
  }
  const also = problems.length > 0 ? `; also: ${problems.join('; ')}` : ''
  if (otherOrigin === skipped)
    return `every URL is on another origin than ${origin} (e.g. ${load.otherOriginExample}), so none was added${also}`
  if (excluded === skipped) return `all ${excluded} URL(s) are excluded by sitemap-exclude${also}`
  if (invalid === skipped) return `all ${invalid} <loc>(s) are invalid${also}`
  const parts = [
    otherOrigin ? `${otherOrigin} on another origin than ${origin}` : '',
    excluded ? `${excluded} excluded by sitemap-exclude` : '',
    invalid ? `${invalid} invalid` : ''
  ].filter(Boolean)
  return `every URL was left out (${parts.join(', ')})${also}`
}
