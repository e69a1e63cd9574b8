import * as core from '@actions/core'
import type { EngineDeps } from './engine.js'
import { errorMessage, InputError, MergeRefused } from './errors.js'
import { bounded, finishRun } from './finish.js'
import { warmRun } from './run.js'
import { rawSecrets, readInputs, settingsFromInputs } from './inputs.js'
import { failedBeforeStartOutputs } from './report/outputs.js'
import { suspiciousLine } from './report/format.js'
import { logSafe, markdownText } from './report/escape.js'
import { renderSummary } from './report/summary.js'
import { Redactor, settingsSecrets } from './secrets.js'
import { expectVersionHint } from './config/phases.js'
import type { Settings } from './config/settings.js'
import { failedGates, type FullResult } from './result.js'
import { renderPlan, planTiers } from './warm/plan.js'
import { readGitHubContext } from './github/context.js'
import { urlFromEvent } from './github/event.js'
import { makePublisher, type OctokitFactory, type Publisher } from './github/publish.js'
import { thinned, verdictLine, type Log } from './log.js'
import { findReports, shownPath } from './merge/glob.js'
import { mergeFiles } from './merge/run.js'
import { isMergeJob, parseMergeSettings, type MergeSettings } from './merge/settings.js'
import { renderMergeSummary } from './merge/summary.js'
import { mergeLines } from './merge/text.js'

export interface MainDeps {
  readonly engine?: EngineDeps
  readonly env?: NodeJS.ProcessEnv
  /** Builds the GitHub client (tests point it at nock). */
  readonly octokit?: OctokitFactory
}

async function inputError(message: string, redactor: Redactor): Promise<void> {
  setOutputs(failedBeforeStartOutputs(''), redactor)
  await core.summary
    .addRaw(`## ❌ Cache warm did not start\n\nBad input: ${markdownText(message)}\n`)
    .write()
    .catch(() => undefined)
  core.setFailed(message)
}

/**
 * Outputs are numbers, a verdict and the report's path: computed from the result itself, not
 * from a redacted copy, so no secret can change what a later step gates on. The path is
 * redacted like any text.
 */
function setOutputs(outputs: Record<string, string>, redactor: Redactor): void {
  for (const [name, value] of Object.entries(outputs))
    core.setOutput(name, name === 'report' ? redactor.redact(value) : value)
}

/** Masks a secret on the runner in every form the Redactor knows, and redacts it here. */
function mask(secret: string, redactor: Redactor): void {
  const before = new Set(redactor.secrets)
  if (before.has(secret)) return
  redactor.add(secret)
  core.setSecret(secret)
  for (const form of redactor.secrets)
    if (!before.has(form) && form !== secret) core.setSecret(form)
}

/** The action: read inputs, warm, then write summary, report and outputs, and set the verdict. */
export async function run(deps: MainDeps = {}): Promise<void> {
  const redactor = new Redactor()
  try {
    await warm(deps, redactor)
  } catch (error) {
    // Last resort: whatever failed, the step says so in one redacted line and fails.
    core.debug(redactor.redact(String((error as Error)?.stack ?? error)))
    setOutputs(failedBeforeStartOutputs(''), redactor)
    core.setFailed(
      `cache warm stopped by an unexpected error: ${redactor.redact(errorMessage(error))}`
    )
  }
}

