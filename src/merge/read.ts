import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { formatDuration } from '../config/duration.js'
import { firstIssue } from '../config/issues.js'
import { MergeRefused } from '../errors.js'
import type { FullResult } from '../result.js'
import { disagreement } from './evidence.js'
import { parseReport } from './schema.js'

/** The most reports one merge reads: a matrix has at most 256 jobs. */
export const MAX_REPORTS = 256
/** The largest report file read (a report of 100,000 endpoints is about 40 MB). */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024
/**
 * The most bytes read over all the reports of one merge: about 640,000 endpoints. Parsed and
 * merged, reports take about five times their size in memory (480 MB of reports peaked at
 * 2.5 GB), and a 7 GB runner must keep room for the merged report's own JSON text.
 */
export const MAX_TOTAL_BYTES = 256 * 1024 * 1024

/**
 * The merge job's `deadline`: reading is most of a merge (256 MiB of reports take seconds), so
 * it stops between files once the deadline has passed, and the merge fails in one line.
 */
export interface ReadDeadline {
  /** Epoch milliseconds. */
  readonly endAt: number
  /** The deadline as given, for the message. */
  readonly ms: number
  readonly now: () => number
}

export interface ReadReport {
  /** As the user named it (or the glob found it). */
  readonly file: string
  readonly report: FullResult
}

/**
 * Reads and checks every report, in order, or refuses the merge with one line naming the first
 * file that is missing, too large, not JSON, of another schemaVersion, or not a report. Never
 * repeats the file's content: a report made elsewhere may hold anything.
 */
export async function readReports(
  files: readonly string[],
  /** How a file is named in a message (relative to the workspace). */
  shown: (file: string) => string = file => file,
  deadline?: ReadDeadline
): Promise<ReadReport[]> {
  if (files.length === 0)
    throw new MergeRefused('no report file to merge; give the JSON reports the jobs wrote')
  if (files.length > MAX_REPORTS)
    throw new MergeRefused(
      `${files.length} report files; at most ${MAX_REPORTS} are merged at once (one per job of a matrix)`
    )
  const out: ReadReport[] = []
  let total = 0
  for (const file of files) {
    const name = shown(file)
    const bytes = await readBounded(file, name)
    total += bytes.length
    if (total > MAX_TOTAL_BYTES)
      throw new MergeRefused(
        `${name}: the reports add up to more than ${MAX_TOTAL_BYTES / 1024 / 1024} MiB, the most one merge reads`
      )
    out.push({ file, report: reportOf(name, bytes) })
    if (deadline && deadline.now() > deadline.endAt)
      throw new MergeRefused(
        `the deadline (${formatDuration(deadline.ms)}) passed after reading ${out.length} of ${files.length} report(s); raise deadline to give the merge job time to read them`
      )
  }
  return out
}

/** A regular file's bytes, at most MAX_REPORT_BYTES; a FIFO or a device is never opened to read. */
async function readBounded(path: string, file: string): Promise<Buffer> {
  let handle
  try {
    // O_NONBLOCK: opening a FIFO to check it must not wait for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    throw new MergeRefused(`${file}: cannot be read (${codeOf(error)})`)
  }
  try {
    const st = await handle.stat()
    if (!st.isFile())
      throw new MergeRefused(`${file}: is not a regular file; give the JSON report a job wrote`)
    if (st.size > MAX_REPORT_BYTES)
      throw new MergeRefused(
        `${file}: is ${Math.ceil(st.size / 1024 / 1024)} MiB; a report may be at most ${MAX_REPORT_BYTES / 1024 / 1024} MiB`
      )
    const buffer = Buffer.alloc(Math.min(st.size, MAX_REPORT_BYTES) + 1)
    let length = 0
    // Read up to one byte past the cap: a file that grew after stat() is caught too.
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
      if (length >= buffer.length) break
    }
    if (length > st.size || length > MAX_REPORT_BYTES)
      throw new MergeRefused(`${file}: changed while it was read; merge finished reports`)
    return buffer.subarray(0, length)
  } finally {
    await handle.close()
  }
}

function codeOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  if (code === 'EISDIR') return 'is a directory'
  return code ?? 'unknown error'
}

/** The report in `bytes`, or the first thing wrong with it, as one line naming `file`. */
export function reportOf(file: string, bytes: Buffer): FullResult {
  let doc: unknown
  try {
    doc = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    // V8's message quotes the text around the error: only the position is kept.
    const at = /position (\d+)/.exec(String((error as Error).message))?.[1]
    const where = at !== undefined ? ` at byte ${at}` : bytes.length === 0 ? ' (it is empty)' : ''
    throw new MergeRefused(
      `${file}: is not valid JSON${where}; it may have been cut short (a job stopped while writing it) or is not a report`
    )
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new MergeRefused(`${file}: is not a cache-warm report (not a JSON object)`)
  const version = (doc as { schemaVersion?: unknown }).schemaVersion
  if (version !== 1)
    throw new MergeRefused(
      typeof version === 'number' && Number.isInteger(version)
        ? `${file}: has schemaVersion ${version}; this cache-warm reads schemaVersion 1 (run every job and the merge with the same version of the action)`
        : `${file}: is not a cache-warm report (it has no schemaVersion)`
    )
  // A merged report has lost what made it fail (missing shards, mismatched lists): merging it
  // again could read green. The shard reports themselves are what a merge takes.
  if ((doc as { merged?: unknown }).merged !== undefined)
    throw new MergeRefused(
      `${file}: is a merged report; merge the reports the jobs wrote, not a merge of them`
    )
  const parsed = parseReport(doc)
  if (!parsed.success)
    throw new MergeRefused(`${file}: is not a valid cache-warm report: ${firstIssue(parsed.error)}`)
  const report = { ...parsed.data, phases: parsed.data.phases ?? [] }
  const wrong = disagreement(report)
  if (wrong !== undefined)
    throw new MergeRefused(`${file}: is not a report as a job wrote it (edited?): ${wrong}`)
  return report
}
