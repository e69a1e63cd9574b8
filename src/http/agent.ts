import type http from 'node:http'
import { HttpClient } from '@actions/http-client'
import { USER_AGENT } from '../version.js'

export interface Agents {
  readonly agentFor: (url: URL) => http.Agent | undefined
  readonly dispose: () => void
}

/**
 * Keep-alive agents sized to `concurrency` that honour HTTPS_PROXY / HTTP_PROXY / NO_PROXY the
 * way @actions/http-client does. Only the agent is borrowed: redirects are never followed by
 * the client (it would carry X-API-Key to other hosts); see redirect.ts.
 */
export function proxyAwareAgents(concurrency: number): Agents {
  const client = new HttpClient(USER_AGENT, [], {
    keepAlive: true,
    maxSockets: concurrency,
    allowRedirects: false
  })
  return {
    agentFor: url => client.getAgent(url.href),
    dispose: () => client.dispose()
  }
}
