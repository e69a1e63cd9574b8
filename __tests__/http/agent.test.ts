/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY, honoured the way @actions/http-client does (agent.ts
 * borrows its agent). @actions/http-client never proxies loopback targets, so the end-to-end
 * tests use names under the reserved `.test` domain: the proxy below resolves them to 127.0.0.1
 * itself, and for NO_PROXY the child's dns.lookup is pointed at 127.0.0.1 by a preload. No
 * external DNS is ever asked.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import net, { type AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { proxyAwareAgents } from '../../src/http/agent.js'
import { selfSignedCert, startFaultServer, type FaultServer } from '../support/fault-server.js'
import { artifactsContaining, ensureBuilt } from '../support/run-action.js'
import { spawnAction } from '../support/spawn-action.js'

const KEY = 'sk_live_PROXYKEY_9e8d7c6b5a'
const PROXY_ENV = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']

interface Proxy {
  readonly url: string
  /** `CONNECT host:port` lines seen. */
  readonly connects: string[]
  /** Absolute-form requests seen (`GET http://host/path`): plain HTTP through the proxy. */
  readonly forwarded: { method: string; url: string; headers: http.IncomingHttpHeaders }[]
  /** Every byte the client sent through a tunnel. */
  readonly tunnelled: () => Buffer
  readonly close: () => Promise<void>
}

/** A small forward proxy on 127.0.0.1: CONNECT tunnels and absolute-URI requests, any host → 127.0.0.1. */
async function startProxy(): Promise<Proxy> {
  const connects: string[] = []
  const forwarded: Proxy['forwarded'] = []
  const bytes: Buffer[] = []
  const sockets = new Set<net.Socket>()
  const server = http.createServer((req, res) => {
    forwarded.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    const target = new URL(req.url ?? '')
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: target.pathname + target.search,
        method: req.method,
        headers: req.headers
      },
      up => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      }
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    connects.push(req.url ?? '')
    sockets.add(client)
    const port = Number((req.url ?? '').split(':').pop())
    const upstream = net.connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length) upstream.write(head)
      client.on('data', (c: Buffer) => bytes.push(c))
      client.pipe(upstream)
      upstream.pipe(client)
    })
    sockets.add(upstream)
    const end = (): void => {
      client.destroy()
      upstream.destroy()
    }
    upstream.on('error', end)
    client.on('error', end)
    upstream.on('close', end)
    client.on('close', end)
  })
  server.on('connection', (s: net.Socket) => sockets.add(s))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    forwarded,
    tunnelled: () => Buffer.concat(bytes),
    close: () =>
      new Promise<void>(resolve => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}

describe('agentFor: which agent a URL gets', () => {
  const saved: Record<string, string | undefined> = {}
  beforeAll(() => {
    for (const k of PROXY_ENV) saved[k] = process.env[k]
  })
  afterEach(() => {
    for (const k of PROXY_ENV) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
  })
  const set = (env: Record<string, string>): void => {
    for (const k of PROXY_ENV) delete process.env[k]
    Object.assign(process.env, env)
  }
  /** The tunnel agent of @actions/http-client (the `tunnel` package) carries its proxy. */
  const proxyOf = (agent: unknown): { host?: string; port?: string } | undefined =>
    (agent as { proxyOptions?: { host?: string; port?: string } }).proxyOptions

  it('tunnels through HTTPS_PROXY for an https target', () => {
    set({ HTTPS_PROXY: 'http://127.0.0.1:3128' })
    const agents = proxyAwareAgents(4)
    expect(proxyOf(agents.agentFor(new URL('https://warm.test/a')))).toMatchObject({
      host: '127.0.0.1',
      port: '3128'
    })
    agents.dispose()
  })

  it('tunnels through HTTP_PROXY for an http target, and ignores HTTPS_PROXY for it', () => {
    set({ HTTP_PROXY: 'http://127.0.0.1:3129', HTTPS_PROXY: 'http://127.0.0.1:3128' })
    const agents = proxyAwareAgents(4)
    expect(proxyOf(agents.agentFor(new URL('http://warm.test/a')))).toMatchObject({ port: '3129' })
    agents.dispose()
  })

  it.each([
    ['warm.test', 'https://warm.test/a'],
    ['.test', 'https://api.warm.test/a'],
    ['other.example, warm.test:8443', 'https://warm.test:8443/a'],
    ['*', 'https://warm.test/a']
  ])('goes direct when NO_PROXY=%s covers %s', (noProxy, url) => {
    set({ HTTPS_PROXY: 'http://127.0.0.1:3128', NO_PROXY: noProxy })
    const agents = proxyAwareAgents(4)
    const agent = agents.agentFor(new URL(url))
    expect(proxyOf(agent)).toBeUndefined()
    expect(agent).toBeInstanceOf(https.Agent)
    agents.dispose()
  })

  it('goes direct to loopback whatever the proxy settings (as @actions/http-client does)', () => {
    set({ HTTPS_PROXY: 'http://127.0.0.1:3128', HTTP_PROXY: 'http://127.0.0.1:3128' })
    const agents = proxyAwareAgents(4)
    expect(proxyOf(agents.agentFor(new URL('http://127.0.0.1:8787/a')))).toBeUndefined()
    expect(proxyOf(agents.agentFor(new URL('http://localhost:8787/a')))).toBeUndefined()
    agents.dispose()
  })

  it('without proxy variables: a keep-alive agent sized to concurrency', () => {
    set({})
    const agents = proxyAwareAgents(7)
    const agent = agents.agentFor(new URL('http://warm.test/a')) as http.Agent
    expect(proxyOf(agent)).toBeUndefined()
    expect(agent.maxSockets).toBe(7)
    agents.dispose()
  })
})

