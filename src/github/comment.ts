import type { Call } from './bounded.js'
import type { Octokit, Repo } from './checks.js'
import { cutToFit, utf16Units } from './fit.js'

/** The hidden line that finds this action's comment again, one per check name. */
export function commentMarker(checkName: string): string {
  return `<!-- cache-warm-action:${checkName.replace(/--/g, '-')} -->`
}

/** Kept below GitHub's limit for a comment's body, 65,536 characters. */
export const COMMENT_LIMIT = 65_000

/** Comments asked for per page, GitHub's maximum. */
export const COMMENT_PAGE_SIZE = 100
/**
 * Pages of comments searched for this action's own, at most: a pull request with thousands of
 * comments (or an API that always says there is another page) must not hold the step.
 */
export const MAX_COMMENT_PAGES = 10

/** Open pull requests the deployed commit belongs to. */
export async function pullRequestsFor(
  octokit: Octokit,
  call: Call,
  repo: Repo,
  sha: string
): Promise<number[]> {
  const { data } = await call(
    abortable =>
      octokit.rest.repos.listPullRequestsAssociatedWithCommit({
        ...repo,
        commit_sha: sha,
        ...abortable
      }),
    `listing the pull requests of ${sha.slice(0, 7)}`
  )
  return data.filter(pr => pr.state === 'open').map(pr => pr.number)
}

/**
 * The id of the comment carrying `marker`, looked for page by page and oldest first (where a
 * comment created once and then kept up to date sits). Pages are asked for by number, not by
 * following the Link header, so every page is bounded by `call` and none can go elsewhere.
 */
async function findComment(
  octokit: Octokit,
  call: Call,
  repo: Repo,
  issueNumber: number,
  marker: string
): Promise<number | undefined> {
  for (let page = 1; page <= MAX_COMMENT_PAGES; page++) {
    const { data } = await call(
      abortable =>
        octokit.rest.issues.listComments({
          ...repo,
          issue_number: issueNumber,
          per_page: COMMENT_PAGE_SIZE,
          page,
          ...abortable
        }),
      `listing the comments of #${issueNumber}, page ${page}`
    )
    const mine = data.find(c => c.body?.includes(marker))
    if (mine) return mine.id
    if (data.length < COMMENT_PAGE_SIZE) return undefined
  }
  // Adding a comment now could add one on every run: the action's own may be further down.
  const most = MAX_COMMENT_PAGES * COMMENT_PAGE_SIZE
  throw new Error(
    `#${issueNumber} has ${most} comments or more and this action's is not among the first ${most}; stopped looking and added none`
  )
}

/** Keeps one comment per pull request and check name up to date. Returns what it did. */
export async function upsertComment(
  octokit: Octokit,
  call: Call,
  repo: Repo,
  issueNumber: number,
  checkName: string,
  summary: string
): Promise<'created' | 'updated'> {
  const marker = commentMarker(checkName)
  const text = cutToFit(
    `${marker}\n${summary}`,
    COMMENT_LIMIT,
    '\n\n… (cut; the job summary has all of it)',
    utf16Units
  )
  const mine = await findComment(octokit, call, repo, issueNumber, marker)
  if (mine !== undefined) {
    await call(
      abortable =>
        octokit.rest.issues.updateComment({ ...repo, comment_id: mine, body: text, ...abortable }),
      `updating the comment on #${issueNumber}`
    )
    return 'updated'
  }
  await call(
    abortable =>
      octokit.rest.issues.createComment({
        ...repo,
        issue_number: issueNumber,
        body: text,
        ...abortable
      }),
    `commenting on #${issueNumber}`
  )
  return 'created'
}
