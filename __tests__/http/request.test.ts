import http from 'node:http'
import { afterEach, describe, expect, it } from '@jest/globals'
import nock from 'nock'
import { describeNetworkError, sendOnce, type SendOptions } from '../../src/http/request.js'
import { failureOf } from '../support/network.js'
import { closedPort, startServer, type LocalServer } from '../support/server.js'

const OPTS: SendOptions = { timeoutMs: 2000, maxBodyBytes: 1024 * 1024 }

describe('sendOnce (nock)', () => {
  it('returns status, lower-case headers and the body', async () => {
    nock('https://api.example.com')
      .get('/api/v1/reports')
      .reply(200, { ok: true }, { 'Content-Type': 'application/json', 'X-Cache': 'MISS' })

    const res = await sendOnce(
      { method: 'GET', url: 'https://api.example.com/api/v1/reports', headers: {} },
      OPTS
    )

    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/json')
    expect(res.headers['x-cache']).toBe('MISS')
    expect(JSON.parse(res.body.toString())).toEqual({ ok: true })
    expect(res.bytes).toBe(res.body.length)
    expect(res.truncated).toBe(false)
    expect(res.setCookie).toBe(false)
  })

  it('sends the given headers and a body with its Content-Length', async () => {
    nock('https://api.example.com', {
      reqheaders: { 'x-api-key': 'k-123', 'content-length': '12' }
    })
      .post('/cache/warmup', { all: true })
      .reply(202)

    const res = await sendOnce(
      {
        method: 'POST',
        url: 'https://api.example.com/cache/warmup',
        headers: { 'X-API-Key': 'k-123' },
        body: '{"all":true}'
      },
      OPTS
    )
    expect(res.status).toBe(202)
  })

  it('notes Set-Cookie and joins repeated headers', async () => {
    nock('https://api.example.com')
      .get('/')
      .reply(200, 'x', { 'Set-Cookie': ['a=1', 'b=2'], Vary: ['Accept', 'Origin'] })

    const res = await sendOnce(
      { method: 'GET', url: 'https://api.example.com/', headers: {} },
      OPTS
    )
    expect(res.setCookie).toBe(true)
    expect(res.headers['set-cookie']).toBe('a=1, b=2')
    expect(res.headers.vary).toBe('Accept, Origin')
  })

  it('never follows a redirect itself', async () => {
    nock('https://api.example.com').get('/old').reply(301, '', { Location: '/new' })

    const res = await sendOnce(
      { method: 'GET', url: 'https://api.example.com/old', headers: {} },
      OPTS
    )
    expect(res.status).toBe(301)
    expect(res.headers.location).toBe('/new')
  })

  it.each([
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['EPIPE', 'reset'],
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['ETIMEDOUT', 'timeout'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['EHOSTUNREACH', 'network']
  ])('classifies a %s error as %s', async (code, kind) => {
    nock('https://api.example.com')
      .get('/')
      .replyWithError(Object.assign(new Error(`boom ${code}`), { code }))

    const error = await failureOf(
      sendOnce({ method: 'GET', url: 'https://api.example.com/', headers: {} }, OPTS)
    )
    expect(error.kind).toBe(kind)
    expect(error.message).toContain(code)
  })

  it('classifies a certificate error without a code as tls', async () => {
    nock('https://api.example.com')
      .get('/')
      .replyWithError(new Error('self-signed certificate in certificate chain'))

    const error = await failureOf(
      sendOnce({ method: 'GET', url: 'https://api.example.com/', headers: {} }, OPTS)
    )
    expect(error.kind).toBe('tls')
  })

  it('describes every kind of network failure in words', () => {
    expect(describeNetworkError('refused')).toBe('connection refused')
    expect(describeNetworkError('dns')).toBe('host name not found')
    expect(describeNetworkError('timeout')).toBe('timed out')
  })
})

describe('sendOnce (local server)', () => {
  let server: LocalServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('times out when the body trickles past the timeout, not only the headers', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.flushHeaders()
      const timer = setInterval(() => res.write(' '), 20)
      res.on('close', () => clearInterval(timer))
    })

    const started = Date.now()
    const error = await failureOf(
      sendOnce(
        { method: 'GET', url: `${server.origin}/slow`, headers: {} },
        { ...OPTS, timeoutMs: 150 }
      )
    )
    expect(error.kind).toBe('timeout')
    expect(error.message).toBe('timed out after 150ms')
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('times out when no answer comes at all', async () => {
    server = await startServer(() => {})
    const error = await failureOf(
      sendOnce(
        { method: 'GET', url: `${server.origin}/`, headers: {} },
        { ...OPTS, timeoutMs: 100 }
      )
    )
    expect(error.kind).toBe('timeout')
  })

  it('keeps at most maxBodyBytes, reads the rest, and reuses the connection', async () => {
    const ports: number[] = []
    server = await startServer((req, res) => {
      ports.push(req.socket.remotePort ?? 0)
      const big = Buffer.alloc(200_000, 'a')
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': big.length })
      res.end(big)
    })
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const opts = { ...OPTS, maxBodyBytes: 1000, agentFor: () => agent }
      const first = await sendOnce({ method: 'GET', url: `${server.origin}/a`, headers: {} }, opts)
      const second = await sendOnce({ method: 'GET', url: `${server.origin}/b`, headers: {} }, opts)

      expect(first.status).toBe(200)
      expect(first.body.length).toBe(1000)
      expect(first.truncated).toBe(true)
      expect(first.bytes).toBe(200_000)
      expect(second.truncated).toBe(true)
      // The whole body was drained, so the keep-alive socket served the next request.
      expect(ports).toHaveLength(2)
      expect(ports[1]).toBe(ports[0])
    } finally {
      agent.destroy()
    }
  })

  it('keeps a body exactly at the cap without calling it truncated', async () => {
    server = await startServer((_req, res) => res.end('0123456789'))
    const res = await sendOnce(
      { method: 'GET', url: `${server.origin}/`, headers: {} },
      { ...OPTS, maxBodyBytes: 10 }
    )
    expect(res.body.toString()).toBe('0123456789')
    expect(res.truncated).toBe(false)
  })

  it('reports a connection reset in the middle of the body as reset', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': '10000' })
      res.write('x'.repeat(100))
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const error = await failureOf(
      sendOnce({ method: 'GET', url: `${server.origin}/`, headers: {} }, OPTS)
    )
    expect(error.kind).toBe('reset')
  })

  it('reports a connection closed before any answer as reset', async () => {
    server = await startServer(req => req.socket.destroy())
    const error = await failureOf(
      sendOnce({ method: 'GET', url: `${server.origin}/`, headers: {} }, OPTS)
    )
    expect(error.kind).toBe('reset')
  })

  it('reports a port nothing listens on as refused', async () => {
    const port = await closedPort()
    const error = await failureOf(
      sendOnce({ method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {} }, OPTS)
    )
    expect(error.kind).toBe('refused')
  })

  it('stops at once when the signal aborts mid-request', async () => {
    server = await startServer(() => {})
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 30)
    const started = Date.now()
    const error = await failureOf(
      sendOnce(
        { method: 'GET', url: `${server.origin}/`, headers: {} },
        { ...OPTS, signal: controller.signal }
      )
    )
    expect(error.kind).toBe('aborted')
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('does not send when the signal has already aborted', async () => {
    server = await startServer((_req, res) => res.end('late'))
    const error = await failureOf(
      sendOnce(
        { method: 'GET', url: `${server.origin}/`, headers: {} },
        { ...OPTS, signal: AbortSignal.abort() }
      )
    )
    expect(error.kind).toBe('aborted')
    await new Promise(resolve => setTimeout(resolve, 30))
    expect(server.requests).toHaveLength(0)
  })

  it('measures the duration with the injected clock', async () => {
    server = await startServer((_req, res) => res.end('ok'))
    let t = 1000
    const res = await sendOnce(
      { method: 'GET', url: `${server.origin}/`, headers: {} },
      { ...OPTS, now: () => (t += 40) }
    )
    expect(res.durationMs).toBe(40)
  })
})
