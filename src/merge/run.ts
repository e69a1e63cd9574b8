import { mergeReports, type MergedResult, type MergeOptions } from './merge.js'
import { readReports } from './read.js'

/** The reports in `files`, read, checked and merged into one result (see mergeReports). */
export async function mergeFiles(
  files: readonly string[],
  opts: MergeOptions
): Promise<MergedResult> {
  return mergeReports(await readReports(files, opts.shownFile), opts)
}
