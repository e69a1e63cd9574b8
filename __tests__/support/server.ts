import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
  /** Milliseconds since the server started, when the request arrived and when it was answered. */
  readonly at: number
  finishedAt?: number
}

export interface LocalServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly requests: SeenRequest[]
  /** Highest number of requests handled at the same time. */
  readonly maxInFlight: () => number
  readonly close: () => Promise<void>
}

export type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  seen: SeenRequest
) => unknown

/**
 * A real HTTP server on 127.0.0.1, an ephemeral port, for what nock cannot fake faithfully:
 * timeouts, trickled and reset bodies, keep-alive, concurrency. Close it in afterEach/afterAll.
 */
export async function startServer(handler: Handler): Promise<LocalServer> {
  const requests: SeenRequest[] = []
  const started = Date.now()
  let inFlight = 0
  let max = 0
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now() - started
      }
      requests.push(seen)
      inFlight++
      max = Math.max(max, inFlight)
      res.on('close', () => {
        inFlight--
        seen.finishedAt = Date.now() - started
      })
      Promise.resolve(handler(req, res, seen)).catch(error => {
        res.destroy(error as Error)
      })
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    maxInFlight: () => max,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** Answers with JSON. */
export function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text)
  })
  res.end(text)
}

/** A port nothing listens on: bound then released. */
export async function closedPort(): Promise<number> {
  const server = http.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}
