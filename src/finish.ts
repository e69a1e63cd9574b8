import type { RunSettings } from './config/settings.js'
import { errorMessage } from './errors.js'
import { writeReport } from './report/json.js'
import { computeOutputs } from './report/outputs.js'
import type { FullResult } from './result.js'
import type { Redactor } from './secrets.js'

/** The longest a file write may take (the report, the job summary): a stuck disk is not a run. */
export const FILE_WRITE_TIMEOUT_MS = 10_000

/** `work`, or an error once `ms` have passed. */
export function bounded<T>(work: Promise<T>, what: string, ms = FILE_WRITE_TIMEOUT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000}s`)), ms)
    timer.unref?.()
  })
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}

export interface Finished {
  /** The result for people and files: every string value redacted, the structure untouched. */
  readonly safe: FullResult
  /** Computed from the result itself, never from the redacted copy. */
  readonly outputs: Record<string, string>
  /** Why the report could not be written (redacted); absent when it was, or was not asked for. */
  readonly reportProblem?: string
}

/**
 * How every run ends, in the action and in the CLI alike: the redacted copy, the JSON report
 * (bounded; a failure is a warning, never a lost verdict), then the outputs, which name the
 * report only when it was written. The caller shows them its own way (job summary, terminal).
 */
export async function finishRun(
  result: FullResult,
  settings: { readonly run: Pick<RunSettings, 'reportFile' | 'label'> },
  redactor: Redactor,
  opts: { readonly writeReport: boolean } = { writeReport: true }
): Promise<Finished> {
  // The label says what this report is in a matrix; the merge groups by it.
  const label = settings.run.label
  const safe = redactor.redactDeep(label && !result.label ? { ...result, label } : result)
  const file = settings.run.reportFile
  let reportProblem: string | undefined
  if (opts.writeReport) {
    reportProblem = await bounded(writeReport(file, safe), 'writing the report').then(
      () => undefined,
      (error: unknown) =>
        redactor.redact(`could not write the report to ${file}: ${errorMessage(error)}`)
    )
  }
  const written = opts.writeReport && reportProblem === undefined
  return {
    safe,
    outputs: computeOutputs(result, written ? file : ''),
    ...(reportProblem !== undefined ? { reportProblem } : {})
  }
}
