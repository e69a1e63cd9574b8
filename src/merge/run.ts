import { mergeReports, type MergedResult, type MergeOptions } from './merge.js'
import { readReports, type ReadDeadline } from './read.js'

/** The reports in `files`, read, checked and merged into one result (see mergeReports). */
export async function mergeFiles(
  files: readonly string[],
  opts: MergeOptions & { readonly deadline?: ReadDeadline }
): Promise<MergedResult> {
  return mergeReports(await readReports(files, opts.shownFile, opts.deadline), opts)
}
