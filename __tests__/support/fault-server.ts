/**
 * One local server with faults switchable per path, for the reliability suite: everything a bad
 * deploy day can throw at the action, on 127.0.0.1, stopped by `close`. Paths without a fault
 * answer 200 `{"success": true, "data": [1]}` with `X-Cache: HIT`, so the verify pass is quick.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'

export type Fault =
  | { kind: 'ok' }
  /** Headers and part of the body, then the socket is destroyed. */
  | { kind: 'reset-mid-body' }
  /** The request is read, and no answer ever starts. */
  | { kind: 'never-starts' }
  /** 200 and headers at once, then one byte every `everyMs`, forever (slowloris). */
  | { kind: 'trickle'; everyMs?: number }
  /** 429 with this Retry-After: seconds ("1", "86400") or an HTTP date. */
  | { kind: '429'; retryAfter: string | (() => string) }
  /** Always 503 (a storm); with Retry-After when given. */
  | { kind: '503'; retryAfter?: string }
  | { kind: 'invalid-json' }
  /** A complete HTTP answer whose JSON stops half way. */
  | { kind: 'truncated-json' }
  /** Content-Length promises more than is sent before the connection closes. */
  | { kind: 'short-body' }
  | { kind: 'huge-body'; bytes: number }
  /** Content-Encoding: gzip of `inflatedBytes` zero bytes (a gzip bomb), though none was asked for. */
  | { kind: 'gzip-bomb'; inflatedBytes: number }
  /** Redirects to itself (with a counter, so each hop is a new URL) without end. */
  | { kind: 'redirect-loop' }
  | { kind: 'redirect'; location: string | (() => string); status?: number }
  /** Echoes the key received back in the body (after `pad` characters), X-Cache and Retry-After. */
  | { kind: 'echo-key'; status?: number; pad?: number }
  /** A metrics document for the first `good` reads, then `then` (404, or 200 without the field). */
  | { kind: 'metrics-vanish'; good: number; then: 'gone' | 'field-missing' }

export interface FaultServer {
  readonly origin: string
  readonly port: number
  /** Every request: method, path, headers, arrival (ms since start). */
  readonly requests: { method: string; path: string; headers: http.IncomingHttpHeaders }[]
  /** Requests seen for a path (query ignored). */
  count(pathname: string): number
  set(pathname: string, fault: Fault): void
  reset(): void
  close(): Promise<void>
}

const OK_BODY = JSON.stringify({ success: true, data: [1] })

/** 64 MiB of zeros, gzipped once: about 64 KiB. Repeated, it is a valid multi-member gzip stream. */
let gzipMember: Buffer | undefined
function bombChunk(): Buffer {
  gzipMember ??= zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 })
  return gzipMember
}

function ok(res: http.ServerResponse): void {
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(OK_BODY),
    'X-Cache': 'HIT'
  })
  res.end(OK_BODY)
}

