/**
 * A local server that answers the way a Worker behind Cloudflare does: a `cf-ray` naming the
 * colo, `cf-cache-status: MISS` on a path's first answer and `HIT` with a growing `age` after,
 * and the version that served it in `X-Worker-Version` and the JSON body. Which isolate (version
 * and colo) serves each request is up to the test: a gradual deployment, a second colo, a
 * hostile cf-ray.
 */
import type http from 'node:http'
import { startServer, type LocalServer } from './server.js'

/** What served one request: its version, and the cf-ray value(s) it sent. */
export interface Isolate {
  readonly version: string
  /** A colo code (sent as `<hex>-<colo>`), or the raw cf-ray value(s); undefined: no cf-ray. */
  readonly colo?: string
  readonly ray?: string | readonly string[]
  /** A body to send instead of the JSON answer (e.g. one over the body cap). */
  readonly body?: string
}

export interface EdgeOptions {
  /** Which isolate serves request `n` (0-based, over the whole server) for `path`. */
  readonly isolate?: (n: number, path: string) => Isolate
  /** The key every /api/ request must carry in X-API-Key. */
  readonly key?: string
}

export interface EdgeServer extends LocalServer {
  /** Requests per path, in order. */
  readonly served: (path: string) => number
}

const NEW: Isolate = { version: 'v2', colo: 'SJC' }

/** A 16-hex-digit ray id for request `n`, as Cloudflare writes them. */
function rayId(n: number): string {
  return (0x8f1c2a3b00000000n + BigInt(n)).toString(16).padStart(16, '0')
}

export async function startEdge(opts: EdgeOptions = {}): Promise<EdgeServer> {
  const pick = opts.isolate ?? (() => NEW)
  const perPath = new Map<string, number>()
  const firstAt = new Map<string, number>()
  let n = 0
  const server = await startServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const isolate = pick(n, path)
    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': 'application/json',
      'X-Worker-Version': isolate.version
    }
    const ray = isolate.ray ?? (isolate.colo ? `${rayId(n)}-${isolate.colo}` : undefined)
    n++
    if (ray !== undefined) headers['cf-ray'] = ray as string | string[]
    if (path !== '/health' && opts.key && req.headers['x-api-key'] !== opts.key) {
      res.writeHead(401, headers)
      res.end(JSON.stringify({ success: false, error: 'Invalid API key' }))
      return
    }
    const seen = perPath.get(path) ?? 0
    perPath.set(path, seen + 1)
    if (path !== '/health') {
      if (seen === 0) firstAt.set(path, Date.now())
      headers['cf-cache-status'] = seen === 0 ? 'MISS' : 'HIT'
      if (seen > 0)
        headers.age = String(Math.max(1, Math.round((Date.now() - firstAt.get(path)!) / 1000)))
    }
    const body =
      isolate.body ??
      JSON.stringify(
        path === '/health'
          ? { status: 'ok', version: isolate.version }
          : { success: true, data: { path }, version: isolate.version }
      )
    res.writeHead(200, headers)
    res.end(body)
  })
  return { ...server, served: path => perPath.get(path) ?? 0 }
}
