/**
 * Example trading-reports API on Cloudflare Workers: the kind of deployment cache-warm-action
 * warms. Plain JavaScript (an ES module Worker) so it runs in workerd as is, with no build step.
 *
 * Data routes are slow until cached (a simulated upstream) and fast after. The cache has two
 * levels: L1 is a bounded Map in this isolate's memory, L2 is the CACHE_KV namespace. Counters
 * live in isolate memory, so on Cloudflare each isolate reports its own metrics.
 *
 * Switches (string vars) reproduce the ways a real deployment goes wrong; see README.md.
 */

const VERSION_FALLBACK = 'dev'
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'SPY', 'QQQ']
const PRICES = { AAPL: 189.84, MSFT: 415.5, NVDA: 902.1, TSLA: 171.05, SPY: 521.3, QQQ: 445.2 }
const REPORTS = ['pre-market', 'intraday', 'end-of-day']
const WARM_ROUTES = [...REPORTS.map(r => `/api/v1/reports/${r}`), '/api/v1/symbols']

/** Simulated upstream latency of an uncached answer, in ms. */
const UPSTREAM_MS = [150, 300]
const TTL_SECONDS = 300
const DEFAULT_L1_CAPACITY = 100
const KV_PREFIX = 'cache:'
/** SELF_INFLATING_WARMUP: test entries written, and how often each is read back. */
const SELF_TEST_ENTRIES = 20
const SELF_TEST_READS = 25

// Isolate state: survives between requests to the same isolate, gone when it is evicted.
/** @type {Map<string, {entry: CacheEntry, expiresAt: number}>} */
const l1 = new Map()
const counters = { totalRequests: 0, l1Hits: 0, l2Hits: 0, misses: 0, evictions: 0 }
/** API key digest -> { second, count } for RATE_LIMIT_PER_SEC. */
const rateWindows = new Map()

/**
 * What the cache keeps for a route: `data` and `real_data`, or only `success` for a route whose
 * data went missing. The envelope (cached, metadata) is added per answer.
 * @typedef {{ success: true, data?: unknown, real_data?: boolean }} CacheEntry
 */

export default {
  /**
   * @param {Request} request
   * @param {Record<string, any>} env
   */
  async fetch(request, env) {
    let response
    try {
      response = await handle(request, env)
    } catch (error) {
      response = json(500, { success: false, error: `Internal error: ${String(error)}` })
    }
    return withEdgeHeaders(response, env)
  }
}

/**
 * Every answer says which version served it (X-Worker-Version: the version-metadata binding's
 * id on Cloudflare, the VERSION var where the binding is absent, as in miniflare), so
 * `expect-version: header:X-Worker-Version=<id>` can fail an answer from another version during
 * a gradual deployment. Run locally with LOCAL_COLO set, it also sends a cf-ray naming that
 * "colo" (`<hex>-LCL`), as Cloudflare's edge does with the real one; deployed, the edge's own
 * cf-ray is the one that counts, so the Worker sends none.
 */
function withEdgeHeaders(response, env) {
  const headers = new Headers(response.headers)
  headers.set('X-Worker-Version', workerVersion(env))
  if (/^[A-Z]{3}$/.test(String(env.LOCAL_COLO ?? ''))) {
    const id = [...crypto.getRandomValues(new Uint8Array(8))]
      .map(b => b.toString(16).padStart(2, '0'))
      .join('')
    headers.set('cf-ray', `${id}-${env.LOCAL_COLO}`)
  }
  return new Response(response.body, { status: response.status, headers })
}

function workerVersion(env) {
  return env.CF_VERSION_METADATA?.id || env.VERSION || VERSION_FALLBACK
}

