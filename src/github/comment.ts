import type { Octokit, Repo } from './checks.js'

/** The hidden line that finds this action's comment again, one per check name. */
export function commentMarker(checkName: string): string {
  return `<!-- cache-warm-action:${checkName.replace(/--/g, '-')} -->`
}

export const COMMENT_LIMIT = 65_000

/** Open pull requests the deployed commit belongs to. */
export async function pullRequestsFor(
  octokit: Octokit,
  repo: Repo,
  sha: string
): Promise<number[]> {
  const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
    ...repo,
    commit_sha: sha
  })
  return data.filter(pr => pr.state === 'open').map(pr => pr.number)
}

/** Keeps one comment per pull request and check name up to date. Returns what it did. */
export async function upsertComment(
  octokit: Octokit,
  repo: Repo,
  issueNumber: number,
  checkName: string,
  summary: string
): Promise<'created' | 'updated'> {
  const marker = commentMarker(checkName)
  let text = `${marker}\n${summary}`
  if (text.length > COMMENT_LIMIT)
    text = `${text.slice(0, COMMENT_LIMIT - 80)}\n\n… (cut; the job summary has all of it)`
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    ...repo,
    issue_number: issueNumber,
    per_page: 100
  })
  const mine = comments.find(c => c.body?.includes(marker))
  if (mine) {
    await octokit.rest.issues.updateComment({ ...repo, comment_id: mine.id, body: text })
    return 'updated'
  }
  await octokit.rest.issues.createComment({ ...repo, issue_number: issueNumber, body: text })
  return 'created'
}
