/**
 * What the triggering event says about the deployment: its URL, its commit, its pull request.
 * Pure: takes the event name and payload as plain data.
 */
export type UrlFromEvent =
  | { readonly kind: 'url'; readonly url: string; readonly from: string }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'none'; readonly reason: string }

type Payload = Record<string, unknown> | undefined

function field(payload: Payload, ...path: string[]): unknown {
  let node: unknown = payload
  for (const key of path) {
    if (!node || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

/** The deployment URL when `url` is empty: only a successful deployment_status carries one. */
export function urlFromEvent(eventName: string | undefined, payload: Payload): UrlFromEvent {
  if (eventName === 'deployment_status') {
    const state = text(field(payload, 'deployment_status', 'state')) ?? 'unknown'
    const environment = text(field(payload, 'deployment', 'environment')) ?? 'the deployment'
    if (state !== 'success') {
      return {
        kind: 'skip',
        reason: `deployment_status for ${environment} is "${state}", not success: nothing to warm yet`
      }
    }
    // Only environment_url is the deployment. target_url is, by GitHub's definition, where to
    // follow the deployment's status (a log page, a dashboard): the key must never go there.
    const env = text(field(payload, 'deployment_status', 'environment_url'))
    if (!env) {
      return {
        kind: 'none',
        reason:
          "is empty and the deployment_status event has no environment_url (target_url is the deployment's log page, so the key is never sent there); set url to the deployment's own URL, e.g. url: https://preview.example.com"
      }
    }
    if (!/^https?:\/\//i.test(env) || !URL.canParse(env)) {
      // The value is not echoed: whatever the deployer wrote there may carry credentials.
      // host:port is no scheme.
      const scheme = /^([a-z][a-z0-9+.-]*):(?!\d)/i.exec(env)?.[1]?.toLowerCase()
      const problem =
        scheme === 'http' || scheme === 'https'
          ? 'it does not parse as a URL'
          : scheme
            ? `its scheme is ${scheme}:`
            : 'it has no http:// or https://'
      return {
        kind: 'none',
        reason: `is empty and the deployment_status event's environment_url is not an http(s) URL (${problem}); set url to the deployment's own URL`
      }
    }
    return { kind: 'url', url: env, from: 'deployment_status.environment_url' }
  }
  return {
    kind: 'none',
    reason: `is required${eventName ? ` on a ${eventName} event` : ''}; give the deployment URL (e.g. url: \${{ steps.deploy.outputs.deployment-url }}); only a deployment_status event can supply it`
  }
}

/** The commit that was deployed: the deployment's, the pull request head's, or GITHUB_SHA. */
export function deployedCommit(
  eventName: string | undefined,
  payload: Payload,
  fallback: string | undefined
): string | undefined {
  if (eventName === 'deployment_status' || eventName === 'deployment') {
    return text(field(payload, 'deployment', 'sha')) ?? fallback
  }
  if (eventName === 'pull_request' || eventName === 'pull_request_target') {
    return text(field(payload, 'pull_request', 'head', 'sha')) ?? fallback
  }
  return fallback
}

/** The pull request number on pull_request events. */
export function pullRequestNumber(
  eventName: string | undefined,
  payload: Payload
): number | undefined {
  if (eventName !== 'pull_request' && eventName !== 'pull_request_target') return undefined
  const n = field(payload, 'pull_request', 'number') ?? field(payload, 'number')
  return typeof n === 'number' ? n : undefined
}