function answer(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  fault: Fault,
  key: string | undefined,
  sockets: Set<Socket>,
  hits: number
): void {
  const url = new URL(req.url ?? '/', 'http://x')
  switch (fault.kind) {
    case 'ok':
      return ok(res)
    case 'reset-mid-body':
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '4096' })
      res.write('{"success": true, "data": [')
      setTimeout(() => res.socket?.destroy(), 20)
      return
    case 'never-starts':
      return
    case 'trickle': {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      const timer = setInterval(() => res.write(' '), fault.everyMs ?? 50)
      res.on('close', () => clearInterval(timer))
      return
    }
    case '429': {
      const after = typeof fault.retryAfter === 'function' ? fault.retryAfter() : fault.retryAfter
      res.writeHead(429, { 'Retry-After': after, 'Content-Type': 'application/json' })
      return void res.end('{"error": "slow down"}')
    }
    case '503':
      res.writeHead(503, {
        'Content-Type': 'application/json',
        ...(fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {})
      })
      return void res.end('{"error": "overloaded"}')
    case 'invalid-json':
      res.writeHead(200, { 'Content-Type': 'application/json' })
      return void res.end('{"success": true, data: [1], }<html>')
    case 'truncated-json':
      res.writeHead(200, { 'Content-Type': 'application/json' })
      return void res.end('{"success": true, "data": [1, 2')
    case 'short-body':
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' })
      res.write('{"success": true, "data": [1, 2')
      setTimeout(() => res.socket?.end(), 20)
      return
    case 'huge-body': {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': fault.bytes })
      const chunk = Buffer.alloc(1024 * 1024, 0x20)
      let left = fault.bytes
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(left, chunk.length)
          left -= n
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            res.once('drain', pump)
            return
          }
        }
        res.end()
      }
      return pump()
    }
    case 'gzip-bomb': {
      const member = bombChunk()
      const members = Math.max(1, Math.round(fault.inflatedBytes / (64 * 1024 * 1024)))
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
        'Content-Length': member.length * members
      })
      let sent = 0
      const pump = (): void => {
        while (sent < members) {
          sent++
          if (!res.write(member)) {
            res.once('drain', pump)
            return
          }
        }
        res.end()
      }
      return pump()
    }
    case 'redirect-loop': {
      const n = Number(url.searchParams.get('hop') ?? '0') + 1
      res.writeHead(302, { Location: `${url.pathname}?hop=${n}` })
      return void res.end()
    }
    case 'redirect': {
      const location = typeof fault.location === 'function' ? fault.location() : fault.location
      res.writeHead(fault.status ?? 302, { Location: location })
      return void res.end()
    }
    case 'echo-key': {
      const got = String(req.headers['x-api-key'] ?? key ?? '')
      const body = JSON.stringify({
        success: false,
        error: `${'x'.repeat(fault.pad ?? 0)}key ${got} is not valid here`,
        echoed: got
      })
      res.writeHead(fault.status ?? 500, {
        'Content-Type': 'application/json',
        'X-Cache': `MISS ${got}`,
        'X-Echo-Key': got,
        'Retry-After': got
      })
      return void res.end(body)
    }
    case 'metrics-vanish': {
      if (hits <= fault.good) {
        const body = JSON.stringify({ cacheStats: { l1Size: hits * 10, hits } })
        res.writeHead(200, { 'Content-Type': 'application/json' })
        return void res.end(body)
      }
      if (fault.then === 'gone') {
        res.writeHead(404, { 'Content-Type': 'application/json' })
        return void res.end('{"error": "Not found"}')
      }
      res.writeHead(200, { 'Content-Type': 'application/json' })
      return void res.end('{"status": "ok"}')
    }
  }
  void sockets
}

/** Starts the fault server; `tls` serves HTTPS with the given key and certificate. */
export async function startFaultServer(
  opts: { key?: string; tls?: { key: string; cert: string } } = {}
): Promise<FaultServer> {
  const faults = new Map<string, Fault>()
  const hits = new Map<string, number>()
  const requests: FaultServer['requests'] = []
  const sockets = new Set<Socket>()
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    req.resume()
    req.on('end', () => {
      const pathname = new URL(req.url ?? '/', 'http://x').pathname
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers })
      const n = (hits.get(pathname) ?? 0) + 1
      hits.set(pathname, n)
      answer(req, res, faults.get(pathname) ?? { kind: 'ok' }, opts.key, sockets, n)
    })
  }
  const server = opts.tls
    ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler)
    : http.createServer(handler)
  server.keepAliveTimeout = 5000
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  // A client that hangs up mid-answer is normal here; never let it crash the test process.
  server.on('clientError', (_e, socket) => socket.destroy())
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    count: pathname => hits.get(pathname) ?? 0,
    set: (pathname, fault) => void faults.set(pathname, fault),
    reset: () => {
      faults.clear()
      hits.clear()
      requests.length = 0
    },
    close: () =>
      new Promise<void>(resolve => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}

/**
 * A self-signed certificate for `hosts` (and 127.0.0.1), made at test time with the openssl CLI;
 * undefined when openssl is not installed (the TLS tests then say so and skip).
 */
export function selfSignedCert(
  hosts: string[] = ['localhost']
): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cache-warm-tls-'))
  try {
    const san = [...hosts.map(h => `DNS:${h}`), 'IP:127.0.0.1'].join(',')
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${hosts[0]}`,
        '-addext',
        `subjectAltName=${san}`,
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem')
      ],
      { stdio: 'ignore' }
    )
    return {
      key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8')
    }
  } catch {
    return undefined
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