async function warm(deps: MainDeps, redactor: Redactor): Promise<void> {
  const env = deps.env ?? process.env
  const raw = readInputs()
  // Mask before anything else can print them.
  for (const secret of rawSecrets(raw)) mask(secret, redactor)

  const gh = readGitHubContext(env)
  if (isMergeJob(raw)) return mergeJob(raw, env, deps, redactor)
  if (!raw.url?.trim()) {
    // No url: only a successful deployment_status event can supply one.
    const fromEvent = urlFromEvent(gh.eventName, gh.payload)
    if (fromEvent.kind === 'skip') {
      core.notice(redactor.redact(fromEvent.reason), { title: 'Cache warm skipped' })
      setOutputs({ ...failedBeforeStartOutputs(''), result: 'skipped' }, redactor)
      await core.summary
        .addRaw(`## ⏭️ Cache warm skipped\n\n${markdownText(redactor.redact(fromEvent.reason))}\n`)
        .write()
        .catch(() => undefined)
      return
    }
    if (fromEvent.kind === 'none')
      return inputError(redactor.redact(new InputError('url', fromEvent.reason).message), redactor)
    core.info(logSafe(redactor.redact(`url from the event's ${fromEvent.from}: ${fromEvent.url}`)))
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
  // Endpoint-level secret headers are known only now.
  for (const secret of settingsSecrets(settings)) mask(secret, redactor)
  const hint = expectVersionHint(settings.deployment)
  if (hint) core.notice(logSafe(redactor.redact(hint)), { title: 'Cache warm: expect-version' })

  if (settings.run.dryRun) {
    core.info(logSafe(redactor.redact(renderPlan(planTiers(settings.warm), settings))))
  }

  const publisher = settings.run.dryRun
    ? undefined
    : makePublisher(settings, gh, deps.octokit, {
        deadlineAt: Date.now() + settings.run.deadlineMs
      })
  // Created alongside the warm, not before it: loading the GitHub client must not delay warming.
  const checkStarted = publisher?.start() ?? Promise.resolve([])

  const result = await warmRun(settings, {
    log: actionLog(redactor),
    listEveryEndpoint: core.isDebug(),
    debug: text => core.debug(redactor.redact(text)),
    ...(deps.engine ? { engine: deps.engine } : {})
  })

  for (const w of await checkStarted) core.warning(redactor.redact(w))
  await report(result, settings, redactor, publisher)
}

/**
 * A merge job (`merge-reports`): no request to the deployment; the reports of a matrix read,
 * checked and merged into one result, which then ends like any run: report, outputs, summary,
 * annotations, check run, verdict. A report that cannot be merged fails the step in one line.
 */
async function mergeJob(
  raw: ReturnType<typeof readInputs>,
  env: NodeJS.ProcessEnv,
  deps: MainDeps,
  redactor: Redactor
): Promise<void> {
  const workspace = env.GITHUB_WORKSPACE || process.cwd()
  const startedAt = Date.now()
  let settings: MergeSettings
  let result: Awaited<ReturnType<typeof mergeFiles>>
  try {
    settings = parseMergeSettings(raw, {
      workspace,
      ...(env.RUNNER_TEMP ? { runnerTemp: env.RUNNER_TEMP } : {}),
      ...(env.RUNNER_NAME ? { runnerName: env.RUNNER_NAME } : {})
    })
    const files = await findReports(settings.patterns, workspace)
    result = await mergeFiles(files, {
      failOn: settings.run.failOn,
      ...(settings.run.label ? { label: settings.run.label } : {}),
      ...(settings.target ? { target: settings.target } : {}),
      shownFile: file => shownPath(file, workspace),
      // The step's deadline, from its start: reading the reports counts.
      deadline: {
        endAt: startedAt + settings.run.deadlineMs,
        ms: settings.run.deadlineMs,
        now: Date.now
      }
    })
  } catch (error) {
    if (error instanceof MergeRefused)
      return inputError(redactor.redact(`merge-reports: ${error.message}`), redactor)
    if (error instanceof InputError) return inputError(redactor.redact(error.message), redactor)
    throw error
  }
  for (const line of mergeLines(result)) core.info(logSafe(redactor.redact(line)))
  const publisher = makePublisher(settings, readGitHubContext(env), deps.octokit, {
    deadlineAt: startedAt + settings.run.deadlineMs
  })
  for (const w of await publisher.start()) core.warning(redactor.redact(w))
  await report(result, settings, redactor, publisher, renderMergeSummary)
}

/**
 * The step log: a group per phase (core.startGroup / endGroup), results outside them. Every
 * text is redacted and cannot issue a workflow command, a group's title included.
 */
function actionLog(redactor: Redactor): Log {
  const say = (text: string): string => logSafe(redactor.redact(text))
  return {
    line: text => core.info(say(text)),
    group: title => core.startGroup(say(title)),
    endGroup: () => core.endGroup(),
    result: text => core.info(say(text))
  }
}

/**
 * Writes the report, then the outputs, then the job summary and the annotations, and only then
 * completes the check run and the PR comment: what a later step gates on is written first, so
 * a slow GitHub or a cancel while publishing cannot lose it. The verdict's line comes last, so
 * the log ends with it; publishing is bounded and cannot throw past it.
 */
async function report(
  result: FullResult,
  settings: Pick<Settings, 'run'>,
  redactor: Redactor,
  publisher: Publisher | undefined,
  render: (result: FullResult) => string = renderSummary
): Promise<void> {
  const { safe, outputs, reportProblem } = await finishRun(result, settings, redactor)
  setOutputs(outputs, redactor)
  if (reportProblem !== undefined) core.warning(reportProblem)
  let summary: string
  try {
    summary = redactor.redact(render(safe))
  } catch (error) {
    summary = `## ❌ Cache warm ${result.result}\n\nThe summary could not be rendered: ${redactor.redact(errorMessage(error))}; the JSON report has the result.\n`
  }
  // Side effects that must not sink the run: each bounded, failures become warnings.
  await bounded(core.summary.addRaw(summary).write(), 'writing the job summary').catch(
    (error: unknown) =>
      core.warning(redactor.redact(`could not write the job summary: ${errorMessage(error)}`))
  )

  annotations(result, safe, redactor)

  // GitHub, bounded by the publisher itself (deadline + its grace).
  const published = await (publisher?.finish(safe, summary) ?? Promise.resolve([])).catch(
    (error: unknown) => [`could not publish the result to GitHub: ${errorMessage(error)}`]
  )
  for (const w of published) core.warning(redactor.redact(w))

  verdict(result, redactor)
}

/** In a run whose log lists only failures, this many endpoints get an annotation of their own. */
const ANNOTATED_WHEN_THINNED = 10
/** Warnings (and doubts about the metrics) logged, each an annotation; the rest are counted. */
const WARNINGS_LOGGED = 20

/** Annotations and warnings: decided from the result, worded from the redacted copy. */
function annotations(result: FullResult, safe: FullResult, redactor: Redactor): void {
  // Decisions from the result itself; words from the redacted copy.
  const endpoints = result.tiers.flatMap(t => t.endpoints)
  const shown = safe.tiers.flatMap(t => t.endpoints)
  const annotate = result.stepFailed ? core.error : core.warning
  // GitHub shows 10 annotations of a kind per step: thousands would only flood the log.
  const most = thinned(result.totals.total, core.isDebug())
    ? ANNOTATED_WHEN_THINNED
    : Number.POSITIVE_INFINITY
  let annotated = 0
  let more = 0
  endpoints.forEach((e, i) => {
    if (e.outcome === 'passed' || result.dryRun) return
    if (annotated >= most) {
      more++
      return
    }
    annotated++
    const s = shown[i] ?? e
    annotate(redactor.redact(`${s.method} ${s.path}: ${s.reason ?? e.outcome}`), {
      title: `Cache warm: ${e.priority} endpoint ${e.outcome}`
    })
  })
  if (more > 0)
    annotate(
      `and ${more} more endpoint(s) not passed; the job summary and the report list every one`,
      { title: 'Cache warm: more endpoints' }
    )
  // The redacted copy keeps the structure, so its gates are the same phases, in the same order.
  for (const p of failedGates(safe))
    core.error(redactor.redact(p.detail), { title: `Cache warm: ${p.name} failed` })
  // One per endpoint in a long run (verify notes), each report's in a merge: the first few.
  const notes = [
    ...new Set(safe.warnings),
    ...(safe.metrics?.doubts ?? []).map(d => `the metrics look warm for the wrong reason: ${d}`)
  ]
  for (const w of notes.slice(0, WARNINGS_LOGGED)) core.warning(redactor.redact(w))
  if (notes.length > WARNINGS_LOGGED)
    core.warning(
      `and ${notes.length - WARNINGS_LOGGED} more warning(s); the JSON report has every one`,
      { title: 'Cache warm: more warnings' }
    )
  const doubtful = suspiciousLine(safe)
  if (doubtful) core.warning(redactor.redact(doubtful), { title: 'Cache warm: suspicious answers' })
  if (!result.stepFailed && result.result === 'failed') {
    core.warning(
      `result is "failed" (${result.totals.failed} failed, ${result.totals.skipped} skipped) but fail-on is ${result.failOn}, so the step stays green`
    )
  }
}

/**
 * The step's verdict, the log's last line: setFailed's line for a failing run, the verdict
 * line (`Cache warm passed: 10/10 warmed, ...`) for one that does not fail the step.
 */
function verdict(result: FullResult, redactor: Redactor): void {
  if (result.stepFailed) {
    const t = result.totals
    const parts = failedGates(result).map(p => `${p.name} failed`)
    if (t.failed + t.skipped > 0)
      parts.unshift(`${t.failed} of ${t.total} endpoints failed, ${t.skipped} skipped`)
    if (result.stoppedBy) parts.push(`stopped: ${result.stoppedBy}`)
    const missing = result.merged?.missing?.length ?? 0
    if (missing > 0) parts.push(`${missing} shard(s) left no report`)
    if (result.merged?.mismatched?.length) parts.push('the shards are not of one list')
    core.setFailed(`cache not proven warm: ${parts.join('; ')}; see the job summary`)
  } else {
    core.info(logSafe(redactor.redact(verdictLine(result))))
  }
}
