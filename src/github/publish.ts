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

/** Where and as whom to publish; fixed when the publisher is made. */
interface Target {
  readonly gh: GitHubContext
  readonly token: string | undefined
  readonly checkName: string
  /** Set when enabled. */
  readonly repo: Repo | undefined
  readonly sha: string | undefined
  /** A token, a repository and a commit: without all three nothing is published. */
  readonly enabled: boolean
  /** Enabled, and a check run is wanted. */
  readonly checks: boolean
  readonly comment: boolean
  /** The client, made on first use and shared by every call after. */
  readonly octokit: () => Promise<Octokit>
}

/** A piece of finish()'s work, and the warning it becomes when it fails. */
interface PublishTask {
  readonly label: string
  readonly permission: string
  readonly work: Promise<unknown>
}

function targetOf(
  settings: Pick<Settings, 'github'>,
  gh: GitHubContext,
  factory: OctokitFactory
): Target {
  const { token, checkName, prComment } = settings.github
  const repo: Repo | undefined =
    gh.owner && gh.repo ? { owner: gh.owner, repo: gh.repo } : undefined
  const enabled = Boolean(token && repo && gh.sha)
  let client: Promise<Octokit> | undefined
  return {
    gh,
    token,
    checkName,
    repo,
    sha: gh.sha,
    enabled,
    checks: enabled && checkName !== '',
    comment: enabled && prComment,
    octokit: () => (client ??= Promise.resolve().then(() => factory(token!, gh.apiUrl)))
  }
}

/** Creates the check run, in progress; resolves with its id. */
async function createCheck(target: Target, budget: Budget): Promise<number> {
  const { gh, checkName } = target
  return startCheck(
    await target.octokit(),
    budget.call,
    target.repo!,
    target.sha!,
    checkName,
    gh.runUrl
  )
}

/**
 * Waits for start()'s check run, but only half the grace. Past that, stops asking, so that the
 * check run is created completed instead.
 */
async function settleStart(
  starting: Promise<string[]>,
  startBudget: Budget | undefined,
  graceMs: number
): Promise<void> {
  if (!(await settlesWithin(starting, graceMs / 2)))
    startBudget?.abort('given up when the run ended; created completed instead')
  await starting
}

/** Completes the check run `checkId`, or creates it completed when start() left none. */
function completeTask(
  target: Target,
  budget: Budget,
  checkId: number | undefined,
  result: FullResult,
  summary: string
): PublishTask {
  const { gh, checkName } = target
  return {
    label: `could not complete the check run "${checkName}"`,
    permission: 'checks: write',
    work: budget.within(
      (async () =>
        completeCheck(
          await target.octokit(),
          budget.call,
          target.repo!,
          checkId,
          target.sha!,
          checkName,
          result,
          summary,
          gh.runUrl
        ))()
    )
  }
}

/** Puts the summary in a comment on the event's pull request, or on each PR of the commit. */
function commentTask(target: Target, budget: Budget, summary: string): PublishTask {
  const { gh, repo, sha } = target
  return {
    label: 'could not update the pull request comment',
    permission: 'pull-requests: write',
    work: budget.within(
      (async () => {
        const numbers =
          gh.pullRequest !== undefined
            ? [gh.pullRequest]
            : await pullRequestsFor(await target.octokit(), budget.call, repo!, sha!)
        for (const n of numbers)
          await upsertComment(
            await target.octokit(),
            budget.call,
            repo!,
            n,
            target.checkName || 'Cache warm',
            summary
          )
      })()
    )
  }
}

/** Runs the tasks side by side; each one that fails becomes one warning. */
async function warningsOf(tasks: PublishTask[], token: string | undefined): Promise<string[]> {
  const settled = await Promise.allSettled(tasks.map(t => t.work))
  return settled.flatMap((s, i) =>
    s.status === 'rejected'
      ? [`${tasks[i]!.label}: ${why(s.reason, tasks[i]!.permission, token)}`]
      : []
  )
}

export function makePublisher(
  settings: Pick<Settings, 'github'>,
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
  const target = targetOf(settings, gh, factory)
  let checkId: number | undefined
  let starting: Promise<string[]> = Promise.resolve([])
  let startBudget: Budget | undefined

  return {
    start() {
      if (!target.checks) return starting
      const budget = makeBudget({
        endAt: deadlineAt,
        now,
        requestTimeoutMs,
        limit: "the run's deadline"
      })
      startBudget = budget
      starting = budget.within(createCheck(target, budget)).then(
        id => {
          checkId = id
          return []
        },
        (error: unknown) => [
          `could not create the check run "${target.checkName}": ${why(error, 'checks: write', target.token)}`
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
      // Created while warming: complete that one once it exists.
      if (target.checks) await settleStart(starting, startBudget, graceMs)
      const tasks: PublishTask[] = []
      if (target.checks) tasks.push(completeTask(target, budget, checkId, result, summary))
      if (target.comment) tasks.push(commentTask(target, budget, summary))
      return warningsOf(tasks, target.token)
    }
  }
}
