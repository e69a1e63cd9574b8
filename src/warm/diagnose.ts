import { MAX_REDIRECTS, type FollowedResponse, type Protection } from '../http/redirect.js'
import { describeNetworkError, type NetworkError } from '../http/request.js'
import { formatDuration } from '../config/duration.js'
import { clip } from '../secrets.js'

export interface Diagnosis {
  readonly reason: string
  readonly cause: string
}

export interface DiagnoseContext {
  readonly method: string
  readonly path: string
  readonly apiKeyHeader: string
  readonly apiKeySent: boolean
  readonly attempts: number
  /** Redacts the run's secrets: the server's words are redacted before they are shortened. */
  readonly redact?: (text: string) => string
}

/** Routes that do something rather than serve data usually want POST. */
const ACTION_ROUTE =
  /(warm-?up|prewarm|warm|refresh|purge|invalidate|trigger|seed|rebuild|flush)(\/|$|\?)/i

/** What to do when an access gate stands in front of the deployment (docs/protected.md). */
export const PROTECTION_HINT: Readonly<Record<Protection, string>> = {
  'cloudflare-access':
    'behind Cloudflare Access: add a service token (CF-Access-Client-Id and CF-Access-Client-Secret in headers); if they are set, the token is wrong, expired or not allowed by a Service Auth policy',
  vercel:
    "behind Vercel deployment protection: add x-vercel-protection-bypass in headers (the project's Protection Bypass for Automation secret); if it is set, the secret is wrong or was regenerated"
}

/** Marks of Vercel's own login answer, not the deployment's: its SSO nonce, its SSO link. */
const VERCEL_LOGIN = /_vercel_sso_nonce|vercel\.com\/sso-api|vercel\.com\/login/i

/**
 * A 401/403 from Vercel deployment protection (its login page, before the deployment runs)
 * rather than from the deployment refusing the key: Vercel's SSO nonce cookie or SSO link,
 * from a Vercel server.
 */
export function vercelProtection(res: FollowedResponse): boolean {
  if (res.status !== 401 && res.status !== 403) return false
  if (/(^|[\s,;])_vercel_sso_nonce=/i.test(res.headers['set-cookie'] ?? '')) return true
  const fromVercel = /vercel/i.test(res.headers.server ?? '') || 'x-vercel-id' in res.headers
  if (!fromVercel) return false
  return VERCEL_LOGIN.test(res.body.toString('latin1', 0, Math.min(res.body.length, 16_384)))
}

function attemptsText(n: number): string {
  return n === 1 ? '1 attempt' : `${n} attempts`
}

/**
 * The server's own words from a JSON error body (`error`, `message`, `detail`), on one line and
 * shortened; redacted first (raw, then once more after the whitespace is collapsed, which can
 * re-join a secret the server split across lines), then cut.
 */
export function serverMessage(
  res: FollowedResponse,
  redact: (text: string) => string = s => s
): string | undefined {
  const text = res.body.toString('utf8', 0, Math.min(res.body.length, 4096)).trim()
  if (text === '') return undefined
  let said: unknown
  try {
    const doc = JSON.parse(text) as Record<string, unknown>
    said = doc?.error ?? doc?.message ?? doc?.detail ?? doc?.title
    if (said && typeof said === 'object') said = (said as Record<string, unknown>).message
  } catch {
    if (!/^\s*</.test(text)) said = text
  }
  if (typeof said !== 'string' || said.trim() === '') return undefined
  return clip(redact(said).replace(/\s+/g, ' ').trim(), 120, redact)
}

function allowed(res: FollowedResponse): string[] {
  const allow = res.headers.allow
  if (!allow) return []
  return allow
    .split(',')
    .map(m => m.trim().toUpperCase())
    .filter(m => m !== '' && m !== 'OPTIONS' && m !== 'HEAD')
}

