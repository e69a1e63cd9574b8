/**
 * A deployment that lies, echoes and stalls, for the adversarial suite. Every path answers with
 * a `Reply` set per path (exact path, or a prefix ending in `*`); a path with none answers 200
 * `{"success": true, "data": [1]}` with `X-Cache: HIT`. Every request is recorded (method, url,
 * headers, body), so a test can prove what reached the wire and what did not.
 *
 * Also here: a GitHub API stand-in (answers or hangs), and a bare TCP listener that only counts
 * connections (for "nothing may even connect to that port").
 */
import { afterAll, beforeAll } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo, Socket } from 'node:net'

export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

export interface ReplyContext {
  /** The key as received in the key header ('' when none came). */
  readonly got: string
  /** How many times this path (query ignored) was asked, this one included. */
  readonly hits: number
  readonly origin: string
  readonly url: URL
  readonly req: http.IncomingMessage
}

export type Reply = (res: http.ServerResponse, ctx: ReplyContext) => void

export interface HostileServer {
  readonly origin: string
  readonly port: number
  readonly requests: SeenRequest[]
  /** Requests for a path (query ignored). */
  count(pathname: string): number
  /** Requests that carried the key header at all (any value). */
  withKey(): SeenRequest[]
  set(pathname: string, reply: Reply): void
  reset(): void
  close(): Promise<void>
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {}
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers
  })
  res.end(text)
}

export function sendText(
  res: http.ServerResponse,
  status: number,
  text: string,
  type = 'text/plain',
  headers: Record<string, string | string[]> = {}
): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(text),
    ...headers
  })
  res.end(text)
}

export const OK_BODY = { success: true, data: [1] }

/** 200 with this JSON (X-Cache: HIT, so verify is quick). */
export const answerJson =
  (body: unknown, status = 200, headers: Record<string, string> = {}): Reply =>
  res =>
    sendJson(res, status, body, { 'X-Cache': 'HIT', ...headers })

/** A sequence of JSON answers, one per hit; the last one repeats. */
export const sequence =
  (bodies: readonly unknown[], status = 200): Reply =>
  (res, ctx) =>
    sendJson(res, status, bodies[Math.min(ctx.hits, bodies.length) - 1])

/** The request is read, and no answer ever starts. */
export const hang: Reply = () => undefined

export const status =
  (code: number, body: unknown = { error: `status ${code}` }): Reply =>
  res =>
    sendJson(res, code, body)

export const xml =
  (text: string, status = 200): Reply =>
  res =>
    sendText(res, status, text, 'application/xml')

export function urlset(locs: readonly string[]): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' +
    locs.map(l => `  <url><loc>${l.replace(/&/g, '&amp;')}</loc></url>`).join('\n') +
    '\n</urlset>\n'
  )
}

export function sitemapIndex(locs: readonly string[]): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' +
    locs.map(l => `  <sitemap><loc>${l}</loc></sitemap>`).join('\n') +
    '\n</sitemapindex>\n'
  )
}

/** The forms in which a server can hand the key back. */
export const ECHO_FORMS = [
  /** 500 JSON `{"error": "key <KEY> is not valid"}`, raw. */
  'json-error',
  /** 401 JSON, raw key in `error` and `message`. */
  'json-401',
  /** 500 text/plain with the key JSON-escaped (`\"`, `\\`). */
  'json-escaped',
  /** 500 JSON with the key after 100 characters, so a cut at ~120 lands inside it. */
  'padded',
  /** 302 to another origin with the key in path, query and fragment. */
  'location-cross',
  /** 302 to the same origin with the key in path, query and fragment; that page is a 404. */
  'location-same',
  /** 302 to the same origin with the key as the userinfo. */
  'location-userinfo',
  /** 200 with the key in X-Cache, CF-Cache-Status, Retry-After, Set-Cookie, WWW-Authenticate. */
  'header',
  /** 500 JSON with the key split in two by a line break and indentation. */
  'split',
  /** 500 JSON with the key's first 3 characters then "...". */
  'truncated-3',
  /** 500 JSON with all but the key's last 2 characters then "...". */
  'truncated-long',
  /** 200 `{"success": "<KEY>"}`: an assertion on success quotes what it found. */
  'assert-quote',
  /** 200 JSON whose every field is the key (a metrics / readiness answer kept as "last answer"). */
  'body-200',
  /** 401 JSON with the key upper-cased, as a server that normalises what it logs back. */
  'upper-cased'
] as const
export type EchoForm = (typeof ECHO_FORMS)[number]

