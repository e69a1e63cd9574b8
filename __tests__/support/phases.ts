import type { RawInputs, Settings } from '../../src/config/settings.js'
import type { FollowedResponse } from '../../src/http/redirect.js'
import { NetworkError, type HttpRequest } from '../../src/http/request.js'
import type { PhaseContext } from '../../src/phases/request.js'
import type { Send } from '../../src/http/send.js'
import { FakeClock } from './clock.js'
import { settingsFrom } from './settings.js'

export const API = 'https://api.example.com'
export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0)

export interface AnswerOptions {
  readonly headers?: Record<string, string>
  /** A string is sent as is; anything else as JSON. */
  readonly body?: unknown
  readonly durationMs?: number
  readonly setCookie?: boolean
  readonly statusText?: string
  readonly blockedRedirect?: FollowedResponse['blockedRedirect']
}

/** A FollowedResponse with exactly these headers and this body (no content-type added). */
export function rawAnswer(
  status: number,
  headers: Record<string, string> = {},
  body = ''
): FollowedResponse {
  return {
    status,
    statusText: '',
    headers,
    setCookie: false,
    body: Buffer.from(body),
    truncated: false,
    bytes: body.length,
    durationMs: 5,
    finalUrl: `${API}/x`,
    redirects: 0
  }
}

/** A FollowedResponse as the HTTP layer would return it. */
export function answer(status: number, opts: AnswerOptions = {}): FollowedResponse {
  const text =
    opts.body === undefined
      ? ''
      : typeof opts.body === 'string'
        ? opts.body
        : JSON.stringify(opts.body)
  const json = opts.body !== undefined && typeof opts.body !== 'string'
  return {
    status,
    statusText: opts.statusText ?? '',
    headers: { ...(json ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    setCookie: opts.setCookie ?? false,
    body: Buffer.from(text),
    truncated: false,
    bytes: text.length,
    durationMs: opts.durationMs ?? 5,
    finalUrl: `${API}/`,
    redirects: 0,
    ...(opts.blockedRedirect ? { blockedRedirect: opts.blockedRedirect } : {})
  }
}

export type Reply = FollowedResponse | NetworkError
export type FakeSend = Send & { readonly calls: HttpRequest[] }

/**
 * A send that answers each request from `route` (by method and path), records what it was
 * asked, and fails the test on a request the route does not know (`undefined`).
 */
export function fakeSend(route: (req: HttpRequest, path: string) => Reply | undefined): FakeSend {
  const calls: HttpRequest[] = []
  const send: Send = async req => {
    calls.push(req)
    const url = new URL(req.url)
    const reply = route(req, `${url.pathname}${url.search}`)
    if (reply === undefined) throw new Error(`unexpected request ${req.method} ${req.url}`)
    if (reply instanceof NetworkError) throw reply
    return reply
  }
  return Object.assign(send, { calls })
}

/** Plays the answers in turn; the last one repeats. */
export function inTurn(...replies: Reply[]): () => Reply {
  return () => (replies.length > 1 ? (replies.shift() as Reply) : (replies[0] as Reply))
}

export function phaseSettings(raw: RawInputs = {}): Settings {
  return settingsFrom({ url: API, endpoints: '- /a', ...raw })
}

export function phaseContext(
  settings: Settings,
  send: Send,
  clock = new FakeClock(T0),
  more: Partial<PhaseContext> = {}
): PhaseContext & { readonly lines: string[]; readonly clock: FakeClock } {
  const lines: string[] = []
  return {
    settings,
    send,
    clock,
    deadlineAt: clock.now() + settings.run.deadlineMs,
    userAgent: 'cache-warm-test',
    log: line => lines.push(line),
    lines,
    ...more
  } as PhaseContext & { readonly lines: string[]; readonly clock: FakeClock }
}
