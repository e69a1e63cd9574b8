import type { Settings } from '../config/settings.js'
import { errorMessage } from '../errors.js'
import type { FullResult } from '../result.js'
import { completeCheck, startCheck, type Octokit, type Repo } from './checks.js'
import { pullRequestsFor, upsertComment } from './comment.js'
import type { GitHubContext } from './context.js'

/**
 * The check run and the PR comment. Nothing here may sink the warm: every call is settled and a
 * failure becomes a warning that says which permission is likely missing.
 */
export interface Publisher {
  start(): Promise<string[]>
  finish(result: FullResult, summary: string): Promise<string[]>
}

export type OctokitFactory = (token: string, apiUrl: string) => Octokit | Promise<Octokit>

// Loaded only when a check run or comment is wanted: Octokit is most of the bundle's start-up.
const defaultFactory: OctokitFactory = async (token, apiUrl) => {
  const { getOctokit } = await import('@actions/github')
  return getOctokit(token, { baseUrl: apiUrl })
}

function why(error: unknown, permission: string): string {
  const status = (error as { status?: number }).status
  const text = errorMessage(error).split('\n')[0] ?? ''
  if (status === 403 || status === 404)
    return `${status} ${text}; give the job \`permissions: ${permission}\``
  return status ? `${status} ${text}` : text
}

export function makePublisher(
  settings: Settings,
  gh: GitHubContext,
  factory: OctokitFactory = defaultFactory
): Publisher {
  const { githubToken: token, checkName, prComment } = settings
  const repo: Repo | undefined =
    gh.owner && gh.repo ? { owner: gh.owner, repo: gh.repo } : undefined
  const sha = gh.sha
  const enabled = Boolean(token && repo && sha)
  let client: Promise<Octokit> | undefined
  const octokit = (): Promise<Octokit> =>
    (client ??= Promise.resolve().then(() => factory(token!, gh.apiUrl)))
  const checks = enabled && checkName !== ''
  let checkId: number | undefined
  let starting: Promise<string[]> = Promise.resolve([])

  return {
    start() {
      if (!checks) return starting
      starting = (async () => {
        try {
          checkId = await startCheck(await octokit(), repo!, sha!, checkName, gh.runUrl)
          return []
        } catch (error) {
          return [`could not create the check run "${checkName}": ${why(error, 'checks: write')}`]
        }
      })()
      return starting
    },

    async finish(result, summary) {
      // The check run is created while warming; complete it only once it exists.
      await starting
      const tasks: Promise<unknown>[] = []
      const labels: string[] = []
      if (checks) {
        labels.push(`could not complete the check run "${checkName}"`)
        tasks.push(
          octokit().then(o =>
            completeCheck(o, repo!, checkId, sha!, checkName, result, summary, gh.runUrl)
          )
        )
      }
      if (enabled && prComment) {
        labels.push('could not update the pull request comment')
        tasks.push(
          (async () => {
            const numbers =
              gh.pullRequest !== undefined
                ? [gh.pullRequest]
                : await pullRequestsFor(await octokit(), repo!, sha!)
            for (const n of numbers)
              await upsertComment(await octokit(), repo!, n, checkName || 'Cache warm', summary)
          })()
        )
      }
      const settled = await Promise.allSettled(tasks)
      return settled.flatMap((s, i) =>
        s.status === 'rejected'
          ? [
              `${labels[i]}: ${why(s.reason, i === 0 && checks ? 'checks: write' : 'pull-requests: write')}`
            ]
          : []
      )
    }
  }
}
