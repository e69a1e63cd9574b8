import { z } from 'zod'
import { expectSchema, type Expect } from './expect.js'
import { firstIssue, formatPath } from './issues.js'
import { joinUrl } from './url.js'
import { InputError } from '../errors.js'

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
const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection'])

export function checkHeader(name: string, value: string): string | undefined {
  if (!HEADER_NAME.test(name)) return `"${name}" is not a valid header name`
  if (FORBIDDEN_HEADERS.has(name.toLowerCase()))
    return `the ${name} header is set by the action itself`

  if (/[\r\n\0]/.test(value)) return `the value of ${name} contains a line break or NUL`
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

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`
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
      `expected a list of endpoints or a mapping of ${PRIORITIES.join('/')} to lists, got ${describe(doc)}`
    )
  }
  for (const [tier, list] of Object.entries(doc as Record<string, unknown>)) {
    if (!(PRIORITIES as readonly string[]).includes(tier)) {
      throw new EndpointsError(`.${tier}`, `unknown tier; accepted: ${PRIORITIES.join(', ')}`)
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

function parseItem(
  item: unknown,
  at: (string | number)[],
  tier: Priority | undefined,
  base: URL,
  sourceName: string
): EndpointSpec {
  const where = formatPath(at)
  let raw: z.infer<typeof itemSchema>
  if (typeof item === 'string') {
    const m = STRING_ITEM.exec(item.trim())
    if (!m) throw new EndpointsError(where, `"${item}" is not "/path" or "METHOD /path"`)
    // A plain check, not zod: a sitemap-sized list has tens of thousands of these.
    const method = (m[1] ?? 'GET').toUpperCase()
    if (!(METHODS as readonly string[]).includes(method))
      throw new EndpointsError(
        where,
        `"${m[1]}" is not a method; expected one of ${METHODS.join(', ')}`
      )
    raw = { path: m[2] as string, method: method as Method }
  } else if (item && typeof item === 'object' && !Array.isArray(item)) {
    const unknown = Object.keys(item).filter(k => !(ITEM_KEYS as readonly string[]).includes(k))
    if (unknown.length > 0) {
      throw new EndpointsError(
        where,
        `unknown key ${unknown.map(k => `"${k}"`).join(', ')}; accepted: ${ITEM_KEYS.join(', ')}`
      )
    }
    const parsed = itemSchema.safeParse(item)
    if (!parsed.success) {
      const line = firstIssue(parsed.error, at)
      const cut = line.indexOf(': ')
      throw new EndpointsError(line.slice(0, cut), line.slice(cut + 2))
    }
    raw = parsed.data
  } else {
    throw new EndpointsError(
      where,
      `expected "/path", "METHOD /path" or a mapping with a path, got ${describe(item)}`
    )
  }

  const method = (raw.method ?? 'GET') as Method
  if (tier && raw.priority && raw.priority !== tier) {
    throw new EndpointsError(
      `${where}.priority`,
      `"${raw.priority}" conflicts with its tier "${tier}"`
    )
  }
  const priority = tier ?? raw.priority ?? 'normal'

  const url = resolvePath(raw.path, base, `${where}.path`)
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw.headers ?? {})) {
    const problem = checkHeader(name, String(value))
    if (problem) throw new EndpointsError(`${where}.headers`, problem)
    headers[name] = String(value)
  }
  let body: string | undefined
  if (raw.body !== undefined) {
    if (!BODY_METHODS.has(method)) {
      throw new EndpointsError(
        `${where}.body`,
        `a body is only sent with POST, PUT, PATCH or DELETE, not ${method}`
      )
    }
    if (typeof raw.body === 'string') body = raw.body
    else {
      body = JSON.stringify(raw.body)
      if (!Object.keys(headers).some(h => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = 'application/json'
      }
    }
  }
  const prefix = base.pathname.replace(/\/+$/, '')
  // `/app` is the prefix of `/app/x` but not of `/apple`.
  const underPrefix = url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)
  const shown = underPrefix ? url.pathname.slice(prefix.length) || '/' : url.pathname
  return {
    source: `${sourceName}${where}`,
    method,
    path: `${shown}${url.search}`,
    url: url.href,
    priority,
    ...(raw.name ? { name: raw.name } : {}),
    ...(body !== undefined ? { body } : {}),
    headers,
    ...(raw.expect ? { expect: raw.expect } : {})
  }
}

export function resolvePath(path: string, base: URL, where: string): URL {
  const text = path.trim()
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    let abs: URL
    try {
      abs = new URL(text)
    } catch {
      throw new EndpointsError(where, `"${text}" is not a valid URL`)
    }
    if (abs.origin !== base.origin) {
      throw new EndpointsError(
        where,
        `${abs.origin} is not the deployment's origin (${base.origin}); the key is only sent to the deployment, so give a path such as ${abs.pathname}`
      )
    }
    abs.hash = ''
    return abs
  }
  if (text.startsWith('//'))
    throw new EndpointsError(where, `"${text}" names another host; give a path such as /api/...`)
  if (/\s/.test(text)) throw new EndpointsError(where, `"${text}" contains white space`)
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
