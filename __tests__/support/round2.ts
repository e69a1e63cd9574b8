/**
 * Round 2 of the adversarial suite: helpers to run dist/index.js as a runner does (a child
 * process, inputs as INPUT_<NAME>) against small hostile servers on 127.0.0.1, each closed after
 * its test. Failure messages never print the key: hide() puts <KEY> in its place.
 */
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { spawnAction, type Spawned } from './spawn-action.js'
import type { Run } from './run-action.js'

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void

export interface Server {
  readonly origin: string
  readonly port: number
  readonly seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[]
  close(): Promise<void>
}

/** An HTTP server on 127.0.0.1 answering every request with `handler`. */
export async function serve(handler: Handler): Promise<Server> {
  const sockets = new Set<Socket>()
  const seen: Server['seen'] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
      try {
        handler(req, res, Buffer.concat(chunks).toString('utf8'))
      } catch (error) {
        res.destroy(error as Error)
      }
    })
  })
  server.on('connection', s => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.on('clientError', (_e, socket) => socket.destroy())
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>(resolve => {
        for (const s of sockets) s.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

export function json(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  statusText?: string
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const h = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers
  }
  if (statusText !== undefined) res.writeHead(status, statusText, h)
  else res.writeHead(status, h)
  res.end(text)
}

/** Runs dist/index.js to completion (killed after `killAfterMs`), with its artifacts. */
export async function runDist(
  inputs: Record<string, string | undefined>,
  extraEnv: NodeJS.ProcessEnv = {},
  killAfterMs = 15_000
): Promise<Run & { signal: NodeJS.Signals | null; dir: string }> {
  const spawned: Spawned = await spawnAction({ 'check-name': '', ...inputs }, extraEnv, killAfterMs)
  try {
    const run = await spawned.exited()
    return { ...run, dir: spawned.dir }
  } finally {
    await spawned.cleanUp()
  }
}

/** Text with the key (in any case) shown as <KEY>, for failure messages. */
export function hide(text: string, key: string): string {
  return text.replace(new RegExp(key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '<KEY>')
}

/** stdout lines that are not the action's own `::command::` lines. */
export function plainLines(stdout: string): string[] {
  return stdout.split(/\r?\n/).filter(l => !l.trimStart().startsWith('::'))
}
