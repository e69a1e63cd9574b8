import http from 'node:http'
import https from 'node:https'
import type { Readable } from 'node:stream'
import type { Settings } from '../config/settings.js'
import { formatDuration } from '../config/duration.js'
import type { RateLimiter } from '../warm/rate-limit.js'
import { MAX_REDIRECTS } from './redirect.js'
import { requestHeaders } from './send.js'

/** What opening a stream needs from the run: its agents, signal, rate limit and user agent. */
export interface StreamDeps {
  readonly agentFor?: (url: URL) => http.Agent | undefined
  readonly signal?: AbortSignal
  readonly limiter?: RateLimiter
  readonly userAgent: string
}

/** Why a stream could not be opened, in words for the phase line. */
export class FetchError extends Error {}

/**
 * Opens a GET whose body is streamed (a sitemap can be larger than any body cap), with the same
 * rules as every other request: the key and headers for the deployment's origin only, redirects
 * followed here, at most MAX_REDIRECTS and only to the same origin, never with user:password@.
 * `timeout` is idle time, not total time. Resolves with the open answer.
 */
export async function openStream(
  start: string,
  settings: Settings,
  deps: StreamDeps,
  accept: Readonly<Record<string, string>>
): Promise<{ body: Readable; encoding?: string; finalUrl: string }> {
  let url = new URL(start)
  for (let hop = 0; ; hop++) {
    await deps.limiter?.take(deps.signal)
    const headers = requestHeaders(url.href, settings, accept, deps.userAgent)
    const lib = url.protocol === 'https:' ? https : http
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = lib.request(url, {
        method: 'GET',
        headers,
        agent: deps.agentFor?.(url),
        ...(deps.signal ? { signal: deps.signal } : {})
      })
      // Idle time, not total time: a big sitemap may take longer than one timeout to stream.
      req.setTimeout(settings.request.timeoutMs, () =>
        req.destroy(
          new FetchError(`no data for ${formatDuration(settings.request.timeoutMs)} (timeout)`)
        )
      )
      req.on('response', res => {
        // A reset while the answer is drained or left unread (a redirect, a 404, a document
        // cut at sitemap-limit) must not become an uncaught 'error': reading it reports it.
        res.on('error', () => {})
        resolve(res)
      })
      req.on('error', error =>
        reject(error instanceof FetchError ? error : new FetchError(describeStreamError(error)))
      )
      req.end()
    })
    const status = res.statusCode ?? 0
    const location = res.headers.location
    if ([301, 302, 303, 307, 308].includes(status) && location) {
      res.resume()
      let next: URL
      try {
        next = new URL(location, url)
      } catch {
        throw new FetchError(`answered ${status} with a bad Location`)
      }
      // Node's http.request would turn user:password@ into an Authorization header.
      if (next.username || next.password)
        throw new FetchError(
          `answered ${status} with a Location that carries user:password@; not followed`
        )
      if (next.origin !== url.origin)
        throw new FetchError(
          `redirects to ${next.origin}, not the deployment's origin; not followed (the key stays on the deployment)`
        )
      if (hop >= MAX_REDIRECTS) throw new FetchError(`more than ${MAX_REDIRECTS} redirects`)
      next.hash = ''
      url = next
      continue
    }
    if (status < 200 || status > 299) {
      res.resume()
      throw new FetchError(`answered ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`)
    }
    const encoding = res.headers['content-encoding']
    return { body: res, ...(encoding ? { encoding } : {}), finalUrl: url.href }
  }
}

export function describeStreamError(error: unknown): string {
  const e = error as NodeJS.ErrnoException
  if (e?.name === 'AbortError') return 'stopped before it was read'
  return e?.code ?? (e instanceof Error ? e.message : String(e))
}