export interface EchoOptions {
  /** Where `location-cross` points (an origin); default a closed port. */
  readonly elsewhere?: string
  /** Extra JSON fields merged into 200 answers (e.g. a metrics document). */
  readonly extra?: Record<string, unknown>
}

/** A reply that gives the received key back in `form`. */
export function echo(form: EchoForm, opts: EchoOptions = {}): Reply {
  return (res, ctx) => {
    const got = ctx.got
    const extra = opts.extra ?? {}
    const mid = Math.floor(got.length / 2)
    switch (form) {
      case 'json-error':
        return sendJson(res, 500, { success: false, error: `key ${got} is not valid`, ...extra })
      case 'json-401':
        return sendJson(res, 401, { error: got, message: `bad key ${got}`, detail: got })
      case 'upper-cased':
        return sendJson(res, 401, { error: `INVALID KEY ${got.toUpperCase()}` })
      case 'json-escaped':
        return sendText(res, 500, `bad key: "${JSON.stringify(got).slice(1, -1)}"`)
      case 'padded':
        return sendJson(res, 500, { error: `${'x'.repeat(100)} key ${got} is not valid` })
      case 'location-cross': {
        const to = opts.elsewhere ?? 'http://127.0.0.1:9'
        res.writeHead(302, { Location: `${to}/steal/${got}?k=${got}#${got}` })
        return void res.end()
      }
      case 'location-same':
        res.writeHead(302, { Location: `/landing/${got}?k=${got}#${got}` })
        return void res.end()
      case 'location-userinfo':
        res.writeHead(302, {
          Location: `http://${encodeURIComponent(got)}@${ctx.url.host}/landing/u`
        })
        return void res.end()
      case 'header':
        return sendJson(
          res,
          200,
          { success: true, data: [1], ...extra },
          {
            'X-Cache': `MISS ${got}`,
            'CF-Cache-Status': got,
            'Retry-After': got,
            'Set-Cookie': [`session=${got}; Path=/`, `k=${encodeURIComponent(got)}`],
            'WWW-Authenticate': `Bearer realm="${got}"`,
            'X-Echo-Key': got
          }
        )
      case 'split':
        return sendJson(res, 500, {
          error: `key ${got.slice(0, mid)}\n    ${got.slice(mid)} refused`
        })
      case 'truncated-3':
        return sendJson(res, 500, { error: `key ${got.slice(0, 3)}... refused` })
      case 'truncated-long':
        return sendJson(res, 500, { error: `key ${got.slice(0, Math.max(0, got.length - 2))}...` })
      case 'assert-quote':
        return sendJson(res, 200, { success: got, data: [got], ...extra })
      case 'body-200':
        return sendJson(res, 200, {
          success: true,
          data: [got],
          echoed: got,
          version: got,
          ...extra
        })
    }
  }
}

/**
 * A hostile deployment and a temp dir for the enclosing test file: started before all its
 * tests, closed and removed after them. Read them through the getters inside a test.
 */
export function useHostileServer(prefix: string): {
  readonly server: HostileServer
  readonly dir: string
} {
  let server: HostileServer | undefined
  let dir: string | undefined
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix))
    server = await startHostileServer()
  })
  afterAll(async () => {
    await server?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })
  return {
    get server() {
      if (!server) throw new Error('the hostile server did not start')
      return server
    },
    get dir() {
      if (!dir) throw new Error('the temp dir was not made')
      return dir
    }
  }
}

