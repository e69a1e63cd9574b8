/**
 * `npm run bench`: how close the engine gets to the network's limit, on loopback.
 *
 * One local keep-alive server (node:http, 20 ms per answer) in this process; every client runs
 * in its own child process, so its CPU time and peak RSS are its own. For each list size N:
 * a sequential loop, an unbounded Promise.all over fetch, this action's engine (runWarm, verify
 * off) at several concurrencies, and autocannon at the same concurrencies (the loopback ceiling).
 * On the largest list, node:http's own client in a bare loop at the same concurrencies: the floor
 * under the engine's CPU. Then the start-up of dist/index.js to its first request. Prints a
 * table; writes bench.json.
 *
 * BENCH_QUICK=1 (or --quick): 200 and 2,000 endpoints at C=8 and 32, for a smoke run.
 * BENCH_N=2000,20000 and BENCH_C=32 pick sizes and concurrencies; BENCH_MODES=engine,autocannon
 * picks clients; BENCH_NODE_FLAGS=--cpu-prof profiles them.
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { setMaxListeners } from 'node:events'
import { createRequire } from 'node:module'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

export const LATENCY_MS = 20
/** The sequential loop is cut here and extrapolated: 20,000 × 20 ms would be 400+ s. */
const SEQUENTIAL_CAP = 250
/** autocannon measures a rate, so it runs at most this many rounds of C requests. */
const AUTOCANNON_ROUNDS = 150
const STARTUP_RUNS = 9

const SELF = fileURLToPath(import.meta.url)
/** The repository: build/bench/index.js is two folders down. */
const ROOT = path.resolve(path.dirname(SELF), '../..')

interface ClientResult {
  readonly mode: string
  readonly n: number
  readonly c: number
  /** Requests actually sent (the sequential loop and autocannon send fewer than n). */
  readonly sent: number
  readonly ok: number
  readonly errors: number
  readonly ms: number
  readonly cpuMs: number
  readonly rssMb: number
  readonly parseMs?: number
  note?: string
}

// ---------------------------------------------------------------- child: one client run

async function client(mode: string, origin: string, n: number, c: number): Promise<ClientResult> {
  const urls = Array.from({ length: n }, (_, i) => `${origin}/p/${i}`)
  // fetch (undici) loads on first use: load it before the clock starts. Only for the clients
  // that use it: loading it costs the engine's and autocannon's processes 10 MB of RSS they never use.
  if (mode === 'sequential' || mode === 'promise-all')
    await fetch(`${origin}/p/warm-up`).then(r => r.arrayBuffer())
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let sent = n
  let ok = 0
  let errors = 0
  let parseMs: number | undefined
  let note: string | undefined
  if (mode === 'sequential') {
    sent = Math.min(n, SEQUENTIAL_CAP)
    for (let i = 0; i < sent; i++) {
      try {
        const res = await fetch(urls[i]!)
        await res.arrayBuffer()
        if (res.ok) ok++
        else errors++
      } catch {
        errors++
      }
    }
    if (sent < n) note = `${sent} sent, time extrapolated ×${(n / sent).toFixed(0)}`
  } else if (mode === 'promise-all') {
    const signal = AbortSignal.timeout(60_000)
    setMaxListeners(0, signal)
    await Promise.all(
      urls.map(u =>
        fetch(u, { signal })
          .then(async r => {
            await r.arrayBuffer()
            if (r.ok) ok++
            else errors++
          })
          .catch(() => errors++)
      )
    )
  } else if (mode === 'engine') {
    const { parseSettings } = await import('../src/config/settings.js')
    const { runWarm } = await import('../src/engine.js')
    const p0 = performance.now()
    const settings = parseSettings(
      {
        url: origin,
        endpoints: JSON.stringify(urls.map((_, i) => `/p/${i}`)),
        concurrency: String(c),
        verify: 'false',
        timeout: '30s',
        deadline: '10m'
      },
      { workspace: os.tmpdir(), runnerTemp: os.tmpdir() }
    )
    parseMs = performance.now() - p0
    // CPU and time of the warm alone: module loading and parsing are start-up, measured apart.
    const cpuWarm = process.cpuUsage()
    const w0 = performance.now()
    const result = await runWarm(settings)
    ok = result.totals.passed
    errors = result.totals.failed + result.totals.skipped
    const ms = performance.now() - w0
    const cpu = process.cpuUsage(cpuWarm)
    return {
      mode,
      n,
      c,
      sent,
      ok,
      errors,
      ms,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rssMb: process.resourceUsage().maxRSS / 1024,
      parseMs
    }
  } else if (mode === 'node-http') {
    // The floor under the engine: node:http's own keep-alive client in a bare loop, C at a
    // time, nothing else (no timeout, no cap, no result). The engine sends through it.
    const agent = new http.Agent({ keepAlive: true, maxSockets: c })
    let next = 0
    const one = (url: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.request(url, { agent, headers: { Accept: 'application/json' } }, res => {
          res.on('data', () => {})
          res.on('end', () => resolve(res.statusCode ?? 0))
        })
        req.on('error', reject)
        req.end()
      })
    const worker = async (): Promise<void> => {
      while (next < n) {
        const status = await one(urls[next++]!).catch(() => 0)
        if (status === 200) ok++
        else errors++
      }
    }
    await Promise.all(Array.from({ length: c }, worker))
    agent.destroy()
  } else if (mode === 'autocannon') {
    // Loaded only here, so the other clients' RSS does not carry it.
    const autocannon = createRequire(import.meta.url)('autocannon') as typeof import('autocannon')
    // A rate, measured over enough requests to be steady whatever N is.
    sent = Math.max(2000, c * AUTOCANNON_ROUNDS)
    const a0 = process.cpuUsage()
    const result = await autocannon({
      url: `${origin}/p/ac`,
      connections: c,
      amount: sent,
      pipelining: 1
    })
    const cpu = process.cpuUsage(a0)
    // autocannon's own start and finish: its set-up is not part of the rate.
    return {
      mode,
      n,
      c,
      sent,
      ok: result['2xx'],
      errors: result.errors + result.non2xx + result.timeouts,
      ms: result.finish.getTime() - result.start.getTime(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      rssMb: process.resourceUsage().maxRSS / 1024,
      ...(sent !== n ? { note: `rate over ${sent} requests` } : {})
    }
  } else throw new Error(`unknown mode ${mode}`)
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return {
    mode,
    n,
    c,
    sent,
    ok,
    errors,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssMb: process.resourceUsage().maxRSS / 1024,
    ...(note ? { note } : {})
  }
}

