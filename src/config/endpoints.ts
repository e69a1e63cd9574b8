import { z } from 'zod'
import { expectSchema, type Expect } from './expect.js'
import { firstIssue, formatPath, shownKey } from './issues.js'
import { joinUrl } from './url.js'
import { InputError } from '../errors.js'
import { isSecretHeader } from '../secrets.js'

export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const
export type Priority = (typeof PRIORITIES)[number]

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
export type Method = (typeof METHODS)[number]
const BODY_METHODS = new Set<string>(['POST', 'PUT', 'PATCH', 'DELETE'])

const ITEM_KEYS = ['path', 'method', 'priority', 'body', 'headers', 'expect', 'name'] as const

/** One endpoint as the user wrote it, resolved against the deployment's base URL. */
export interface EndpointSpec {
  /** Where it was written, for messages: `endpoints[3]`, `endpoints-file.critical[0]`. */
  readonly source: string
  readonly method: Method
  /** Path and query as shown to people, relative to the deployment. */
  readonly path: string
  readonly url: string
  readonly priority: Priority
  readonly name?: string
  readonly body?: string
  readonly headers: Readonly<Record<string, string>>
  readonly expect?: Expect
}

/** An error in the endpoint list: `where` is a path such as `[3].priority`. */
export class EndpointsError extends Error {
  constructor(
    readonly where: string,
    detail: string
  ) {
    super(`${where}${where ? ': ' : ''}${detail}`)
  }
}

export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** The header that carries `version-override` (Cloudflare's gradual-deployment override). */
export const VERSION_OVERRIDE_HEADER = 'Cloudflare-Workers-Version-Overrides'

/**
 * Headers no input may set: the HTTP stack writes them (Host, Content-Length, ...) or they change
 * how the request is framed or routed (Transfer-Encoding, Expect, Upgrade, ...).
 */
export const FRAMING_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection'
])

/**
 * Headers `api-key-header` may not name either: the action sets them on its own requests
 * (src/warm/endpoint.ts requestHeaders, the sitemap loader, JSON bodies), so the key would be
 * overwritten, or would overwrite them.
 */
export const ACTION_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'accept-encoding',
  'user-agent',
  'accept',
  VERSION_OVERRIDE_HEADER.toLowerCase()
])

/** What Node's http accepts in a header value: tab, 0x20-0x7E and 0x80-0xFF (latin1). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

/** `U+20AC` */
function codePoint(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`
}

/**
 * Where `text` first breaks `allowed`, as `position 5, U+20AC` (1-based, in characters), so a
 * message can point at the mistake without printing the value, which may be a secret.
 */
function firstBad(text: string, allowed: (c: number) => boolean): string | undefined {
  let at = 0
  for (const ch of text) {
    at++
    const c = ch.codePointAt(0)!
    if (!allowed(c)) return `position ${at}, ${codePoint(c)}`
  }
  return undefined
}

/**
 * Why `value` cannot go in an HTTP header (Node's http would throw ERR_INVALID_CHAR only when
 * sending, after a full timeout), as `(position 5, U+20AC)`; undefined when it can.
 */
export function headerValueProblem(value: string): string | undefined {
  if (HEADER_VALUE.test(value)) return undefined
  const at = firstBad(value, c => c === 9 || (c >= 0x20 && c <= 0x7e) || (c >= 0x80 && c <= 0xff))
  return at && `contains a character an HTTP header cannot carry (${at})`
}

/**
 * Why a secret (the key, a secret header's value) cannot be sent as it is: beyond printable
 * ASCII, servers read header bytes differently (latin1 or UTF-8), so the key would not arrive
 * as written and its echo would come back in a form no redaction can predict.
 */
export function secretValueProblem(value: string): string | undefined {
  const problem = headerValueProblem(value)
  if (problem) return problem
  const at = firstBad(value, c => c >= 0x20 && c <= 0x7e)
  return (
    at &&
    `contains a character outside printable ASCII (${at}); a secret must be printable ASCII, which every server reads the same way`
  )
}

/** Why `name` is not a header name, without echoing it; undefined when it is one. */
export function headerNameProblem(name: string): string | undefined {
  if (HEADER_NAME.test(name)) return undefined
  if (name === '') return "is empty; a header name is letters, digits and !#$%&'*+-.^_`|~"
  const at = firstBad(name, c => c < 0x80 && HEADER_NAME.test(String.fromCharCode(c)))
  return `is not a valid header name (${at}); a header name is letters, digits and !#$%&'*+-.^_\`|~`
}

/** Why `api-key-header` cannot carry the key; undefined when it can. */
export function keyHeaderProblem(name: string): string | undefined {
  const bad = headerNameProblem(name)
  if (bad) return bad
  const lower = name.toLowerCase()
  if (FRAMING_HEADERS.has(lower) || ACTION_HEADERS.has(lower))
    return `${name} is a header the action or the HTTP stack sets itself, or one that changes how the request is framed or routed; give a header of its own such as X-API-Key or Authorization`
  return undefined
}

