import type { Settings } from '../config/settings.js'
import { errorMessage } from '../errors.js'
import type { FullResult } from '../result.js'
import { duration, GITHUB_REQUEST_TIMEOUT_MS, makeBudget, type Budget } from './bounded.js'
import { completeCheck, startCheck, type Octokit, type Repo } from './checks.js'
import { pullRequestsFor, upsertComment } from './comment.js'
import type { GitHubContext } from './context.js'

/**
 * The check run and the PR comment. Nothing here may sink the warm: every call is settled and a
 * failure becomes a warning that says which permission is likely missing. Nothing here may
 * outlast the run either: start() is over by the run's deadline, finish() within
 * PUBLISH_GRACE_MS, whatever GitHub does.
 */
export interface Publisher {
  start(): Promise<string[]>
  finish(result: FullResult, summary: string): Promise<string[]>
}

/** How long finish() may take, all of it: the step ends within the deadline plus this. */
export const PUBLISH_GRACE_MS = 15_000

export interface PublisherOptions {
  /** Epoch milliseconds: start() stops waiting for GitHub then. Default: no deadline. */
  readonly deadlineAt?: number
  readonly now?: () => number
  /** The longest one GitHub request may take. Default GITHUB_REQUEST_TIMEOUT_MS. */
  readonly requestTimeoutMs?: number
  /** How long finish() may take in all. Default PUBLISH_GRACE_MS. */
  readonly graceMs?: number
}

export type OctokitFactory = (token: string, apiUrl: string) => Octokit | Promise<Octokit>

// Loaded only when a check run or comment is wanted: Octokit is most of the bundle's start-up.
const defaultFactory: OctokitFactory = async (token, apiUrl) => {
  const { getOctokit } = await import('@actions/github')
  return getOctokit(token, { baseUrl: apiUrl })
}

function why(error: unknown, permission: string, token: string | undefined): string {
  const status = (error as { status?: number }).status
  // The message only, never the request; and a server that echoes the token gets it cut out.
  const line = errorMessage(error).split('\n')[0] ?? ''
  const text = token ? line.split(token).join('***') : line
  if (status === 403 || status === 404)
    return `${status} ${text}; give the job \`permissions: ${permission}\``
  return status ? `${status} ${text}` : text
}

/** Resolves true when `work` settles within `ms`, false otherwise; never rejects. */
function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    work.then(
      () => true,
      () => true
    ),
    new Promise<boolean>(resolve => (timer = setTimeout(() => resolve(false), Math.max(0, ms))))
  ]).finally(() => clearTimeout(timer))
}

export function makePublisher(
  settings: Settings,
  gh: GitHubContext,
  factory: OctokitFactory = defaultFactory,
  options: PublisherOptions = {}
): Publisher {
  const {
    deadlineAt = Number.POSITIVE_INFINITY,
    now = Date.now,
    requestTimeoutMs = GITHUB_REQUEST_TIMEOUT_MS,
    graceMs = PUBLISH_GRACE_MS
  } = options
  const { token, checkName, prComment } = settings.github
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
  let startBudget: Budget | undefined

  return {
    start() {
      if (!checks) return starting
      const budget = makeBudget({
        endAt: deadlineAt,
        now,
        requestTimeoutMs,
        limit: "the run's deadline"
      })
      startBudget = budget
      starting = budget
        .within(
          (async () =>
            startCheck(await octokit(), budget.call, repo!, sha!, checkName, gh.runUrl))()
        )
        .then(
          id => {
            checkId = id
            return []
          },
          (error: unknown) => [
            `could not create the check run "${checkName}": ${why(error, 'checks: write', token)}`
          ]
        )
      return starting
    },

    async finish(result, summary) {
      const budget = makeBudget({
        endAt: now() + graceMs,
        now,
        requestTimeoutMs,
        limit: `the ${duration(graceMs)} allowed after the run`
      })
      if (checks) {
        // Created while warming: complete that one once it exists, but wait for it only half
        // the grace. Past that, stop asking and create the check run completed instead.
        if (!(await settlesWithin(starting, graceMs / 2)))
          startBudget?.abort('given up when the run ended; created completed instead')
        await starting
      }
      const tasks: { label: string; permission: string; work: Promise<unknown> }[] = []
      if (checks) {
        tasks.push({
          label: `could not complete the check run "${checkName}"`,
          permission: 'checks: write',
          work: budget.within(
            (async () =>
              completeCheck(
                await octokit(),
                budget.call,
                repo!,
                checkId,
                sha!,
                checkName,
                result,
                summary,
                gh.runUrl
              ))()
          )
        })
      }
      if (enabled && prComment) {
        tasks.push({
          label: 'could not update the pull request comment',
          permission: 'pull-requests: write',
          work: budget.within(
            (async () => {
              const numbers =
                gh.pullRequest !== undefined
                  ? [gh.pullRequest]
                  : await pullRequestsFor(await octokit(), budget.call, repo!, sha!)
              for (const n of numbers)
                await upsertComment(
                  await octokit(),
                  budget.call,
                  repo!,
                  n,
                  checkName || 'Cache warm',
                  summary
                )
            })()
          )
        })
      }
      const settled = await Promise.allSettled(tasks.map(t => t.work))
      return settled.flatMap((s, i) =>
        s.status === 'rejected'
          ? [`${tasks[i]!.label}: ${why(s.reason, tasks[i]!.permission, token)}`]
          : []
      )
    }
  }
}