// ---------------------------------------------------------------- parent: server and table

interface Server {
  readonly origin: string
  /** Resolves at the first request whose path starts with `prefix`. */
  readonly firstRequest: (prefix: string) => Promise<number>
  readonly close: () => Promise<void>
}

async function startServer(): Promise<Server> {
  const waiters = new Map<string, (at: number) => void>()
  const body = JSON.stringify({ success: true, data: { cached: false } })
  const server = http.createServer((req, res) => {
    for (const [prefix, resolve] of waiters)
      if (req.url?.startsWith(prefix)) {
        waiters.delete(prefix)
        resolve(performance.now())
      }
    req.resume()
    setTimeout(() => {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body)
      })
      res.end(body)
    }, LATENCY_MS)
  })
  server.keepAliveTimeout = 60_000
  server.headersTimeout = 65_000
  server.requestTimeout = 0
  server.maxRequestsPerSocket = 0
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', 4096, resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    firstRequest: prefix => new Promise(resolve => waiters.set(prefix, resolve)),
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** BENCH_NODE_FLAGS="--cpu-prof" profiles the clients. */
const childFlags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []

/** Runs one client in its own process; adds the server's CPU time (this process) meanwhile. */
async function runChild(
  args: string[],
  flags: string[] = []
): Promise<ClientResult & { serverCpuMs: number; flags?: string[] }> {
  const cpu0 = process.cpuUsage()
  const r = await runChildProcess(args, flags)
  const cpu = process.cpuUsage(cpu0)
  return { ...r, serverCpuMs: (cpu.user + cpu.system) / 1000, ...(flags.length ? { flags } : {}) }
}

function runChildProcess(args: string[], flags: string[]): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...childFlags, ...flags, SELF, 'client', ...args], {
      stdio: ['ignore', 'pipe', 'inherit']
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000)
    child.on('close', code => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`client ${args.join(' ')} exited ${code}`))
      resolve(JSON.parse(out.trim().split('\n').pop()!) as ClientResult)
    })
  })
}

/** The built action whose start-up is measured: BENCH_DIST=/tmp/x for a build outside dist/. */
const DIST = process.env.BENCH_DIST ? path.resolve(process.env.BENCH_DIST) : path.join(ROOT, 'dist')

/** Milliseconds from spawning `node dist/index.js` to the server seeing its first request. */
async function startup(server: Server, run: number): Promise<number> {
  const prefix = `/startup-${run}/`
  const tmp = os.tmpdir()
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    INPUT_URL: server.origin,
    INPUT_ENDPOINTS: `- ${prefix}a`,
    INPUT_VERIFY: 'false',
    GITHUB_WORKSPACE: tmp,
    RUNNER_TEMP: tmp
  }
  const seen = server.firstRequest(prefix)
  const t0 = performance.now()
  const child = spawn(process.execPath, [path.join(DIST, 'index.js')], {
    env,
    stdio: 'ignore'
  })
  const exited = new Promise<void>(resolve => child.on('close', () => resolve()))
  const at = await Promise.race([
    seen,
    new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no request')), 10_000))
  ])
  await exited
  return at - t0
}

