import type { Settings } from './config/settings.js'
import { dryRunResult, skippedTiers, totalsOf, type EngineDeps } from './engine.js'
import { errorMessage, StoppedError } from './errors.js'
import { proxyAwareAgents } from './http/agent.js'
import type { LogSink } from './log.js'
import { runAll } from './pipeline.js'
import type { FullResult } from './result.js'
import type { WarmProgress } from './run-context.js'

/**
 * One run from settings to a result, the same for the action and the CLI: cancellation on
 * SIGTERM / SIGINT (so partial results are still written), the proxy-aware agents, the pipeline,
 * and an unexpected error turned into a failed result instead of a lost one.
 */
export async function warmRun(
  settings: Settings,
  opts: {
    /** A Log (groups per phase) or a function given every line. */
    readonly log: LogSink
    /** Every endpoint's line in the log, however many (ACTIONS_STEP_DEBUG). */
    readonly listEveryEndpoint?: boolean
    /** Told as the warm pass goes (the CLI's progress line on a terminal). */
    readonly progress?: (progress: WarmProgress) => void
    /** Replaces parts of the engine (tests). */
    readonly engine?: EngineDeps
    /** Told the whole error (with its stack) when one stops the run; it is never shown as is. */
    readonly debug?: (text: string) => void
  }
): Promise<FullResult> {
  if (settings.run.dryRun) return { ...dryRunResult(settings), phases: [] }
  const cancel = cancellation()
  const engine = opts.engine ?? {}
  const agents =
    engine.send || engine.agentFor ? undefined : proxyAwareAgents(settings.warm.concurrency)
  const startedAt = Date.now()
  try {
    return await runAll(settings, {
      ...(agents ? { agentFor: agents.agentFor } : {}),
      signal: cancel.signal,
      log: opts.log,
      ...(opts.listEveryEndpoint ? { listEveryEndpoint: true } : {}),
      ...(opts.progress ? { onProgress: opts.progress } : {}),
      ...engine
    })
  } catch (error) {
    // A bug or a hostile answer the engine did not survive: still reported, as failed.
    opts.debug?.(String((error as Error)?.stack ?? error))
    return crashedResult(settings, errorMessage(error), startedAt)
  } finally {
    agents?.dispose()
    cancel.dispose()
  }
}

/** Aborts on SIGTERM / SIGINT (a cancelled workflow, Ctrl-C) with StoppedError('cancelled'). */
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

/**
 * The result of a run that an unexpected error stopped: failed, every endpoint marked not done,
 * the error named, so the summary, the report, the outputs and the check run are still written.
 */
export function crashedResult(settings: Settings, message: string, startedAt: number): FullResult {
  const base = dryRunResult(settings)
  const tiers = skippedTiers(settings, 'not done: the run stopped on an unexpected error', 'error')
  return {
    ...base,
    dryRun: false,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Math.round(Date.now() - startedAt),
    result: 'failed',
    stepFailed: settings.run.failOn !== 'never',
    tiers,
    totals: totalsOf(tiers.flatMap(t => t.endpoints)),
    warnings: [`the run stopped on an unexpected error: ${message}`],
    phases: []
  }
}