describe('through a proxy, end to end (dist/index.js)', () => {
  const cert = selfSignedCert(['warm.test'])
  let dir: string
  let target: FaultServer | undefined
  let plain: FaultServer
  let proxy: Proxy

  beforeAll(async () => {
    ensureBuilt()
    dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-proxy-'))
    if (cert) {
      await writeFile(path.join(dir, 'ca.pem'), cert.cert)
      target = await startFaultServer({ key: KEY, tls: cert })
    }
    plain = await startFaultServer()
    // NO_PROXY: the direct connection needs warm.test to resolve, to loopback only.
    await writeFile(
      path.join(dir, 'lookup.cjs'),
      `const dns = require('node:dns'); const real = dns.lookup;
dns.lookup = (host, opts, cb) => /\\.test$/.test(host)
  ? (typeof opts === 'function' ? opts : cb)(null, ...((opts && opts.all) ? [[{ address: '127.0.0.1', family: 4 }]] : ['127.0.0.1', 4]))
  : real(host, opts, cb)\n`
    )
  })
  beforeEach(async () => {
    proxy = await startProxy()
  })
  afterEach(async () => {
    await proxy.close()
  })
  afterAll(async () => {
    await Promise.all([target?.close(), plain.close()])
    await rm(dir, { recursive: true, force: true })
  })

  it('https target: only CONNECT reaches the proxy, the key travels inside TLS, and the run passes', async () => {
    if (!target) return console.warn('openssl is not installed: the HTTPS proxy test is skipped')
    const spawned = await spawnAction(
      {
        url: `https://warm.test:${target.port}`,
        'api-key': KEY,
        endpoints: '- /a\n- /b',
        verify: 'true'
      },
      { HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem') }
    )
    const run = await spawned.exited()
    await spawned.cleanUp()

    expect(run.outputs.result).toBe('passed')
    expect(run.code).toBe(0)
    expect(proxy.connects.length).toBeGreaterThanOrEqual(1)
    for (const c of proxy.connects) expect(c).toBe(`warm.test:${target.port}`)
    expect(proxy.forwarded).toEqual([])
    expect(proxy.tunnelled().length).toBeGreaterThan(0)
    expect(proxy.tunnelled().includes(KEY)).toBe(false)
    expect(target.requests.map(r => r.headers['x-api-key'])).toEqual([KEY, KEY, KEY, KEY])
    expect(artifactsContaining(run, KEY)).toEqual([])
    // The process ends as soon as the run does: no tunnel socket is left open.
    expect(run.ms).toBeLessThan(5000)
  })

  it('http target through HTTP_PROXY: tunnelled with CONNECT too, never sent in absolute form', async () => {
    const spawned = await spawnAction(
      { url: `http://plain.test:${plain.port}`, endpoints: '- /a', verify: 'false' },
      { HTTP_PROXY: proxy.url }
    )
    const run = await spawned.exited()
    await spawned.cleanUp()

    expect(run.outputs.result).toBe('passed')
    expect(proxy.connects).toEqual([`plain.test:${plain.port}`])
    expect(proxy.forwarded).toEqual([])
  })

  it('NO_PROXY: the proxy sees nothing and the target is reached directly', async () => {
    if (!target) return
    const spawned = await spawnAction(
      {
        url: `https://warm.test:${target.port}`,
        'api-key': KEY,
        endpoints: '- /a',
        verify: 'false'
      },
      {
        HTTPS_PROXY: proxy.url,
        NO_PROXY: 'localhost,warm.test',
        NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem'),
        NODE_OPTIONS: `--require ${path.join(dir, 'lookup.cjs')}`
      }
    )
    target.reset()
    const run = await spawned.exited()
    await spawned.cleanUp()

    expect(run.outputs.result).toBe('passed')
    expect(proxy.connects).toEqual([])
    expect(proxy.forwarded).toEqual([])
    expect(target.count('/a')).toBe(1)
  })

  it('a proxy that refuses the tunnel: the endpoint fails and says so, within the timeout', async () => {
    const dead = `http://127.0.0.1:9`
    const spawned = await spawnAction(
      {
        url: `http://plain.test:${plain.port}`,
        endpoints: '- /a',
        retries: '0',
        timeout: '2s',
        verify: 'false'
      },
      { HTTP_PROXY: dead }
    )
    const run = await spawned.exited()
    await spawned.cleanUp()

    expect(run.code).toBe(1)
    expect(run.report!.tiers[0]!.endpoints[0]).toMatchObject({ outcome: 'failed' })
    expect(run.report!.tiers[0]!.endpoints[0]!.reason).toMatch(
      /network error \(the proxy \(HTTPS_PROXY \/ HTTP_PROXY\) could not open a tunnel to the deployment: .*ECONNREFUSED/
    )
    expect(run.ms).toBeLessThan(4000)
  })
})