async function handle(request, env) {
  const url = new URL(request.url)
  const path = url.pathname
  const head = request.method === 'HEAD'

  if (path === '/health') {
    return json(200, { status: 'ok', version: env.VERSION || VERSION_FALLBACK }, {}, head)
  }
  if (!path.startsWith('/api/')) return json(404, { success: false, error: 'Not found' }, {}, head)

  const denied = await authenticate(request, env)
  if (denied) return denied
  const limited = await rateLimit(request, env)
  if (limited) return limited

  if (path === '/api/v1/cache/metrics') return metrics(env, head)
  if (path === '/api/v1/cache/warmup') {
    // Only POST exists; anything else looks like an unknown cache route, as in the real API.
    if (request.method !== 'POST') {
      return json(404, { success: false, error: 'Cache endpoint not found' }, {}, head)
    }
    return warmup(env)
  }

  const route = findRoute(path)
  if (!route) return json(404, { success: false, error: `No route for ${path}` }, {}, head)
  if (request.method !== 'GET' && !head) {
    return json(405, { success: false, error: 'Method not allowed' }, { Allow: 'GET, HEAD' })
  }
  if (list(env.FAILING_ROUTES).includes(path)) {
    return json(503, { success: false, error: 'Upstream unavailable' }, {}, head)
  }
  if (route.notFound) return json(404, { success: false, error: route.notFound }, {}, head)

  const key = `${path}${url.search}`
  // UNCACHED_ROUTES: the lookup is made (and misses) but nothing is stored, as with a cache key
  // that changes on every request; each answer pays for the upstream again.
  const uncached = list(env.UNCACHED_ROUTES).includes(path)
  const found = uncached ? countMiss() : await lookup(key, env)
  const entry = found?.entry ?? (await fromOrigin(path, route, env))
  if (!found && !uncached) await remember(key, entry, env)
  const layer = found ? found.layer : 'origin'
  const body = {
    ...entry,
    cached: Boolean(found),
    metadata: { cacheStatus: found ? 'hit' : 'miss', layer }
  }
  return json(200, body, { 'X-Cache': found ? 'HIT' : 'MISS' }, head)
}

// ── auth and rate limit ────────────────────────────────────────────────────────────────────

/** Returns a 401 (or 500 when no key is configured) Response, or undefined when allowed. */
async function authenticate(request, env) {
  const expected = env.API_KEY
  if (!expected) {
    // Fail closed: a deploy without its secret must not serve the API openly.
    return json(500, { success: false, error: 'API_KEY is not configured on this deployment' })
  }
  const given = request.headers.get('X-API-Key')
  if (given !== null && (await sameSecret(given, expected))) return undefined
  return json(
    401,
    { success: false, error: given === null ? 'API key required' : 'Invalid API key' },
    { 'WWW-Authenticate': 'ApiKey realm="reports"' }
  )
}

/** Constant-time comparison: both sides are hashed first so their lengths always match. */
async function sameSecret(a, b) {
  const [da, db] = await Promise.all([digest(a), digest(b)])
  return crypto.subtle.timingSafeEqual(da, db)
}

async function digest(text) {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
}

/** RATE_LIMIT_PER_SEC=N: at most N requests per key per wall-clock second, then 429. */
async function rateLimit(request, env) {
  const limit = Number(env.RATE_LIMIT_PER_SEC)
  if (!Number.isFinite(limit) || limit <= 0) return undefined
  // The window is keyed by a digest, so the raw key is not kept in memory longer than needed.
  const id = hex(await digest(request.headers.get('X-API-Key') ?? ''))
  const second = Math.floor(Date.now() / 1000)
  const window = rateWindows.get(id)
  if (!window || window.second !== second) {
    rateWindows.set(id, { second, count: 1 })
    return undefined
  }
  window.count++
  if (window.count <= limit) return undefined
  return json(
    429,
    { success: false, error: `Rate limit exceeded: ${limit} requests per second` },
    { 'Retry-After': '1' }
  )
}

function hex(buffer) {
  return [...new Uint8Array(buffer)].map(b => b.toString(16).padStart(2, '0')).join('')
}