async function nodeBare(): Promise<number> {
  const t0 = performance.now()
  await new Promise<void>(resolve =>
    spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }).on('close', () => resolve())
  )
  return performance.now() - t0
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (v: number, digits = 0): string =>
  v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const list = (text: string | undefined, fallback: number[]): number[] =>
  text ? text.split(',').map(s => Number(s.replace(/_/g, ''))) : fallback

interface Row extends ClientResult {
  readonly rps: number
  readonly flags?: string[]
}

/**
 * The four targets of issue #14, as ratios within this one run, each PASS or MISS: engine req/s
 * against autocannon's at C=32 and C=128, client CPU per request against autocannon's, peak RSS
 * on 20,000 endpoints (no V8 flags), start-up over a bare `node -e 0`.
 */
export function targetLines(rows: readonly Row[], startupOverBareMs: number): string[] {
  const plain = rows.filter(r => !r.flags?.length)
  const largest = Math.max(...plain.map(r => r.n))
  const pairs = [32, 128].flatMap(c => {
    const engine = plain.find(r => r.mode === 'engine' && r.c === c && r.n === largest)
    const ac = plain.find(r => r.mode === 'autocannon' && r.c === c && r.n === largest)
    const floor = plain.find(r => r.mode === 'node-http' && r.c === c && r.n === largest)
    return engine && ac ? [{ c, engine, ac, ...(floor ? { floor } : {}) }] : []
  })
  const verdict = (ok: boolean | undefined): string =>
    ok === undefined ? 'not measured' : ok ? 'PASS' : 'MISS'
  const at = (c: number): string => `C=${c}`
  const shares = pairs.map(p => ({ c: p.c, v: p.engine.rps / p.ac.rps }))
  const cpu = pairs.map(p => ({
    c: p.c,
    v: p.engine.cpuMs / p.engine.sent / (p.ac.cpuMs / p.ac.sent),
    engine: (p.engine.cpuMs / p.engine.sent) * 1000,
    ac: (p.ac.cpuMs / p.ac.sent) * 1000,
    floor: p.floor ? (p.floor.cpuMs / p.floor.sent) * 1000 : undefined
  }))
  const floors = cpu.filter(x => x.floor !== undefined)
  const big = plain.filter(r => r.mode === 'engine' && r.n >= 20_000)
  const rss = big.length > 0 ? Math.max(...big.map(r => r.rssMb)) : undefined
  const none = pairs.length === 0
  return [
    `Targets (issue #14), N=${fmt(largest)}:`,
    `- engine req/s >= 90 % of autocannon's at C=32 and C=128: ${shares.map(s => `${fmt(s.v * 100)} % at ${at(s.c)}`).join(', ') || '-'} → ${verdict(none ? undefined : shares.length === 2 && shares.every(s => s.v >= 0.9))}`,
    `- client CPU per 1,000 requests within 2x of autocannon's: ${cpu.map(x => `${fmt(x.engine)} vs ${fmt(x.ac)} ms (${fmt(x.v, 1)}x) at ${at(x.c)}`).join(', ') || '-'} → ${verdict(none ? undefined : cpu.every(x => x.v <= 2))}`,
    ...(floors.length
      ? [
          `  node:http alone (a bare keep-alive loop, no engine): ${floors.map(x => `${fmt(x.floor!)} ms (${fmt(x.floor! / x.ac, 1)}x) at ${at(x.c)}`).join(', ')}; the engine adds ${floors.map(x => `${fmt(x.engine - x.floor!)} ms at ${at(x.c)}`).join(', ')}`
        ]
      : []),
    `- 20,000 endpoints peak RSS <= 150 MB without V8 flags: ${rss === undefined ? '-' : `${fmt(rss)} MB (highest of C=${big.map(r => r.c).join(', ')})`} → ${verdict(rss === undefined ? undefined : rss <= 150)}`,
    `- start-up to the first request within 100 ms of a bare \`node -e 0\`: +${fmt(startupOverBareMs)} ms → ${verdict(startupOverBareMs <= 100)}`
  ]
}