/** Starts a hostile deployment; `keyHeader` is where it looks for the key (lower case). */
export async function startHostileServer(
  opts: { keyHeader?: string } = {}
): Promise<HostileServer> {
  const keyHeader = (opts.keyHeader ?? 'x-api-key').toLowerCase()
  const exact = new Map<string, Reply>()
  const prefixes = new Map<string, Reply>()
  const hits = new Map<string, number>()
  const requests: SeenRequest[] = []
  const sockets = new Set<Socket>()
  let origin = ''
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', origin)
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        path: url.pathname,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8')
      })
      const n = (hits.get(url.pathname) ?? 0) + 1
      hits.set(url.pathname, n)
      let reply = exact.get(url.pathname)
      if (!reply)
        for (const [p, r] of prefixes)
          if (url.pathname.startsWith(p)) {
            reply = r
            break
          }
      if (!reply && url.pathname.startsWith('/landing/'))
        reply = status(404, { error: 'not found' })
      const got = req.headers[keyHeader]
      try {
        ;(reply ?? answerJson(OK_BODY))(res, {
          got: Array.isArray(got) ? got.join(',') : (got ?? ''),
          hits: n,
          origin,
          url,
          req
        })
      } catch (error) {
        res.destroy(error as Error)
      }
    })
  })
  server.keepAliveTimeout = 5000
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.on('clientError', (_e, socket) => socket.destroy())
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  origin = `http://127.0.0.1:${port}`
  return {
    origin,
    port,
    requests,
    count: p => hits.get(p) ?? 0,
    withKey: () => requests.filter(r => r.headers[keyHeader] !== undefined),
    set: (p, reply) => {
      if (p.endsWith('*')) prefixes.set(p.slice(0, -1), reply)
      else exact.set(p, reply)
    },
    reset: () => {
      exact.clear()
      prefixes.clear()
      hits.clear()
      requests.length = 0
    },
    close: () =>
      new Promise<void>(resolve => {
        for (const s of sockets) s.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

export interface GitHubStandIn {
  readonly url: string
  readonly requests: SeenRequest[]
  /** 'answer': check runs are created (id 7) and updated; 'hang': nothing is ever answered;
   * 'hang-update': create answers, update never does. */
  mode: 'answer' | 'hang' | 'hang-update'
  close(): Promise<void>
}

/** Half of a surrogate pair: not Unicode, which GitHub cannot store. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * What GitHub answers 422 to, as it does: a check run's summary or text over 65,535 UTF-8 bytes
 * ("summary exceeds a maximum bytesize of 65535"), a comment's body over 65,536 characters, text
 * that is not Unicode. Undefined when the body is within every limit.
 */
export function overGitHubLimits(body: string): string | undefined {
  let doc: { output?: { summary?: unknown; text?: unknown }; body?: unknown }
  try {
    doc = body ? (JSON.parse(body) as typeof doc) : {}
  } catch {
    return 'Problems parsing JSON'
  }
  for (const field of ['summary', 'text'] as const) {
    const v = doc.output?.[field]
    if (typeof v !== 'string') continue
    if (Buffer.byteLength(v) > 65_535) return `${field} exceeds a maximum bytesize of 65535`
    if (LONE_SURROGATE.test(v)) return `${field} is not valid Unicode`
  }
  if (typeof doc.body === 'string') {
    if ([...doc.body].length > 65_536) return 'Body is too long (maximum is 65536 characters)'
    if (LONE_SURROGATE.test(doc.body)) return 'body is not valid Unicode'
  }
  return undefined
}

/**
 * GitHub's REST API as far as check runs and comments go, or a black hole. Bodies over GitHub's
 * limits get GitHub's 422.
 */
export async function startGitHub(mode: GitHubStandIn['mode'] = 'answer'): Promise<GitHubStandIn> {
  const requests: SeenRequest[] = []
  const sockets = new Set<Socket>()
  const state = { mode }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        path: url.pathname,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8')
      })
      if (state.mode === 'hang') return
      const refused = overGitHubLimits(requests[requests.length - 1]!.body)
      if (refused) return sendJson(res, 422, { message: 'Validation Failed', errors: [refused] })
      const isCreate = req.method === 'POST' && /\/check-runs$/.test(url.pathname)
      if (state.mode === 'hang-update' && !isCreate) return
      if (isCreate) return sendJson(res, 201, { id: 7, status: 'in_progress' })
      if (req.method === 'PATCH') return sendJson(res, 200, { id: 7, status: 'completed' })
      if (req.method === 'GET') return sendJson(res, 200, [])
      return sendJson(res, 201, { id: 1 })
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.on('clientError', (_e, socket) => socket.destroy())
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const standIn = {
    url: `http://127.0.0.1:${port}`,
    requests,
    get mode() {
      return state.mode
    },
    set mode(m: GitHubStandIn['mode']) {
      state.mode = m
    },
    close: () =>
      new Promise<void>(resolve => {
        for (const s of sockets) s.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
  return standIn
}

/** A TCP port that accepts and counts connections and says nothing (TLS, HTTP or otherwise). */
export async function startCounter(): Promise<{
  port: number
  connections: () => number
  close: () => Promise<void>
}> {
  let n = 0
  const sockets = new Set<Socket>()
  const server = net.createServer(s => {
    n++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => undefined)
    setTimeout(() => s.destroy(), 50)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    port,
    connections: () => n,
    close: () =>
      new Promise<void>(resolve => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}

/** `{"a":{"a":...1...}}` nested `depth` deep, as text (never built as an object here). */
export function deepJson(depth: number, leaf = '1'): string {
  return '{"a":'.repeat(depth) + leaf + '}'.repeat(depth)
}
