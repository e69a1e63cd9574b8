import type { Settings } from './config/settings.js'
import { skippedTiers, warmResult, warmTiers, type EngineDeps } from './engine.js'
import { coloSentence, tallyColos } from './http/edge.js'
import { phaseLine } from './log.js'
import type { PhaseContext } from './phases/request.js'
import { metricsPhase, pollMetrics, readBaseline } from './phases/metrics.js'
import { callTrigger, triggerPhase, triggerWarnings } from './phases/trigger.js'
import { verifyPass, verifyPhase, verifyWarnings } from './phases/verify.js'
import { waitForReady, waitPhase } from './phases/wait.js'
import { warmPhase } from './phases/warm.js'
import type { FullResult, MetricsResult, PhaseResult, PhaseResults, RunResult } from './result.js'
import { openRun, phaseContext, type RunContext } from './run-context.js'
import { loadSitemap } from './sitemap/load.js'
import { sitemapPhase, sitemapResult } from './sitemap/phase.js'
import { USER_AGENT } from './version.js'
import { planTiers } from './warm/plan.js'

/** What the phases of one run leave behind for the verdict. */
interface RunState {
  readonly settings: Settings
  readonly deps: EngineDeps
  readonly run: RunContext
  readonly ctx: PhaseContext
  readonly phases: PhaseResult[]
  readonly extra: { -readonly [K in keyof Omit<PhaseResults, 'phases'>]?: PhaseResults[K] }
  /** A gate (sitemap, trigger, verify, metrics) failed: the run fails whatever warm did. */
  gateFailed: boolean
}

type Baseline = Awaited<ReturnType<typeof readBaseline>>

/**
 * The whole run, in order: wait → sitemap → trigger → warm → verify → metrics. Each phase that
 * is configured runs, is timed and adds its line; the verdict fails when any gate fails
 * (subject to fail-on). One run context for the whole run: one deadline, one signal, one
 * rate-limit bucket, one set of agents.
 */
export async function runAll(settings: Settings, deps: EngineDeps = {}): Promise<FullResult> {
  const run = openRun(settings, deps)
  const state: RunState = {
    settings,
    deps,
    run,
    ctx: phaseContext(settings, run),
    phases: [],
    extra: {},
    gateFailed: false
  }
  try {
    const notReady = await waitStep(state)
    if (notReady) return finish(state, notReady)
    const toWarm = await sitemapStep(state)
    // The baseline, before anything is warmed; a refused key there fails the metrics phase.
    const baseline = await readBaseline(settings, state.ctx)
    await triggerStep(state)
    const warm = await warmStep(state, toWarm)
    if (keyRefusedStep(state, warm, baseline)) return finish(state, warm)
    await verifyStep(state, warm, toWarm)
    await metricsStep(state, baseline)
    return finish(state, warm)
  } finally {
    run.close()
  }
}

/**
 * Runs `fn` in its own group of the log, titled `title`, and gives its value with the time it
 * took on the run's clock. The group is closed whatever happens: a throw, a cancel.
 */
async function timed<T>(
  state: RunState,
  title: string,
  fn: () => Promise<T>
): Promise<[T, number]> {
  const { log, clock } = state.run
  const t0 = clock.now()
  log.group(title)
  try {
    const value = await fn()
    return [value, clock.now() - t0]
  } finally {
    log.endGroup()
  }
}

/** A phase is done: into the result, and its one line into the log, outside its group. */
function record(state: RunState, phase: PhaseResult): void {
  state.phases.push(phase)
  state.run.log.result(phaseLine(phase))
}

/**
 * 1. Wait for the new version to be live. Returns the warm result to finish with when it never
 * was (every endpoint skipped, not sent), else undefined.
 */
