import * as glob from '@actions/glob'
import path from 'node:path'
import { MergeRefused } from '../errors.js'
import { MAX_REPORTS } from './read.js'

/**
 * The files `merge-reports` names: GitHub's own glob (@actions/glob, as actions/cache and
 * upload-artifact read `path`), a pattern a line, `!` lines excluding, relative patterns from
 * the workspace. Files only, sorted, each once; more than MAX_REPORTS is refused, and the walk
 * stops there. Runner glue: the CLI takes the files its shell expanded.
 */
export async function findReports(
  patterns: readonly string[],
  workspace: string
): Promise<string[]> {
  const rooted = patterns.map(p => {
    const negated = p.startsWith('!')
    const body = negated ? p.slice(1) : p
    const full = path.isAbsolute(body) || body.startsWith('~') ? body : path.join(workspace, body)
    return `${negated ? '!' : ''}${full}`
  })
  const globber = await glob.create(rooted.join('\n'), {
    matchDirectories: false,
    implicitDescendants: false,
    omitBrokenSymbolicLinks: true
  })
  const found = new Set<string>()
  for await (const file of globber.globGenerator()) {
    found.add(file)
    if (found.size > MAX_REPORTS)
      throw new MergeRefused(
        `finds more than ${MAX_REPORTS} files; at most ${MAX_REPORTS} reports are merged at once (narrow the glob, e.g. reports/**/cache-warm-report.json)`
      )
  }
  if (found.size === 0)
    throw new MergeRefused(
      `${patterns.join(', ')} finds no file (looked in ${workspace}); download the jobs' report artifacts first (actions/download-artifact)`
    )
  return [...found].sort()
}

/** A file as the summary shows it: relative to the workspace when inside it. */
export function shownPath(file: string, workspace: string): string {
  const rel = path.relative(workspace, file)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file
}
