import http from 'node:http'
import https from 'node:https'
import { watch } from './in-flight.js'

/** How a request failed before any HTTP answer came back. */
export type NetworkErrorKind =
  'timeout' | 'refused' | 'reset' | 'dns' | 'tls' | 'aborted' | 'network'

export class NetworkError extends Error {
  override readonly name = 'NetworkError'
  constructor(
    readonly kind: NetworkErrorKind,
    message: string
  ) {
    super(message)
  }
}

export interface HttpRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
}

export interface HttpResponse {
  readonly status: number
  readonly statusText: string
  /** Lower-case names; repeated headers joined with ", " (set-cookie kept as a list). */
  readonly headers: Readonly<Record<string, string>>
  readonly setCookie: boolean
  /** The body, up to the cap. */
  readonly body: Buffer
  /** True when the body was longer than the cap (the rest was drained, not kept). */
  readonly truncated: boolean
  readonly bytes: number
  readonly durationMs: number
}

export interface SendOptions {
  readonly timeoutMs: number
  readonly maxBodyBytes: number
  /** Aborts the request (deadline, cancellation). */
  readonly signal?: AbortSignal
  /** The agent to use for a URL (keep-alive, proxy). */
  readonly agentFor?: (url: URL) => http.Agent | undefined
  readonly now?: () => number
}

function kindOf(error: NodeJS.ErrnoException): NetworkErrorKind {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'refused'
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return 'reset'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns'
    case 'ETIMEDOUT':
      return 'timeout'
    default:
      if (error.code?.startsWith('ERR_TLS') || /certificate|SSL|TLS/i.test(error.message))
        return 'tls'
      return 'network'
  }
}

const DESCRIBE: Record<NetworkErrorKind, string> = {
  timeout: 'timed out',
  refused: 'connection refused',
  reset: 'connection reset',
  dns: 'host name not found',
  tls: 'TLS handshake failed',
  aborted: 'stopped',
  network: 'network error'
}

/** A request's failure before any answer, named the way the log and the diagnosis read it. */
function networkErrorOf(error: NodeJS.ErrnoException): NetworkError {
  // The proxy agent (HTTPS_PROXY / HTTP_PROXY) reports any failure to reach the proxy or
  // open its tunnel as ECONNRESET; name the proxy and the real cause instead.
  const tunnel = /^tunneling socket could not be established, (?:cause=|statusCode=)?(.*)$/.exec(
    error.message
  )
  if (tunnel)
    return new NetworkError(
      'network',
      `the proxy (HTTPS_PROXY / HTTP_PROXY) could not open a tunnel to the deployment: ${tunnel[1]}`
    )
  const kind = kindOf(error)
  return new NetworkError(kind, `${DESCRIBE[kind]} (${error.code ?? error.message})`)
}

function headersToSend(req: HttpRequest): Readonly<Record<string, string>> {
  if (req.body === undefined) return req.headers
  return { ...req.headers, 'Content-Length': String(Buffer.byteLength(req.body)) }
}

/** The answer as HttpResponse: headers flattened, the kept chunks joined. */
function responseOf(
  res: http.IncomingMessage,
  chunks: Buffer[],
  bytes: number,
  truncated: boolean,
  durationMs: number
): HttpResponse {
  const flat: Record<string, string> = {}
  const headers = res.headers
  for (const name in headers) {
    const v = headers[name]
    if (v === undefined) continue
    flat[name] = Array.isArray(v) ? v.join(', ') : v
  }
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? '',
    headers: flat,
    setCookie: headers['set-cookie'] !== undefined,
    // One chunk (most answers) is kept as it is: no copy.
    body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
    truncated,
    bytes,
    durationMs
  }
}

/**
 * Sends one request and reads the answer, the whole of it within `timeoutMs`. Never follows a
 * redirect: the caller decides (see redirect.ts). The body is kept up to `maxBodyBytes`; the
 * rest is read and thrown away so the connection can be reused.
 */
export function sendOnce(req: HttpRequest, opts: SendOptions): Promise<HttpResponse> {
  const now = opts.now ?? Date.now
  const url = new URL(req.url)
  const lib = url.protocol === 'https:' ? https : http
  const started = now()
  const max = opts.maxBodyBytes
  const signal = opts.signal

  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false
    const chunks: Buffer[] = []
    // Every byte read; the first min(bytes, max) of them are kept in chunks.
    let bytes = 0

    const fail = (error: NetworkError): void => {
      if (settled) return
      settled = true
      cleanup()
      request.destroy()
      reject(error)
    }
    const onAbort = (): void => fail(new NetworkError('aborted', 'stopped before the answer came'))
    // One timer and one abort listener for all requests in flight (in-flight.ts).
    const cleanup = watch(
      opts.timeoutMs,
      signal?.aborted ? undefined : signal,
      () => fail(new NetworkError('timeout', `timed out after ${opts.timeoutMs}ms`)),
      onAbort
    )

    const request = lib.request(url, {
      method: req.method,
      headers: headersToSend(req),
      agent: opts.agentFor?.(url)
    })
    if (signal?.aborted) queueMicrotask(onAbort)

    request.on('error', (error: NodeJS.ErrnoException) => fail(networkErrorOf(error)))
    request.on('response', res => {
      res.on('data', (chunk: Buffer) => {
        const room = max - bytes
        bytes += chunk.length
        if (chunk.length <= room) chunks.push(chunk)
        else if (room > 0) chunks.push(chunk.subarray(0, room))
      })
      res.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? error.message
        fail(new NetworkError('reset', `connection reset while reading the body (${code})`))
      })
      res.on('aborted', () =>
        fail(new NetworkError('reset', 'connection reset while reading the body'))
      )
      res.on('end', () => {
        if (settled) return
        if (!res.complete) {
          fail(new NetworkError('reset', 'connection closed before the body was complete'))
          return
        }
        settled = true
        cleanup()
        resolve(responseOf(res, chunks, bytes, bytes > max, now() - started))
      })
    })
    request.end(req.body)
  })
}

export function describeNetworkError(kind: NetworkErrorKind): string {
  return DESCRIBE[kind]
}

/** A body as text for JSON.parse, without the UTF-8 BOM that JSON.parse refuses. */
export function jsonText(body: Buffer): string {
  const text = body.toString('utf8')
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}
