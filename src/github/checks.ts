import type { getOctokit } from '@actions/github'
import { failedGates, type FullResult } from '../result.js'
import type { Call } from './bounded.js'
import { cutToFit, utf8Bytes } from './fit.js'

export type Octokit = ReturnType<typeof getOctokit>

export interface Repo {
  readonly owner: string
  readonly repo: string
}

/** GitHub's limit for a check run's output.summary, in UTF-8 bytes. */
export const CHECK_SUMMARY_LIMIT = 65_535

export function fitSummary(markdown: string, limit = CHECK_SUMMARY_LIMIT): string {
  // ASCII: a note of known size in bytes and characters alike.
  const note =
    '\n\n... (cut to fit the check run; the job summary and the JSON report have all of it)'
  return cutToFit(markdown, limit, note, utf8Bytes)
}

/** "41/42 warmed, hit rate 78 %", the line branch protection and the PR list show. */
export function checkTitle(result: FullResult): string {
  if (result.dryRun) return `dry run: ${result.totals.total} endpoint(s) planned`
  const t = result.totals
  const parts = [`${t.passed}/${t.total} warmed`]
  if (result.metrics?.hitRate !== undefined) {
    const pct = Math.round(result.metrics.hitRate * 1000) / 10
    parts.push(`hit rate ${pct} %`)
  }
  const gates = failedGates(result).map(p => p.name)
  if (gates.length) parts.push(`${gates.join(', ')} failed`)
  if (result.stoppedBy) parts.push(`stopped: ${result.stoppedBy}`)
  return parts.join(', ')
}

/** success when the step passes and everything passed; neutral when fail-on keeps a failure green. */
export function conclusion(result: FullResult): 'success' | 'failure' | 'neutral' {
  if (result.stepFailed) return 'failure'
  return result.result === 'passed' ? 'success' : 'neutral'
}

/** Creates the check run on the deployed commit, in progress while warming. Returns its id. */
export async function startCheck(
  octokit: Octokit,
  call: Call,
  repo: Repo,
  sha: string,
  name: string,
  detailsUrl?: string
): Promise<number> {
  const { data } = await call(abortable =>
    octokit.rest.checks.create({
      ...repo,
      name,
      head_sha: sha,
      status: 'in_progress',
      started_at: new Date().toISOString(),
      ...(detailsUrl ? { details_url: detailsUrl } : {}),
      output: { title: 'warming…', summary: 'The cache warm is running.' },
      ...abortable
    })
  )
  return data.id
}

/** Completes the check run (or creates it completed, when starting it failed). */
export async function completeCheck(
  octokit: Octokit,
  call: Call,
  repo: Repo,
  id: number | undefined,
  sha: string,
  name: string,
  result: FullResult,
  summary: string,
  detailsUrl?: string
): Promise<void> {
  const body = {
    status: 'completed' as const,
    conclusion: conclusion(result),
    completed_at: new Date().toISOString(),
    ...(detailsUrl ? { details_url: detailsUrl } : {}),
    output: { title: checkTitle(result), summary: fitSummary(summary) }
  }
  if (id !== undefined)
    await call(abortable =>
      octokit.rest.checks.update({ ...repo, check_run_id: id, ...body, ...abortable })
    )
  else
    await call(abortable =>
      octokit.rest.checks.create({ ...repo, name, head_sha: sha, ...body, ...abortable })
    )
}