/** Explains an answer whose status was not accepted, in words a user can act on. */
export function diagnoseStatus(res: FollowedResponse, ctx: DiagnoseContext): Diagnosis {
  const said = serverMessage(res, ctx.redact)
  const quote = said ? ` (server said: "${said}")` : ''
  const line = `${ctx.method} ${ctx.path} returned ${res.status}`
  const status = res.status

  if (status === 401 || status === 403) {
    const verb = status === 401 ? 'unauthorized' : 'forbidden'
    if (vercelProtection(res))
      return { reason: `${line} (${verb}): ${PROTECTION_HINT.vercel}`, cause: `http-${status}` }
    if (!ctx.apiKeySent) {
      return {
        reason: `${line} (${verb}): no api-key was given, so no ${ctx.apiKeyHeader} header was sent; set api-key to the deployment's key${quote}`,
        cause: `http-${status}`
      }
    }
    return {
      reason: `${line} (${verb}): the key sent in header ${ctx.apiKeyHeader} was refused; check the api-key secret and api-key-header${quote}`,
      cause: `http-${status}`
    }
  }
  if (status === 404 || status === 405) {
    const others = allowed(res).filter(m => m !== ctx.method)
    let hint: string
    if (others.length > 0)
      hint = `; the server allows ${others.join(', ')} here, set method: ${others[0]}`
    else if (status === 405)
      hint = `; the route exists but not for ${ctx.method}${ctx.method === 'GET' ? ', it may need POST' : ''}`
    else if (ctx.method === 'GET' && ACTION_ROUTE.test(ctx.path))
      hint = '; this route may need POST'
    else hint = '; check the path and the method'
    return { reason: `${line}${hint}${quote}`, cause: `http-${status}` }
  }
  if (status === 429) {
    const after = res.headers['retry-after']
    return {
      reason: `${line} (rate limited) after ${attemptsText(ctx.attempts)}${after ? `; Retry-After: ${after}` : ''}; lower concurrency or raise retries${quote}`,
      cause: 'http-429'
    }
  }
  if (status >= 500) {
    return {
      reason: `${line}${res.statusText ? ` ${res.statusText}` : ''} after ${attemptsText(ctx.attempts)}${quote}`,
      cause: `http-${status}`
    }
  }
  if (status >= 300 && status < 400) {
    return { reason: `${line} (a redirect with no Location header)`, cause: 'redirect' }
  }
  return {
    reason: `${line}, which the endpoint's expect.status does not accept${quote}`,
    cause: `http-${status}`
  }
}

export function diagnoseRedirect(res: FollowedResponse, ctx: DiagnoseContext): Diagnosis {
  const blocked = res.blockedRedirect
  const line = `${ctx.method} ${ctx.path} redirected (${res.status})`
  switch (blocked?.why) {
    case 'other-origin':
      if (blocked.protection)
        return {
          reason: `${line} to ${blocked.location}: ${PROTECTION_HINT[blocked.protection]}; not followed (the key and headers withheld)`,
          cause: 'redirect-other-origin'
        }
      return {
        reason: `${line} to ${blocked.location}; not followed because it leaves the deployment's origin (key withheld)`,
        cause: 'redirect-other-origin'
      }
    case 'scheme':
      return {
        reason: `${line} to a ${blocked.location} URL; not followed`,
        cause: 'redirect-scheme'
      }
    case 'userinfo':
      return {
        reason: `${line} to ${blocked.location} with user:password@ in the URL; not followed (it would be sent as an Authorization header)`,
        cause: 'redirect-userinfo'
      }
    case 'too-many':
      return {
        reason: `${line} more than ${MAX_REDIRECTS} times; stopped (a redirect loop?)`,
        cause: 'redirect-loop'
      }
    default:
      return { reason: `${line} to an invalid Location; not followed`, cause: 'redirect' }
  }
}

export function diagnoseNetwork(
  error: NetworkError,
  ctx: DiagnoseContext & { timeoutMs: number }
): Diagnosis {
  const what =
    error.kind === 'timeout'
      ? `timed out after ${formatDuration(ctx.timeoutMs)}`
      : describeNetworkError(error.kind)
  // sendOnce's messages already start with the same words ("connection refused (ECONNREFUSED)").
  const said =
    error.kind === 'timeout' || error.kind === 'aborted'
      ? what
      : error.message.startsWith(what)
        ? error.message
        : `${what} (${error.message})`
  return {
    reason: `${ctx.method} ${ctx.path} ${said}, after ${attemptsText(ctx.attempts)}`,
    cause: error.kind
  }
}
