import { sendOnce, type HttpRequest, type HttpResponse, type SendOptions } from './request.js'

export const MAX_REDIRECTS = 5
const REDIRECTS = new Set([301, 302, 303, 307, 308])

export interface FollowedResponse extends HttpResponse {
  /** The URL that gave this answer, after same-origin redirects. */
  readonly finalUrl: string
  readonly redirects: number
  /** Set when a redirect was not followed; the answer is then the redirect itself. */
  readonly blockedRedirect?: {
    readonly location: string
    readonly why: 'other-origin' | 'scheme' | 'too-many' | 'bad-location' | 'userinfo'
    /** The other origin is the login of an access gate in front of the deployment. */
    readonly protection?: Protection
  }
}

/** An access gate in front of a preview or staging deployment, known by its login page. */
export type Protection = 'cloudflare-access' | 'vercel'

/**
 * The gate whose login a redirect points at: Cloudflare Access (`<team>.cloudflareaccess.com`)
 * or Vercel deployment protection (`vercel.com/sso-api`, `vercel.com/login`). Judged here from
 * the whole URL because only its origin is kept (the rest can carry the key).
 */
export function protectionOf(url: URL): Protection | undefined {
  const host = url.hostname.toLowerCase().replace(/\.$/, '')
  if (host === 'cloudflareaccess.com' || host.endsWith('.cloudflareaccess.com'))
    return 'cloudflare-access'
  if (
    (host === 'vercel.com' || host.endsWith('.vercel.com')) &&
    /^\/(sso-api|login|sso)\b/.test(url.pathname)
  )
    return 'vercel'
  return undefined
}

/**
 * Sends a request and follows redirects itself: at most MAX_REDIRECTS, and only to the same
 * origin. A redirect elsewhere is returned unfollowed, so the key never leaves the deployment.
 * The timeout covers the whole chain.
 */
export async function sendFollowing(
  req: HttpRequest,
  opts: SendOptions
): Promise<FollowedResponse> {
  const now = opts.now ?? Date.now
  const started = now()
  let current: HttpRequest = req
  for (let hop = 0; ; hop++) {
    const left = Math.max(1, opts.timeoutMs - (now() - started))
    const res = await sendOnce(
      current,
      left === opts.timeoutMs ? opts : { ...opts, timeoutMs: left }
    )
    const location = res.headers.location
    if (!REDIRECTS.has(res.status) || location === undefined)
      return followed(res, now() - started, current.url, hop)
    // Parsed only when there is a redirect to judge: most answers have none.
    const origin = new URL(req.url).origin
    const done = (
      why: NonNullable<FollowedResponse['blockedRedirect']>['why'],
      where: string,
      protection?: Protection
    ): FollowedResponse =>
      followed(res, now() - started, current.url, hop, {
        location: where,
        why,
        ...(protection ? { protection } : {})
      })
    let next: URL
    try {
      next = new URL(location, current.url)
    } catch {
      return done('bad-location', location)
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:')
      return done('scheme', `${next.protocol}…`)
    // Where it pointed is shown as its origin only: a hostile Location carries the key in its
    // path or query, and the URL parser cuts a key at "?" or "#" into pieces no redaction sees.
    if (next.origin !== origin) return done('other-origin', next.origin, protectionOf(next))
    // Node turns user:password@ into an Authorization header: never send the server's own
    // credentials back, and never show them.
    if (next.username || next.password) return done('userinfo', next.origin)
    if (hop >= MAX_REDIRECTS) return done('too-many', next.origin)
    next.hash = ''
    const toGet =
      res.status === 303 ||
      ((res.status === 301 || res.status === 302) && current.method === 'POST')
    current = toGet
      ? {
          method: current.method === 'HEAD' ? 'HEAD' : 'GET',
          url: next.href,
          headers: withoutBodyHeaders(current.headers)
        }
      : { ...current, url: next.href }
  }
}

/**
 * The answer as a FollowedResponse, field by field in one order. Not `{ ...res, ... }`: a spread
 * of the answer gave each copy a hidden class of its own (see answeredResult in
 * warm/endpoint.ts), and every answer goes through here.
 */
function followed(
  res: HttpResponse,
  durationMs: number,
  finalUrl: string,
  redirects: number,
  blockedRedirect?: FollowedResponse['blockedRedirect']
): FollowedResponse {
  const out: FollowedResponse = {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
    setCookie: res.setCookie,
    body: res.body,
    truncated: res.truncated,
    bytes: res.bytes,
    durationMs,
    finalUrl,
    redirects
  }
  return blockedRedirect ? { ...out, blockedRedirect } : out
}

function withoutBodyHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'content-type') out[k] = v
  return out
}
