import { readFileSync } from 'node:fs'
import { deployedCommit, pullRequestNumber } from './event.js'

/** The run's GitHub facts, read once from the environment the runner sets. */
export interface GitHubContext {
  readonly eventName?: string
  readonly payload?: Record<string, unknown>
  readonly owner?: string
  readonly repo?: string
  readonly sha?: string
  readonly pullRequest?: number
  readonly apiUrl: string
  readonly runUrl?: string
}

export function readGitHubContext(env: NodeJS.ProcessEnv): GitHubContext {
  let payload: Record<string, unknown> | undefined
  if (env.GITHUB_EVENT_PATH) {
    try {
      payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as Record<string, unknown>
    } catch {
      payload = undefined
    }
  }
  const eventName = env.GITHUB_EVENT_NAME || undefined
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/')
  const server = env.GITHUB_SERVER_URL || 'https://github.com'
  const sha = deployedCommit(eventName, payload, env.GITHUB_SHA || undefined)
  const pr = pullRequestNumber(eventName, payload)
  return {
    ...(eventName ? { eventName } : {}),
    ...(payload ? { payload } : {}),
    ...(owner && repo ? { owner, repo } : {}),
    ...(sha ? { sha } : {}),
    ...(pr !== undefined ? { pullRequest: pr } : {}),
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    ...(owner && repo && env.GITHUB_RUN_ID
      ? { runUrl: `${server}/${owner}/${repo}/actions/runs/${env.GITHUB_RUN_ID}` }
      : {})
  }
}