async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick')
  const sizes = list(process.env.BENCH_N, quick ? [200, 2000] : [200, 2000, 20000])
  const cs = list(process.env.BENCH_C, quick ? [8, 32] : [8, 32, 128])
  const modes = process.env.BENCH_MODES?.split(',')
  const server = await startServer()
  const rows: (ClientResult & {
    serverCpuMs: number
    ideal: number
    efficiency: number
    rps: number
    shareOfAutocannon?: number
    extrapolatedMs?: number
  })[] = []
  const began = performance.now()
  for (const n of sizes) {
    const runs: (ClientResult & { serverCpuMs: number; flags?: string[]; note?: string })[] = []
    const want = (mode: string): boolean => !modes || modes.includes(mode)
    if (want('sequential')) runs.push(await runChild(['sequential', server.origin, String(n), '1']))
    if (want('promise-all'))
      runs.push(await runChild(['promise-all', server.origin, String(n), String(n)]))
    for (const c of cs) {
      // C=8 on 20,000 endpoints takes a minute and says what C=8 on 2,000 says: skipped, so a
      // whole run stays under 3 minutes (BENCH_C=8 BENCH_N=20000 runs it).
      if (c === 8 && n >= 20_000 && !process.env.BENCH_C) continue
      if (want('autocannon'))
        runs.push(await runChild(['autocannon', server.origin, String(n), String(c)]))
      if (want('engine')) runs.push(await runChild(['engine', server.origin, String(n), String(c)]))
      // node:http alone, on the largest list only: the floor the engine's CPU cannot go under.
      if (want('node-http') && n === Math.max(...sizes))
        runs.push(await runChild(['node-http', server.origin, String(n), String(c)]))
    }
    if (want('engine') && n >= 20_000 && cs.includes(32))
      runs.push(await runChild(['engine', server.origin, String(n), '32'], ['--optimize-for-size']))
    for (const r of runs) {
      // The sequential loop and autocannon send another number of requests: scaled to N.
      const msFull = r.sent !== r.n ? (r.ms * r.n) / r.sent : r.ms
      const ideal = Math.ceil(r.n / r.c) * LATENCY_MS
      const rps = (r.sent / r.ms) * 1000
      const ac = runs.find(x => x.mode === 'autocannon' && x.c === r.c)
      if (r.flags) r.note = `node ${r.flags.join(' ')}`
      rows.push({
        ...r,
        ...(msFull !== r.ms ? { extrapolatedMs: msFull } : {}),
        ideal,
        efficiency: ideal / msFull,
        rps,
        ...(r.mode === 'engine' && ac
          ? { shareOfAutocannon: rps / ((ac.sent / ac.ms) * 1000) }
          : {})
      })
    }
    process.stderr.write(`N=${n} done after ${fmt((performance.now() - began) / 1000, 1)}s\n`)
  }
  const bare = [] as number[]
  const starts = [] as number[]
  for (let i = 0; i < STARTUP_RUNS; i++) {
    bare.push(await nodeBare())
    starts.push(await startup(server, i))
  }
  await server.close()

  const machine = {
    nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()}`
  }
  const lines = [
    `Machine: ${machine.nproc} CPU(s), ${machine.cpu}, Node ${machine.node}; server latency ${LATENCY_MS} ms`,
    '',
    '| N | client | C | time | ideal ceil(N/C)×20ms | efficiency | req/s | % of autocannon | errors | client CPU ms / 1k req | server CPU ms / 1k req | client peak RSS |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
  ]
  for (const r of rows) {
    const time = r.extrapolatedMs ?? r.ms
    lines.push(
      `| ${fmt(r.n)} | ${r.mode}${r.note ? ` (${r.note})` : ''} | ${r.mode === 'promise-all' ? 'N' : r.c} | ${fmt(time / 1000, 2)} s${r.extrapolatedMs ? '*' : ''} | ${fmt(r.ideal / 1000, 2)} s | ${fmt(r.efficiency, 2)} | ${fmt(r.rps)} | ${r.shareOfAutocannon !== undefined ? `${fmt(r.shareOfAutocannon * 100)} %` : ''} | ${r.errors} | ${fmt((r.cpuMs / r.sent) * 1000)} | ${fmt((r.serverCpuMs / r.sent) * 1000)} | ${fmt(r.rssMb)} MB |`
    )
  }
  lines.push(
    '',
    `Start-up of dist/index.js to its first request: median ${fmt(median(starts))} ms of ${STARTUP_RUNS} (${starts.map(s => fmt(s)).join(', ')}); bare \`node -e 0\`: median ${fmt(median(bare))} ms`
  )
  lines.push('', ...targetLines(rows, median(starts) - median(bare)))
  const text = lines.join('\n')
  process.stdout.write(`${text}\n`)
  writeFileSync(
    path.join(ROOT, 'bench.json'),
    `${JSON.stringify({ machine, latencyMs: LATENCY_MS, rows, startup: { ms: starts, median: median(starts), nodeBareMs: bare }, table: text }, null, 2)}\n`
  )
  process.stderr.write(
    `bench.json written; ${fmt((performance.now() - began) / 1000, 1)}s in all\n`
  )
}

if (process.argv[2] === 'client') {
  const [, , , mode, origin, n, c] = process.argv
  client(mode!, origin!, Number(n), Number(c)).then(
    r => {
      process.stdout.write(`${JSON.stringify(r)}\n`)
      process.exit(0)
    },
    error => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
      process.exit(1)
    }
  )
} else {
  main().catch(error => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
    process.exitCode = 1
  })
}