// ── data routes ────────────────────────────────────────────────────────────────────────────

/**
 * @returns {{ build: (placeholder: boolean) => unknown, notFound?: string } | undefined}
 */
function findRoute(path) {
  const report = /^\/api\/v1\/reports\/([a-z-]+)$/.exec(path)
  if (report) {
    const kind = report[1]
    return REPORTS.includes(kind) ? { build: p => reportData(kind, p) } : undefined
  }
  if (path === '/api/v1/symbols') return { build: p => SYMBOLS.map(s => quote(s, p)) }
  const sentiment = /^\/api\/v1\/sentiment\/([A-Za-z.]{1,10})$/.exec(path)
  if (sentiment) {
    const symbol = sentiment[1].toUpperCase()
    if (!SYMBOLS.includes(symbol))
      return { build: () => null, notFound: `Unknown symbol ${symbol}` }
    return {
      build: p => ({ ...quote(symbol, p), sentiment: p ? null : 'bullish', score: p ? null : 0.64 })
    }
  }
  return undefined
}

function quote(symbol, placeholder) {
  return {
    symbol,
    price: placeholder ? null : PRICES[symbol],
    change_pct: placeholder ? null : 0.42
  }
}

function reportData(kind, placeholder) {
  return {
    type: kind,
    generated_at: new Date().toISOString(),
    market_bias: placeholder ? null : 'bullish',
    watchlist: SYMBOLS.slice(0, 3).map(s => quote(s, placeholder))
  }
}

/** The slow path: asks the (simulated) upstream, then shapes the answer the cache will keep. */
async function fromOrigin(path, route, env) {
  const [min, max] = UPSTREAM_MS
  await sleep(min + Math.random() * (max - min))
  if (list(env.MISSING_DATA_ROUTES).includes(path)) return { success: true }
  const placeholder = flag(env.PLACEHOLDER_DATA)
  return { success: true, data: route.build(placeholder), real_data: !placeholder }
}

function sleep(ms) {
  // scheduler.wait is the Workers-native timer; setTimeout keeps the file usable elsewhere.
  if (typeof scheduler !== 'undefined' && typeof scheduler.wait === 'function') {
    return scheduler.wait(ms)
  }
  return new Promise(resolve => setTimeout(resolve, ms))
}

// ── the two-level cache ────────────────────────────────────────────────────────────────────

/** Looks `key` up in L1, then L2 (promoting to L1), counting each lookup once. */
async function lookup(key, env) {
  counters.totalRequests++
  const now = Date.now()
  const inL1 = l1.get(key)
  if (inL1 && inL1.expiresAt > now) {
    l1.delete(key) // re-insert: the Map's order is the LRU order
    l1.set(key, inL1)
    counters.l1Hits++
    return { entry: inL1.entry, layer: 'l1' }
  }
  if (inL1) l1.delete(key)
  const inL2 = await env.CACHE_KV.get(KV_PREFIX + key, 'json')
  if (inL2) {
    counters.l2Hits++
    putL1(key, inL2, env)
    return { entry: inL2, layer: 'l2' }
  }
  counters.misses++
  return undefined
}

/** A lookup that can never hit (UNCACHED_ROUTES), counted like any other miss. */
function countMiss() {
  counters.totalRequests++
  counters.misses++
  return undefined
}

async function remember(key, entry, env) {
  putL1(key, entry, env)
  await env.CACHE_KV.put(KV_PREFIX + key, JSON.stringify(entry), { expirationTtl: TTL_SECONDS })
}

function putL1(key, entry, env) {
  l1.delete(key)
  l1.set(key, { entry, expiresAt: Date.now() + TTL_SECONDS * 1000 })
  const capacity = Number(env.L1_CAPACITY) > 0 ? Number(env.L1_CAPACITY) : DEFAULT_L1_CAPACITY
  while (l1.size > capacity) {
    l1.delete(l1.keys().next().value)
    counters.evictions++
  }
}

