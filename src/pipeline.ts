import type { Settings } from './config/settings.js'
import { skippedTiers, warmResult, warmTiers, type EngineDeps } from './engine.js'
import { metricsPhase, pollMetrics, readBaseline } from './phases/metrics.js'
import { callTrigger, triggerPhase, triggerWarnings } from './phases/trigger.js'
import { verifyPass, verifyPhase, verifyWarnings } from './phases/verify.js'
import { waitForReady, waitPhase } from './phases/wait.js'
import { warmPhase } from './phases/warm.js'
import type { FullResult, PhaseResult, PhaseResults, RunResult } from './result.js'
import { openRun, phaseContext } from './run-context.js'
import { loadSitemap } from './sitemap/load.js'
import { sitemapPhase, sitemapResult } from './sitemap/phase.js'
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
      phases.push(waitPhase(extra.wait, took))
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

    // The baseline, before anything is warmed; a refused key there fails the metrics phase.
    const { baseline, refusedAtBaseline } = await readBaseline(settings, ctx)

    // 2. Warm-up trigger.
    if (settings.warmupTrigger && !signal.aborted) {
      log(
        `Calling the warm-up trigger ${settings.warmupTrigger.method} ${settings.warmupTrigger.path}`
      )
      const [trigger, took] = await timed(() => callTrigger(settings.warmupTrigger!, ctx))
      extra.trigger = trigger
      const phase = triggerPhase(trigger, took)
      phases.push(phase)
      if (!trigger.ok) log(`${phase.status === 'failed' ? 'Error' : 'Warning'}: ${trigger.message}`)
      if (phase.status === 'failed') gateFailed = true
    }

    // 3. Warm.
    const [warm, warmTook] = await timed(() => warmTiers(run, opened, deps.signal))
    const nothingToWarm = warm.totals.total === 0
    phases.push(warmPhase(warm, warmTook, settings))

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
      phases.push(verifyPhase(verify, took))
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
    const warnings = [
      ...warm.warnings,
      ...triggerWarnings(extra.trigger),
      ...verifyWarnings(extra.verify)
    ]
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
