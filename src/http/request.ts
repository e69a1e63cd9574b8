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

/** The answer's headers flattened: lower-case names, repeated ones joined with ", ". */
function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {}
  for (const name in headers) {
    const v = headers[name]
    if (v === undefined) continue
    flat[name] = Array.isArray(v) ? v.join(', ') : v
  }
  return flat
}

const EMPTY = Buffer.alloc(0)
/** The first joined buffer's size at least: small bodies in two chunks do not regrow. */
const MIN_JOINED = 16 * 1024

/**
 * One request and its answer. A class whose instance drops every reference once settled, not a
 * promise executor's closures and literals: V8 pretenures an object literal's allocation site
 * when most of its objects survive a young collection (the first `concurrency` requests, all in
 * flight at the first scavenge, do), and then each dead, not yet collected, old object that
 * pointed at a request kept the request's answer, body and promise chain alive through every
 * later scavenge. Settled, an exchange holds nothing: whatever still points at its listeners
 * (node:http's own objects, the in-flight list) reaches an empty shell.
 */
class Exchange {
  private request: http.ClientRequest | undefined
  private res: http.IncomingMessage | undefined
  private resolve: ((res: HttpResponse) => void) | undefined
  private reject: ((error: NetworkError) => void) | undefined
  private cleanup: (() => void) | undefined
  /** The body's first chunk, kept as it is while it is the only one (most answers). */
  private first: Buffer | undefined = undefined
  /**
   * From the second chunk on, the body so far, copied into one buffer that doubles as it fills
   * (up to the cap): a list of the chunks cost about 210 bytes of heap a chunk, so a server
   * sending one byte at a time made a 5 MiB body over 1 GB
   * (__tests__/adversarial/round4/tiny-chunks.test.ts).
   */
  private joined: Buffer | undefined = undefined
  /** Bytes of `joined` in use. */
  private kept = 0
  /** Every byte read; the first min(bytes, max) of them are kept. */
  private bytes = 0

  constructor(
    private readonly max: number,
    private readonly timeoutMs: number,
    private readonly started: number,
    private readonly now: () => number,
    resolve: (res: HttpResponse) => void,
    reject: (error: NetworkError) => void
  ) {
    this.resolve = resolve
    this.reject = reject
  }

  start(req: HttpRequest, url: URL, opts: SendOptions): void {
    const signal = opts.signal
    // Stopped already: nothing is sent, and no connection is opened (on Node 24 a request
    // destroyed before its socket connected still left a connection idle in the agent's pool).
    if (signal?.aborted) {
      queueMicrotask(() => this.aborted())
      return
    }
    // One timer and one abort listener for all requests in flight (in-flight.ts).
    this.cleanup = watch(
      this.timeoutMs,
      signal,
      () => this.fail(new NetworkError('timeout', `timed out after ${this.timeoutMs}ms`)),
      () => this.aborted()
    )
    const lib = url.protocol === 'https:' ? https : http
    let request: http.ClientRequest
    try {
      request = lib.request(url, {
        method: req.method,
        headers: headersToSend(req),
        agent: opts.agentFor?.(url)
      })
    } catch (error) {
      // A header node:http refuses (checked at parse; this is the last guard): no timer left.
      this.settle()
      throw error
    }
    this.request = request
    request.on('error', (error: NodeJS.ErrnoException) => this.requestError(error))
    request.on('response', (res: http.IncomingMessage) => this.answer(res))
    request.end(req.body)
  }

  /**
   * node:http reports bytes that are not HTTP after a complete answer (junk on a kept-alive
   * socket, in the same read) as the request's error, before the answer's 'end'. The answer was
   * whole by its own framing: it stands, and 'end' settles it; only an answer that then closes
   * without its 'end' fails, with this error.
   */
  private requestError(error: NodeJS.ErrnoException): void {
    const res = this.res
    if (res?.complete) {
      res.once('close', () => this.fail(networkErrorOf(error)))
      return
    }
    this.fail(networkErrorOf(error))
  }

  private aborted(): void {
    this.fail(new NetworkError('aborted', 'stopped before the answer came'))
  }

  private answer(res: http.IncomingMessage): void {
    this.res = res
    res.on('data', (chunk: Buffer) => this.data(chunk))
    res.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? error.message
      this.fail(new NetworkError('reset', `connection reset while reading the body (${code})`))
    })
    res.on('aborted', () =>
      this.fail(new NetworkError('reset', 'connection reset while reading the body'))
    )
    res.on('end', () => this.end())
  }

  private data(chunk: Buffer): void {
    const room = this.max - this.bytes
    this.bytes += chunk.length
    if (room <= 0 || this.resolve === undefined) return
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room)
    if (part.length === 0) return
    if (this.first === undefined && this.joined === undefined) {
      this.first = part
      return
    }
    const first = this.first
    const need = this.kept + (first?.length ?? 0) + part.length
    if (!this.joined || need > this.joined.length) {
      // Doubling: every byte is copied O(1) times; never more room than the cap.
      const size = Math.min(this.max, Math.max(MIN_JOINED, need * 2))
      const grown = Buffer.allocUnsafe(size)
      if (this.joined) this.joined.copy(grown, 0, 0, this.kept)
      this.joined = grown
    }
    if (first) {
      this.kept += first.copy(this.joined, this.kept)
      this.first = undefined
    }
    this.kept += part.copy(this.joined, this.kept)
  }

  private end(): void {
    const res = this.res
    const resolve = this.resolve
    if (!res || !resolve) return
    if (!res.complete) {
      this.fail(new NetworkError('reset', 'connection closed before the body was complete'))
      return
    }
    // One chunk (most answers) is kept as it is: no copy.
    const body = this.joined ? this.joined.subarray(0, this.kept) : (this.first ?? EMPTY)
    const answer: HttpResponse = {
      status: res.statusCode ?? 0,
      statusText: res.statusMessage ?? '',
      headers: flatHeaders(res.headers),
      setCookie: res.headers['set-cookie'] !== undefined,
      body,
      truncated: this.bytes > this.max,
      bytes: this.bytes,
      durationMs: this.now() - this.started
    }
    this.settle()
    resolve(answer)
  }

  private fail(error: NetworkError): void {
    const reject = this.reject
    if (!reject) return
    const request = this.request
    this.settle()
    request?.destroy()
    reject(error)
  }

  /** Done: stops the watch and forgets the request, its answer and the caller. */
  private settle(): void {
    this.cleanup?.()
    this.cleanup = undefined
    this.request = undefined
    this.res = undefined
    this.resolve = undefined
    this.reject = undefined
    this.first = undefined
    this.joined = undefined
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
  const started = now()
  return new Promise<HttpResponse>((resolve, reject) => {
    new Exchange(opts.maxBodyBytes, opts.timeoutMs, started, now, resolve, reject).start(
      req,
      url,
      opts
    )
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