/** Why a user's header (`headers`, an endpoint's `headers`) cannot be sent; undefined when it can. */
export function checkHeader(name: string, value: string): string | undefined {
  const bad = headerNameProblem(name)
  if (bad) return `the name ${bad}`
  if (FRAMING_HEADERS.has(name.toLowerCase()))
    return `the ${name} header is set by the action itself or the HTTP stack, or changes how the request is framed or routed; leave it out`
  if (/[\r\n\0]/.test(value)) return `the value of ${name} contains a line break or NUL`
  const problem = isSecretHeader(name, value)
    ? secretValueProblem(value)
    : headerValueProblem(value)
  if (problem) return `the value of ${name} ${problem}`
  return undefined
}

const methodSchema = z
  .string()
  .transform(s => s.toUpperCase())
  .pipe(z.enum(METHODS, { error: `expected one of ${METHODS.join(', ')}` }))

const prioritySchema = z.enum(PRIORITIES, { error: `expected one of ${PRIORITIES.join(', ')}` })

const itemSchema = z.strictObject({
  path: z
    .string({ error: 'expected a path such as /api/v1/reports' })
    .min(1, { error: 'must not be empty' }),
  method: methodSchema.optional(),
  priority: prioritySchema.optional(),
  name: z.string({ error: 'expected a text label' }).optional(),
  body: z
    .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())], {
      error: 'expected a string, or a mapping/list sent as JSON'
    })
    .optional(),
  headers: z
    .record(
      z.string(),
      z.union([z.string(), z.number(), z.boolean()], {
        error: 'expected a header value (text, a number, true or false)'
      }),
      { error: 'expected a mapping of header names to values' }
    )
    .optional(),
  expect: expectSchema.optional()
})

const STRING_ITEM = /^(?:([A-Za-z]+)\s+)?(\S+)$/