/** Keys in L2. KV's list is eventually consistent on Cloudflare, so this can lag writes. */
async function l2Size(env) {
  let size = 0
  let cursor
  for (let page = 0; page < 10; page++) {
    const result = await env.CACHE_KV.list({ prefix: KV_PREFIX, cursor })
    size += result.keys.length
    if (result.list_complete) break
    cursor = result.cursor
  }
  return size
}

// ── cache routes ───────────────────────────────────────────────────────────────────────────

async function metrics(env, head) {
  const { totalRequests, l1Hits, l2Hits } = counters
  const fraction = n => (totalRequests ? Math.round((n / totalRequests) * 1000) / 1000 : 0)
  // PERCENT_STRINGS: some APIs report "78.5%" instead of 0.785.
  const rate = flag(env.PERCENT_STRINGS) ? n => `${Math.round(fraction(n) * 1000) / 10}%` : fraction
  const cacheStats = {
    ...counters,
    l1Size: l1.size,
    l2Size: await l2Size(env),
    l1HitRate: rate(l1Hits),
    l2HitRate: rate(l2Hits),
    overallHitRate: rate(l1Hits + l2Hits)
  }
  const l1Stats = { size: l1.size, hitRate: rate(l1Hits) }
  return json(200, { success: true, cacheStats, l1Stats, timestamp: Date.now() }, {}, head)
}

async function warmup(env) {
  if (!flag(env.WARMUP_ENABLED)) {
    return json(403, {
      success: false,
      error: 'Cache warm-up is disabled on this deployment (WARMUP_ENABLED is not "true")'
    })
  }
  const started = Date.now()
  if (flag(env.SELF_INFLATING_WARMUP)) return selfInflatingWarmup(env, started)

  // Warms what users ask for: every report route, fetched from the upstream in parallel.
  // Failing routes cannot be fetched, and uncached ones cannot be stored: both are skipped.
  const unwarmable = [...list(env.FAILING_ROUTES), ...list(env.UNCACHED_ROUTES)]
  const routes = WARM_ROUTES.filter(p => !unwarmable.includes(p))
  await Promise.all(
    routes.map(async path => remember(path, await fromOrigin(path, findRoute(path), env), env))
  )
  const skipped = WARM_ROUTES.filter(p => unwarmable.includes(p))
  const data = { warmed: routes, skipped, durationMs: Date.now() - started }
  return json(200, { success: true, data, real_data: !flag(env.PLACEHOLDER_DATA) })
}

/**
 * The warm-up bug this switch reproduces: it "tests" the cache with its own entries, writing
 * each and reading it back many times. Every read is an L1 hit, so the hit counters and hit
 * rate climb and l1Size/l2Size grow, while no route a user calls has been cached.
 */
async function selfInflatingWarmup(env, started) {
  const keys = Array.from({ length: SELF_TEST_ENTRIES }, (_, i) => `/__warmup-test/${i}`)
  for (const key of keys) await remember(key, { success: true, data: { test: key } }, env)
  for (let round = 0; round < SELF_TEST_READS; round++) {
    for (const key of keys) await lookup(key, env)
  }
  const data = { warmed: keys.length, verified: keys.length * SELF_TEST_READS }
  return json(200, { success: true, data: { ...data, durationMs: Date.now() - started } })
}

// ── helpers ────────────────────────────────────────────────────────────────────────────────

function json(status, body, headers = {}, head = false) {
  const text = JSON.stringify(body)
  return new Response(head ? null : text, {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers }
  })
}

/** A var is on only when it is the string "true" (wrangler [vars] and secrets are strings). */
function flag(value) {
  return String(value ?? '').toLowerCase() === 'true'
}

/** A comma-separated var as a list of trimmed, non-empty items. */
function list(value) {
  return String(value ?? '')
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)
}
