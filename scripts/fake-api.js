/**
 * A fake of a freshly deployed trading-reports Cloudflare Worker, for the demo and the end-to-end
 * tests: X-API-Key on /api/*, slow answers until a route is cached (L1 in memory, a Map as "L2"),
 * X-Cache: MISS/HIT, cache metrics, and switches that reproduce the ways a deployment goes wrong.
 */
import http from 'node:http'

/**
 * @typedef {object} FakeApiOptions
 * @property {string} [apiKey] The key /api/* wants in X-API-Key. Unset: /api/* is open.
 * @property {boolean} [placeholder] Answer placeholder data: `real_data: false`, prices null.
 * @property {string[]} [missingData] Paths answering 200 `{"success": true}` with no `data`.
 * @property {Record<string, number>} [slow] Path -> ms to wait on every request, cached or not.
 * @property {string[]} [failing] Paths that always answer 503.
 * @property {boolean} [echoKey] Echo the received key in every /api/* body (secret-leak tests).
 * @property {[number, number]} [coldMs] Range of an uncached answer's delay (default 150-250 ms).
 * @property {number} [l1Capacity] Entries the in-memory L1 keeps before evicting (default 100).
 * @property {number} [metricsLagMs] The metrics show the counters as they were this long ago, the
 *   way an analytics pipeline lags behind the requests (default 0: live).
 * @property {'fraction' | 'percent' | 'percent-string'} [rateFormat] How the metrics write hit
 *   rates: 0.5, 50 or "50%" (default fraction).
 * @property {string} [version] The version /health reports (JSON `version`, header X-Worker-Version).
 * @property {number} [versionAfterMs] Until this long after start, /health reports
 *   `previousVersion` instead: the new version is not live yet.
 * @property {string} [previousVersion] The old version /health reports before then (default "previous").
 */

/**
 * @typedef {object} FakeApiStats
 * @property {number} requests Every request the server received.
 * @property {number} unauthorized Requests answered 401.
 * @property {Record<string, number>} byPath Requests per "METHOD /path".
 * @property {number} withVersionOverride Requests that carried Cloudflare-Workers-Version-Overrides.
 * @property {string | undefined} firstDataVersion The version /health reported when the first
 *   data route (/api/v1/reports, symbols, sentiment) was requested.
 */

/**
 * @typedef {object} FakeApi
 * @property {string} url Base URL, e.g. http://127.0.0.1:54321
 * @property {number} port
 * @property {FakeApiStats} stats
 * @property {() => Promise<void>} close Stops the server, drops open connections and timers.
 */

const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'SPY', 'QQQ']
const PRICES = { AAPL: 189.84, MSFT: 415.5, NVDA: 902.1, TSLA: 171.05, SPY: 521.3, QQQ: 445.2 }
const FAST_MS = 3

/** Waits `ms`; the timer is kept in `timers` so close() can drop it. */
const sleep = (ms, timers) =>
  new Promise(resolve => {
    const t = setTimeout(() => {
      timers.delete(t)
      resolve(undefined)
    }, ms)
    timers.add(t)
  })

/** The data routes: path pattern -> builder of `data` (price null when placeholder). */
const ROUTES = [
  [/^\/api\/v1\/reports\/pre-market$/, p => report('pre-market', p)],
  [/^\/api\/v1\/reports\/intraday$/, p => report('intraday', p)],
  [/^\/api\/v1\/reports\/end-of-day$/, p => report('end-of-day', p)],
  [/^\/api\/v1\/symbols$/, p => SYMBOLS.map(s => quote(s, p))],
  [
    /^\/api\/v1\/sentiment\/([A-Za-z.]{1,10})$/,
    (p, m) => ({ ...quote(m[1].toUpperCase(), p), sentiment: 'bullish', score: p ? null : 0.64 })
  ]
]

function quote(symbol, placeholder) {
  return { symbol, price: placeholder ? null : (PRICES[symbol] ?? 100), change_pct: 0.42 }
}

function report(kind, placeholder) {
  return {
    type: kind,
    generated_at: new Date().toISOString(),
    market_bias: placeholder ? null : 'bullish',
    watchlist: SYMBOLS.slice(0, 3).map(s => quote(s, placeholder))
  }
}

/**
 * Starts the fake API on 127.0.0.1 on a free port.
 * @param {FakeApiOptions} [options]
 * @returns {Promise<FakeApi>}
 */