async function waitStep(state: RunState): Promise<RunResult | undefined> {
  const { settings, deps, run } = state
  const wait = settings.wait
  if (!wait) return undefined
  const [ready, took] = await timed(
    state,
    `Waiting for ${wait.target.path}${wait.version ? ` to show ${wait.version.text}` : ''}`,
    () => waitForReady(wait, state.ctx)
  )
  // Cancelled while waiting: not the deployment's fault, and the words must say so.
  const cancelled = !ready.ready && deps.signal?.aborted === true
  const result = cancelled
    ? {
        ...ready,
        message: `cancelled while waiting for ${wait.target.path} (${ready.polls} poll(s))`
      }
    : ready
  state.extra.wait = result
  record(state, waitPhase(result, took))
  if (ready.ready) return undefined
  const skipped = cancelled
    ? skippedTiers(settings, 'not sent: the run was cancelled', 'cancelled')
    : skippedTiers(settings, 'not sent: the deployment was not ready', 'not-ready')
  state.gateFailed = true
  return warmResult(settings, skipped, { started: run.clock.now(), durationMs: 0 })
}

/** The sitemap, once the deployment answers: its URLs join the endpoints to warm. */
async function sitemapStep(state: RunState): Promise<Settings> {
  const { settings, run } = state
  if (!settings.sitemap || run.signal.aborted) return settings
  const [loaded, took] = await timed(
    state,
    `Reading the sitemap ${settings.sitemap.source.shown}`,
    () =>
      loadSitemap(settings, {
        ...(run.agentFor ? { agentFor: run.agentFor } : {}),
        signal: run.signal,
        ...(run.limiter ? { limiter: run.limiter } : {}),
        userAgent: USER_AGENT,
        log: state.ctx.log
      })
  )
  state.extra.sitemap = sitemapResult(loaded)
  const phase = sitemapPhase(loaded, took, settings.deployment.origin)
  record(state, phase)
  // Unreadable, or nothing in it to warm: a run asked to warm a sitemap never passes on it.
  if (phase.status === 'failed') state.gateFailed = true
  if (loaded.endpoints.length === 0) return settings
  const endpoints = settings.warm.endpoints.concat(loaded.endpoints)
  return { ...settings, warm: { ...settings.warm, endpoints } }
}

/** 2. The deployment's own warm-up route. */
async function triggerStep(state: RunState): Promise<void> {
  const { settings, run } = state
  const trigger = settings.trigger
  if (!trigger || run.signal.aborted) return
  const [result, took] = await timed(
    state,
    `Calling the warm-up trigger ${trigger.target.method} ${trigger.target.path}`,
    () => callTrigger(trigger, state.ctx)
  )
  state.extra.trigger = result
  const phase = triggerPhase(result, took)
  record(state, phase)
  if (phase.status === 'failed') state.gateFailed = true
}

/** 3. Warm every tier, critical first: each tier its own group and result line (warmTiers). */
async function warmStep(state: RunState, toWarm: Settings): Promise<RunResult> {
  const t0 = state.run.clock.now()
  const warm = await warmTiers(toWarm, state.run, state.deps.signal)
  const phase = warmPhase(warm, state.run.clock.now() - t0, state.settings)
  // The tiers' lines are its result; with no tier, this says why nothing was warmed.
  if (warm.tiers.length === 0) record(state, phase)
  else state.phases.push(phase)
  return warm
}

/**
 * A key the deployment refused makes verify and metrics pointless: they are skipped, saying
 * why, instead of polling a 401 until poll-timeout. Returns whether the run stops here.
 */
function keyRefusedStep(state: RunState, warm: RunResult, baseline: Baseline): boolean {
  const refused = warm.tiers.flatMap(t => t.endpoints).find(e => e.cause === 'key-refused')
  if (!refused) return false
  const detail = `skipped: ${refused.reason?.replace(/^not sent: /, '') ?? 'the key was refused'}`
  const skipped = (name: 'verify' | 'metrics'): PhaseResult => ({
    name,
    status: 'skipped',
    durationMs: 0,
    detail
  })
  if (state.settings.verify.enabled) record(state, skipped('verify'))
  if (baseline.refusedAtBaseline) failMetrics(state, baseline.refusedAtBaseline)
  else if (state.settings.metrics) record(state, skipped('metrics'))
  return true
}

/** 4. Request every warmed GET endpoint once more: is it served from cache now? */
async function verifyStep(state: RunState, warm: RunResult, toWarm: Settings): Promise<void> {
  const { settings, run } = state
  if (!settings.verify.enabled || warm.totals.total === 0 || run.signal.aborted) return
  const warmed = warm.tiers.flatMap(t => t.endpoints)
  const planned = planTiers(toWarm.warm).flatMap(t => t.endpoints)
  const [verify, took] = await timed(state, 'Verifying: each GET endpoint once more', () =>
    verifyPass(planned, warmed, warm.latency.coldP50Ms, state.ctx)
  )
  state.extra.verify = verify
  record(state, verifyPhase(verify, took))
  if (!verify.passed) state.gateFailed = true
}