/**
 * What a value is, never what it says: the document may be a file that is not an endpoint list
 * at all (a .env, a key file), and its content must not reach the log.
 */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'string')
    return `a string (${value.length} character${value.length === 1 ? '' : 's'})`
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`
}

/**
 * Parses an endpoint list (already loaded from YAML/JSON): either a list, or a mapping of
 * priority tiers to lists. Throws EndpointsError naming the path of the first problem.
 */
export function parseEndpoints(doc: unknown, base: URL, sourceName: string): EndpointSpec[] {
  if (doc === null || doc === undefined) return []
  const out: EndpointSpec[] = []
  if (Array.isArray(doc)) {
    doc.forEach((item, i) => out.push(parseItem(item, [i], undefined, base, sourceName)))
    return out
  }
  if (typeof doc !== 'object') {
    throw new EndpointsError(
      '',
      `expected a list of endpoints or a mapping of ${PRIORITIES.join('/')} to lists, got ${describe(doc)}` +
        // `--endpoints /a` or `endpoints: /a`: one endpoint is a list of one.
        (typeof doc === 'string' && /^([A-Za-z]+\s+)?\//.test(doc.trim())
          ? '; one endpoint is a list too: write "- /path" (or [/path])'
          : '')
    )
  }
  for (const [tier, list] of Object.entries(doc as Record<string, unknown>)) {
    if (!(PRIORITIES as readonly string[]).includes(tier)) {
      throw new EndpointsError(
        formatPath([tier]),
        `unknown tier; accepted: ${PRIORITIES.join(', ')}`
      )
    }
    if (list === null) continue
    if (!Array.isArray(list))
      throw new EndpointsError(`.${tier}`, `expected a list of endpoints, got ${describe(list)}`)
    list.forEach((item, i) =>
      out.push(parseItem(item, [tier, i], tier as Priority, base, sourceName))
    )
  }
  return out
}

type RawItem = z.infer<typeof itemSchema>

/** `"/path"` or `"METHOD /path"`. */
function parseStringItem(item: string, where: string): RawItem {
  const m = STRING_ITEM.exec(item.trim())
  if (!m) throw new EndpointsError(where, 'is not "/path" or "METHOD /path"')
  // A plain check, not zod: a sitemap-sized list has tens of thousands of these.
  const method = (m[1] ?? 'GET').toUpperCase()
  if (!(METHODS as readonly string[]).includes(method))
    throw new EndpointsError(
      where,
      `the word before the path is not a method; expected one of ${METHODS.join(', ')}`
    )
  return { path: m[2] as string, method: method as Method }
}

/** A mapping with a path; an unknown key is named before zod sees it. */
function parseMappingItem(item: object, at: (string | number)[], where: string): RawItem {
  const unknown = Object.keys(item).filter(k => !(ITEM_KEYS as readonly string[]).includes(k))
  if (unknown.length > 0) {
    throw new EndpointsError(
      where,
      `unknown key ${unknown.map(shownKey).join(', ')}; accepted: ${ITEM_KEYS.join(', ')}`
    )
  }
  const parsed = itemSchema.safeParse(item)
  if (!parsed.success) {
    const line = firstIssue(parsed.error, at)
    const cut = line.indexOf(': ')
    throw new EndpointsError(line.slice(0, cut), line.slice(cut + 2))
  }
  return parsed.data
}

function itemHeaders(raw: RawItem['headers'], where: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw ?? {})) {
    const problem = checkHeader(name, String(value))
    if (problem) throw new EndpointsError(`${where}.headers`, problem)
    headers[name] = String(value)
  }
  return headers
}

/**
 * The body as sent: a string as written, a mapping or list as JSON (adding a JSON Content-Type
 * to `headers` unless one is given).
 */
function itemBody(
  raw: RawItem,
  method: Method,
  headers: Record<string, string>,
  where: string
): string | undefined {
  if (raw.body === undefined) return undefined
  if (!BODY_METHODS.has(method)) {
    throw new EndpointsError(
      `${where}.body`,
      `a body is only sent with POST, PUT, PATCH or DELETE, not ${method}`
    )
  }
  if (typeof raw.body === 'string') return raw.body
  const body = JSON.stringify(raw.body)
  if (!Object.keys(headers).some(h => h.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/json'
  }
  return body
}

/** Path and query as shown to people: relative to the base URL's path when under it. */
function shownPath(url: URL, base: URL): string {
  const prefix = base.pathname.replace(/\/+$/, '')
  // `/app` is the prefix of `/app/x` but not of `/apple`.
  const underPrefix = url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)
  const shown = underPrefix ? url.pathname.slice(prefix.length) || '/' : url.pathname
  return `${shown}${url.search}`
}

function parseItem(
  item: unknown,
  at: (string | number)[],
  tier: Priority | undefined,
  base: URL,
  sourceName: string
): EndpointSpec {
  const where = formatPath(at)
  let raw: RawItem
  if (typeof item === 'string') raw = parseStringItem(item, where)
  else if (item && typeof item === 'object' && !Array.isArray(item))
    raw = parseMappingItem(item, at, where)
  else
    throw new EndpointsError(
      where,
      `expected "/path", "METHOD /path" or a mapping with a path, got ${describe(item)}`
    )

  const method = (raw.method ?? 'GET') as Method
  if (tier && raw.priority && raw.priority !== tier) {
    throw new EndpointsError(
      `${where}.priority`,
      `"${raw.priority}" conflicts with its tier "${tier}"`
    )
  }
  const priority = tier ?? raw.priority ?? 'normal'
  const url = resolvePath(raw.path, base, `${where}.path`)
  const headers = itemHeaders(raw.headers, where)
  const body = itemBody(raw, method, headers, where)
  return {
    source: `${sourceName}${where}`,
    method,
    path: shownPath(url, base),
    url: url.href,
    priority,
    ...(raw.name ? { name: raw.name } : {}),
    ...(body !== undefined ? { body } : {}),
    headers,
    ...(raw.expect ? { expect: raw.expect } : {})
  }
}

/**
 * An endpoint path, or a full URL on the deployment's origin, as a URL. Messages never repeat
 * the text: it may come from endpoints-file, or carry a token in its query.
 */
export function resolvePath(path: string, base: URL, where: string): URL {
  const text = path.trim()
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    let abs: URL
    try {
      abs = new URL(text)
    } catch {
      throw new EndpointsError(where, 'is not a valid URL; give a path such as /api/v1/reports')
    }
    // Node's http.request turns user:password@ into an Authorization header of its own.
    if (abs.username || abs.password)
      throw new EndpointsError(
        where,
        'carries user:password@; give a path such as /api/v1/reports (the key goes in api-key)'
      )
    if (abs.origin !== base.origin) {
      throw new EndpointsError(
        where,
        `is on another origin than the deployment (${base.origin}); the key is only sent to the deployment, so give a path on it such as /api/v1/reports`
      )
    }
    abs.hash = ''
    return abs
  }
  if (text.startsWith('//'))
    throw new EndpointsError(where, 'names another host (//...); give a path such as /api/...')
  if (/\s/.test(text)) throw new EndpointsError(where, 'contains white space; give one path')
  const url = joinUrl(base, text)
  url.hash = ''
  return url
}

/** Rejects the same method and URL listed twice. */
export function checkDuplicates(list: readonly EndpointSpec[]): void {
  const seen = new Map<string, EndpointSpec>()
  for (const e of list) {
    const key = `${e.method} ${e.url}`
    const first = seen.get(key)
    if (first)
      throw new InputError(
        e.source,
        `${e.method} ${e.path} is listed twice (also at ${first.source})`
      )
    seen.set(key, e)
  }
}