export async function startFakeApi(options = {}) {
  const { apiKey, placeholder = false, echoKey = false, l1Capacity = 100 } = options
  const { metricsLagMs = 0, rateFormat = 'fraction', version, versionAfterMs = 0 } = options
  const previousVersion = options.previousVersion ?? 'previous'
  const startedAt = Date.now()
  const [coldMin, coldMax] = options.coldMs ?? [150, 250]
  const missing = new Set(options.missingData ?? [])
  const failing = new Set(options.failing ?? [])
  const slow = options.slow ?? {}
  /** @type {Map<string, string>} */ const l1 = new Map()
  /** @type {Map<string, string>} */ const l2 = new Map()
  const cache = { totalRequests: 0, l1Hits: 0, l2Hits: 0, misses: 0 }
  /** @type {FakeApiStats} */
  const stats = {
    requests: 0,
    unauthorized: 0,
    byPath: {},
    withVersionOverride: 0,
    firstDataVersion: undefined
  }
  const timers = new Set()
  let sawData = false

  const remember = (key, body) => {
    l1.delete(key)
    l1.set(key, body)
    if (l1.size > l1Capacity) l1.delete(l1.keys().next().value)
    l2.set(key, body)
  }
  /** Looks a key up in L1 then L2, counting like the real worker's metrics. */
  const lookup = key => {
    cache.totalRequests++
    if (l1.has(key)) return (cache.l1Hits++, l1.get(key))
    if (l2.has(key)) return (cache.l2Hits++, remember(key, l2.get(key)), l2.get(key))
    cache.misses++
    return undefined
  }
  /** What the metrics show: live, or (metricsLagMs) the counters as they were that long ago. */
  const history = [{ at: startedAt, cache: { ...cache }, l1Size: 0, l2Size: 0 }]
  const snapshot = () => {
    if (metricsLagMs > 0)
      history.push({ at: Date.now(), cache: { ...cache }, l1Size: l1.size, l2Size: l2.size })
  }
  const shown = () => {
    if (metricsLagMs <= 0) return { cache, l1Size: l1.size, l2Size: l2.size }
    const cutoff = Date.now() - metricsLagMs
    return history.filter(h => h.at <= cutoff).at(-1) ?? history[0]
  }
  const rateOf = (n, total) => {
    const r = total ? Math.round((n / total) * 1000) / 1000 : 0
    if (rateFormat === 'percent') return Math.round(r * 1000) / 10
    if (rateFormat === 'percent-string') return `${Math.round(r * 1000) / 10}%`
    return r
  }
  const liveVersion = () =>
    Date.now() - startedAt < versionAfterMs ? previousVersion : (version ?? undefined)

  async function handle(req, res) {
    const url = new URL(req.url ?? '/', 'http://fake')
    const path = url.pathname
    const key = req.headers['x-api-key']
    stats.requests++
    stats.byPath[`${req.method} ${path}`] = (stats.byPath[`${req.method} ${path}`] ?? 0) + 1
    if (req.headers['cloudflare-workers-version-overrides'] !== undefined)
      stats.withVersionOverride++
    const echo = echoKey && key !== undefined ? { received_key: key } : {}
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers })
      res.end(typeof body === 'string' ? body : JSON.stringify({ ...body, ...echo }))
    }

    if (path === '/health') {
      const v = liveVersion()
      if (v === undefined) return send(200, { status: 'healthy', timestamp: Date.now() })
      return send(
        200,
        { status: 'healthy', version: v, timestamp: Date.now() },
        { 'X-Worker-Version': v }
      )
    }
    if (!path.startsWith('/api/')) return send(404, { success: false, error: 'Not found' })
    if (apiKey !== undefined && key !== apiKey) {
      stats.unauthorized++
      const error =
        key === undefined ? 'API key required' : `Invalid API key${echoKey ? `: ${key}` : ''}`
      return send(
        401,
        { success: false, error },
        { 'WWW-Authenticate': 'ApiKey header="X-API-Key"' }
      )
    }
    if (slow[path]) await sleep(slow[path], timers)
    if (failing.has(path))
      return send(503, { success: false, error: 'Service temporarily unavailable' })

    if (path === '/api/v1/cache/metrics') {
      const m = shown()
      const cacheStats = { ...m.cache, l1Size: m.l1Size, l2Size: m.l2Size }
      cacheStats.overallHitRate = rateOf(m.cache.l1Hits + m.cache.l2Hits, m.cache.totalRequests)
      const l1Stats = { hitRate: rateOf(m.cache.l1Hits, m.cache.totalRequests) }
      return send(200, { success: true, cacheStats, l1Stats })
    }
    if (path === '/api/v1/cache/warmup') {
      if (req.method !== 'POST')
        return send(404, { success: false, error: 'Cache endpoint not found' })
      const warmed = ['pre-market', 'intraday', 'end-of-day'].map(k => `/api/v1/reports/${k}`)
      for (const p of warmed)
        remember(
          p,
          bodyFor(
            p,
            ROUTES.find(([re]) => re.test(p))
          )
        )
      snapshot()
      return send(200, { success: true, data: { warmed }, real_data: true })
    }

    const route = ROUTES.find(([pattern]) => pattern.test(path))
    if (!route) return send(404, { success: false, error: `No route for ${path}` })
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(405, { success: false, error: 'Method not allowed' }, { Allow: 'GET, HEAD' })

    if (!sawData) stats.firstDataVersion = liveVersion()
    sawData = true
    const cacheKey = `${path}${url.search}`
    const hit = lookup(cacheKey)
    const body = hit ?? bodyFor(path, route)
    if (hit === undefined) {
      await sleep(coldMin + Math.random() * (coldMax - coldMin), timers)
      remember(cacheKey, body)
    } else await sleep(FAST_MS, timers)
    snapshot()
    const withEcho = echoKey ? JSON.stringify({ ...JSON.parse(body), ...echo }) : body
    return send(200, withEcho, { 'X-Cache': hit === undefined ? 'MISS' : 'HIT' })
  }

  /** The JSON a data route answers, as the real worker shapes it. */
  function bodyFor(path, [pattern, build]) {
    if (missing.has(path)) return JSON.stringify({ success: true, timestamp: Date.now() })
    const data = build(placeholder, pattern.exec(path))
    return JSON.stringify({ success: true, data, real_data: !placeholder })
  }

  const server = http.createServer((req, res) => {
    req.resume()
    handle(req, res).catch(error => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ success: false, error: String(error) }))
    })
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    close: () =>
      new Promise(resolve => {
        for (const t of timers) clearTimeout(t)
        timers.clear()
        server.close(() => resolve(undefined))
        server.closeAllConnections()
      })
  }
}
