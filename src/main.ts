import * as core from '@actions/core'
import { dryRunResult, type EngineDeps } from './engine.js'
import { runAll } from './pipeline.js'
import { errorMessage, InputError, StoppedError } from './errors.js'
import { proxyAwareAgents } from './http/agent.js'
import { rawSecrets, readInputs, settingsFromInputs } from './inputs.js'
import { computeOutputs, failedBeforeStartOutputs } from './report/outputs.js'
import { writeReport } from './report/json.js'
import { renderSummary } from './report/summary.js'
import { Redactor } from './secrets.js'
import type { Settings } from './config/settings.js'
import type { FullResult } from './result.js'
import { renderPlan, planTiers } from './warm/plan.js'
import { readGitHubContext } from './github/context.js'
import { urlFromEvent } from './github/event.js'
import { makePublisher, type OctokitFactory } from './github/publish.js'

export interface MainDeps {
  readonly engine?: EngineDeps
  readonly env?: NodeJS.ProcessEnv
  /** Builds the GitHub client (tests point it at nock). */
  readonly octokit?: OctokitFactory
}

async function inputError(message: string, redactor: Redactor): Promise<void> {
  setOutputs(failedBeforeStartOutputs(''), redactor)
  await core.summary
    .addRaw(`## ❌ Cache warm did not start\n\nBad input: ${message}\n`)
    .write()
    .catch(() => undefined)
  core.setFailed(message)
}

function setOutputs(outputs: Record<string, string>, redactor: Redactor): void {
  for (const [name, value] of Object.entries(outputs)) core.setOutput(name, redactor.redact(value))
}

/** Aborts on SIGTERM / SIGINT (a cancelled workflow) so partial results are still written. */
function cancellation(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController()
  const stop = (): void => controller.abort(new StoppedError('cancelled'))
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  return {
    signal: controller.signal,
    dispose: () => {
      process.removeListener('SIGTERM', stop)
      process.removeListener('SIGINT', stop)
    }
  }
}

/** The action: read inputs, warm, then write summary, report and outputs, and set the verdict. */
export async function run(deps: MainDeps = {}): Promise<void> {
  const env = deps.env ?? process.env
  const redactor = new Redactor()
  const raw = readInputs()
  // Mask before anything else can print them.
  for (const secret of rawSecrets(raw)) {
    core.setSecret(secret)
    redactor.add(secret)
  }

  const gh = readGitHubContext(env)
  if (!raw.url?.trim()) {
    // No url: only a successful deployment_status event can supply one.
    const fromEvent = urlFromEvent(gh.eventName, gh.payload)
    if (fromEvent.kind === 'skip') {
      core.notice(fromEvent.reason, { title: 'Cache warm skipped' })
      setOutputs({ ...failedBeforeStartOutputs(''), result: 'skipped' }, redactor)
      await core.summary
        .addRaw(`## ⏭️ Cache warm skipped\n\n${fromEvent.reason}\n`)
        .write()
        .catch(() => undefined)
      return
    }
    if (fromEvent.kind === 'none')
      return inputError(redactor.redact(new InputError('url', fromEvent.reason).message), redactor)
    core.info(`url from the event's ${fromEvent.from}: ${fromEvent.url}`)
    raw.url = fromEvent.url
  }

  let settings: Settings
  try {
    settings = settingsFromInputs(raw, env)
  } catch (error) {
    if (!(error instanceof InputError))
      core.debug(redactor.redact(String((error as Error)?.stack ?? error)))
    return inputError(redactor.redact(errorMessage(error)), redactor)
  }

  if (settings.dryRun) {
    core.info(redactor.redact(renderPlan(planTiers(settings), settings)))
  }

  const publisher = settings.dryRun ? undefined : makePublisher(settings, gh, deps.octokit)
  // Created alongside the warm, not before it: loading the GitHub client must not delay warming.
  const checkStarted = publisher?.start() ?? Promise.resolve([])

  const cancel = cancellation()
  const agents =
    deps.engine?.send || deps.engine?.agentFor ? undefined : proxyAwareAgents(settings.concurrency)
  let result: FullResult
  try {
    result = settings.dryRun
      ? dryRunResult(settings)
      : await runAll(settings, {
          ...(agents ? { agentFor: agents.agentFor } : {}),
          signal: cancel.signal,
          log: line => core.info(redactor.redact(line)),
          ...deps.engine
        })
  } catch (error) {
    const message = redactor.redact(errorMessage(error))
    core.debug(redactor.redact(String((error as Error)?.stack ?? error)))
    setOutputs(failedBeforeStartOutputs(''), redactor)
    core.setFailed(`cache warm stopped by an unexpected error: ${message}`)
    return
  } finally {
    agents?.dispose()
    cancel.dispose()
  }

  for (const w of await checkStarted) core.warning(redactor.redact(w))
  const safe = redactor.redactDeep(result)
  const summary = renderSummary(safe)
  // Side effects that must not sink the run: settled together, failures become warnings.
  const written = await Promise.allSettled([
    writeReport(settings.reportFile, safe),
    core.summary.addRaw(summary).write(),
    publisher?.finish(safe, summary) ?? Promise.resolve([])
  ])
  const [report, jobSummary, published] = written
  if (published?.status === 'fulfilled')
    for (const w of published.value) core.warning(redactor.redact(w))
  if (report.status === 'rejected')
    core.warning(
      redactor.redact(
        `could not write the report to ${settings.reportFile}: ${errorMessage(report.reason)}`
      )
    )
  if (jobSummary.status === 'rejected') {
    core.warning(
      redactor.redact(`could not write the job summary: ${errorMessage(jobSummary.reason)}`)
    )
  }
  setOutputs(
    computeOutputs(safe, report.status === 'fulfilled' ? settings.reportFile : ''),
    redactor
  )

  const failed = safe.tiers
    .flatMap(t => t.endpoints)
    .filter(e => e.outcome !== 'passed' && !safe.dryRun)
  for (const e of failed) {
    const annotate = safe.stepFailed ? core.error : core.warning
    annotate(`${e.method} ${e.path}: ${e.reason ?? e.outcome}`, {
      title: `Cache warm: ${e.priority} endpoint ${e.outcome}`
    })
  }
  for (const p of safe.phases ?? []) {
    if (p.status === 'failed' && p.name !== 'warm')
      core.error(p.detail, { title: `Cache warm: ${p.name} failed` })
  }
  for (const w of safe.warnings) core.warning(w)
  for (const d of safe.metrics?.doubts ?? [])
    core.warning(`the metrics look warm for the wrong reason: ${d}`)
  if (safe.stepFailed) {
    const t = safe.totals
    const parts = (safe.phases ?? [])
      .filter(p => p.status === 'failed' && p.name !== 'warm')
      .map(p => `${p.name} failed`)
    if (t.failed + t.skipped > 0)
      parts.unshift(`${t.failed} of ${t.total} endpoints failed, ${t.skipped} skipped`)
    if (safe.stoppedBy) parts.push(`stopped: ${safe.stoppedBy}`)
    core.setFailed(`cache not proven warm: ${parts.join('; ')}; see the job summary`)
  } else if (safe.result === 'failed') {
    core.warning(
      `result is "failed" (${safe.totals.failed} failed, ${safe.totals.skipped} skipped) but fail-on is ${safe.failOn}, so the step stays green`
    )
  }
}