/** 5. Poll the metrics until the thresholds hold (without thresholds: read once, for the outputs). */
async function metricsStep(state: RunState, baseline: Baseline): Promise<void> {
  const { settings, run } = state
  if (baseline.refusedAtBaseline) return failMetrics(state, baseline.refusedAtBaseline)
  const metrics = settings.metrics
  if (!metrics || run.signal.aborted) return
  const { target, thresholds } = metrics
  const title =
    thresholds.length > 0
      ? `Polling ${target.path} until ${thresholds.map(t => t.text).join(', ')}`
      : `Reading ${target.path}`
  const [result, took] = await timed(state, title, () =>
    pollMetrics(metrics, baseline.baseline?.answer, state.extra.verify, state.ctx)
  )
  state.extra.metrics = result
  const phase = metricsPhase(result, took)
  record(state, phase)
  if (phase.status === 'failed') state.gateFailed = true
}

/** The metrics phase failed without polling: the baseline read was refused. */
function failMetrics(state: RunState, refused: MetricsResult): void {
  state.extra.metrics = refused
  record(state, metricsPhase(refused, 0))
  state.gateFailed = true
}

/** The verdict: failed when warm failed, a gate failed, or the run was stopped. */
function finish(state: RunState, warm: RunResult): FullResult {
  const { settings, deps, run, extra } = state
  const stoppedBy = deps.signal?.aborted
    ? 'cancelled'
    : (warm.stoppedBy ?? (run.clock.now() >= run.deadlineAt ? 'deadline' : undefined))
  const stopped = stoppedBy !== undefined
  const failed = warm.result === 'failed' || state.gateFailed || stopped
  const stepFailed =
    settings.run.failOn !== 'never' && (warm.stepFailed || state.gateFailed || stopped)
  // Doubts about the metrics are shown on their own (metrics.doubts), not repeated here.
  const warnings = [
    ...warm.warnings,
    ...triggerWarnings(extra.trigger),
    ...verifyWarnings(extra.verify),
    ...guessedSchemeWarning(state, warm)
  ]
  // Where the warm landed: only answers that warmed count. A 500, a login page or an old
  // version's answer from SJC did not warm SJC (each still shows its colo on its endpoint).
  const colos = tallyColos([
    ...warm.tiers.flatMap(t => t.endpoints.map(e => (e.outcome === 'passed' ? e.colo : undefined))),
    ...(extra.verify?.entries.map(e =>
      e.wrongVersion || e.status === undefined || e.status < 200 || e.status >= 300
        ? undefined
        : e.colo
    ) ?? [])
  ])
  const where = coloSentence(colos?.colos, colos?.more)
  if (where) run.log.result(where)
  return {
    ...warm,
    startedAt: new Date(run.started).toISOString(),
    durationMs: Math.round(run.clock.now() - run.started),
    result: failed ? 'failed' : 'passed',
    stepFailed,
    ...(stoppedBy ? { stoppedBy } : {}),
    warnings,
    ...(colos ? { colos: colos.colos } : {}),
    ...(colos?.more ? { colosMore: colos.more } : {}),
    ...extra,
    phases: state.phases
  }
}

/** A TLS handshake that failed on a URL whose https:// the action added, not the user. */
function guessedSchemeWarning(state: RunState, warm: RunResult): string[] {
  const { deployment } = state.settings
  if (!deployment.httpsAdded) return []
  const tls = 'TLS handshake failed'
  const failedTls =
    warm.tiers.some(t => t.endpoints.some(e => e.cause === 'tls')) ||
    state.extra.wait?.lastAnswer?.includes(tls) === true ||
    state.extra.trigger?.message.includes(tls) === true
  if (!failedTls) return []
  return [
    `url has no scheme, so https:// was added, and the TLS handshake with ${new URL(deployment.origin).host} failed; if the deployment serves plain HTTP, write http:// in url`
  ]
}
