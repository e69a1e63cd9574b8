/**
 * Smoke test of the example Worker (examples/worker) running in workerd through miniflare
 * (scripts/worker.js): auth, cold against warm latency, the two cache levels, metrics, the
 * warm-up route and every failure switch. Each describe starts its own Worker: a fresh isolate.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { startWorker, type RunningWorker } from '../../scripts/worker.js'

const KEY = `test-${randomBytes(8).toString('hex')}`
const PRE_MARKET = '/api/v1/reports/pre-market'
const INTRADAY = '/api/v1/reports/intraday'
const END_OF_DAY = '/api/v1/reports/end-of-day'
const SYMBOLS = '/api/v1/symbols'
const METRICS = '/api/v1/cache/metrics'
const WARMUP = '/api/v1/cache/warmup'

interface Answer {
  status: number
  ms: number
  headers: Headers
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON under test
  body: any
}

/** Sends one request; `key: null` sends no X-API-Key. Times it until the body is read. */
async function call(
  worker: RunningWorker,
  path: string,
  { method = 'GET', key = KEY }: { method?: string; key?: string | null } = {}
): Promise<Answer> {
  const headers: Record<string, string> = key === null ? {} : { 'X-API-Key': key }
  const started = performance.now()
  const res = await fetch(worker.url + path, { method, headers })
  const text = await res.text()
  const ms = performance.now() - started
  return { status: res.status, ms, headers: res.headers, body: text ? JSON.parse(text) : undefined }
}

/** Starts a Worker for the enclosing describe and closes it after. */
function useWorker(vars: Record<string, string> = {}): () => RunningWorker {
  let worker: RunningWorker | undefined
  beforeAll(async () => {
    worker = await startWorker({ vars: { API_KEY: KEY, VERSION: '1.2.3', ...vars } })
    // The isolate's first request pays for compiling the script; keep that out of timings.
    await call(worker, '/health')
  })
  afterAll(async () => {
    await worker?.close()
  })
  return () => {
    if (!worker) throw new Error('the Worker did not start')
    return worker
  }
}

describe('example Worker with LOCAL_COLO off', () => {
  const worker = useWorker({ LOCAL_COLO: '' })

  it('sends no cf-ray, like a deployment not behind Cloudflare, and still its version', async () => {
    const answer = await call(worker(), SYMBOLS)
    expect(answer.headers.get('cf-ray')).toBeNull()
    expect(answer.headers.get('x-worker-version')).toBe('1.2.3')
  })
})

describe('example Worker, default settings', () => {
  const worker = useWorker()

  it('answers /health without a key, with the deployed version', async () => {
    const health = await call(worker(), '/health', { key: null })
    expect(health.status).toBe(200)
    expect(health.body).toEqual({ status: 'ok', version: '1.2.3' })
  })

  it('says on every answer which version served it and, locally, a cf-ray naming its colo', async () => {
    for (const [path, key] of [
      ['/health', null],
      // Routes that cache nothing, so the metrics test below starts where it expects.
      ['/api/v1/no-such-route', KEY],
      [SYMBOLS, 'wrong-key']
    ] as const) {
      const answer = await call(worker(), path, { key })
      // No version-metadata binding in miniflare: the VERSION var stands in for its id.
      expect(answer.headers.get('x-worker-version')).toBe('1.2.3')
      expect(answer.headers.get('cf-ray')).toMatch(/^[0-9a-f]{16}-LCL$/)
    }
  })

  it('refuses /api/* without a key or with a wrong one: 401, JSON, WWW-Authenticate', async () => {
    for (const key of [null, 'wrong-key']) {
      const denied = await call(worker(), SYMBOLS, { key })
      expect(denied.status).toBe(401)
      expect(denied.headers.get('www-authenticate')).toBe('ApiKey realm="reports"')
      expect(denied.body).toEqual({
        success: false,
        error: key === null ? 'API key required' : 'Invalid API key'
      })
    }
  })

  it('is slow when cold and fast when warm, and says so in X-Cache and the body', async () => {
    const cold = await call(worker(), PRE_MARKET)
    const warm = await call(worker(), PRE_MARKET)

    expect(cold.status).toBe(200)
    expect(cold.ms).toBeGreaterThanOrEqual(100)
    expect(cold.headers.get('x-cache')).toBe('MISS')
    expect(cold.body).toMatchObject({
      success: true,
      real_data: true,
      cached: false,
      metadata: { cacheStatus: 'miss', layer: 'origin' }
    })
    expect(cold.body.data.watchlist[0].price).toBe(189.84)

    // X-Cache and the body prove the hit; the time only has to beat the cold one (a busy 2-core
    // machine has served a hit in 71 ms).
    expect(warm.ms).toBeLessThan(cold.ms)
    expect(warm.headers.get('x-cache')).toBe('HIT')
    expect(warm.body).toMatchObject({ cached: true, metadata: { cacheStatus: 'hit', layer: 'l1' } })
    expect(warm.body.data).toEqual(cold.body.data)
  })

  it('moves the cache metrics as routes are requested', async () => {
    const before = (await call(worker(), METRICS)).body
    await call(worker(), SYMBOLS) // miss
    await call(worker(), SYMBOLS) // L1 hit
    const after = await call(worker(), METRICS)

    expect(after.status).toBe(200)
    const stats = after.body.cacheStats
    expect(stats.totalRequests).toBe(before.cacheStats.totalRequests + 2)
    expect(stats.misses).toBe(before.cacheStats.misses + 1)
    expect(stats.l1Hits).toBe(before.cacheStats.l1Hits + 1)
    expect(stats.l1Size).toBe(before.cacheStats.l1Size + 1)
    expect(stats.l2Size).toBe(before.cacheStats.l2Size + 1)
    expect(stats.evictions).toBe(0)
    for (const rate of [stats.l1HitRate, stats.l2HitRate, stats.overallHitRate]) {
      expect(rate).toBeGreaterThanOrEqual(0)
      expect(rate).toBeLessThanOrEqual(1)
    }
    expect(stats.overallHitRate).toBeCloseTo((stats.l1Hits + stats.l2Hits) / stats.totalRequests)
    expect(after.body.l1Stats).toEqual({ size: stats.l1Size, hitRate: stats.l1HitRate })
  })

  it('has the warm-up route only as POST, and refuses it while WARMUP_ENABLED is off', async () => {
    const get = await call(worker(), WARMUP)
    expect(get.status).toBe(404)
    expect(get.body).toEqual({ success: false, error: 'Cache endpoint not found' })

    const post = await call(worker(), WARMUP, { method: 'POST' })
    expect(post.status).toBe(403)
    expect(post.body.success).toBe(false)
  })
})

describe('example Worker, WARMUP_ENABLED=true', () => {
  const worker = useWorker({ WARMUP_ENABLED: 'true' })

  it('warms the real report routes, so their first request is a hit', async () => {
    const warmup = await call(worker(), WARMUP, { method: 'POST' })
    expect(warmup.status).toBe(200)
    expect(warmup.body.data.warmed).toEqual([PRE_MARKET, INTRADAY, END_OF_DAY, SYMBOLS])

    const first = await call(worker(), INTRADAY)
    expect(first.headers.get('x-cache')).toBe('HIT')
    expect(first.body).toMatchObject({ real_data: true, cached: true })
    // Under the upstream's least latency (UPSTREAM_MS): it was not fetched. Generous for load.
    expect(first.ms).toBeLessThan(150)
  })
})

describe('example Worker, L1_CAPACITY=2', () => {
  const worker = useWorker({ L1_CAPACITY: '2' })

  it('evicts from L1 and then answers from L2 (KV)', async () => {
    for (const path of [PRE_MARKET, INTRADAY, END_OF_DAY]) await call(worker(), path)
    const again = await call(worker(), PRE_MARKET)
    const { cacheStats } = (await call(worker(), METRICS)).body

    expect(again.headers.get('x-cache')).toBe('HIT')
    expect(again.body.metadata).toEqual({ cacheStatus: 'hit', layer: 'l2' })
    expect(cacheStats).toMatchObject({ l1Size: 2, l2Size: 3, l2Hits: 1, misses: 3 })
    expect(cacheStats.evictions).toBeGreaterThanOrEqual(1)
  })
})

describe('example Worker, failure switches', () => {
  describe('PLACEHOLDER_DATA=true', () => {
    const worker = useWorker({ PLACEHOLDER_DATA: 'true' })

    it('answers real_data: false with null prices', async () => {
      const answer = await call(worker(), '/api/v1/sentiment/AAPL')
      expect(answer.status).toBe(200)
      expect(answer.body).toMatchObject({ success: true, real_data: false })
      expect(answer.body.data).toMatchObject({ symbol: 'AAPL', price: null })
    })
  })

  describe('MISSING_DATA_ROUTES', () => {
    const worker = useWorker({ MISSING_DATA_ROUTES: INTRADAY })

    it('answers 200 success: true with no data on the listed route only', async () => {
      const missing = await call(worker(), INTRADAY)
      expect(missing.status).toBe(200)
      expect(missing.body.success).toBe(true)
      expect(missing.body).not.toHaveProperty('data')
      expect((await call(worker(), END_OF_DAY)).body.data.type).toBe('end-of-day')
    })
  })

  describe('FAILING_ROUTES', () => {
    const worker = useWorker({ FAILING_ROUTES: '/api/v1/sentiment/TSLA' })

    it('always answers 503 on the listed route, and normally elsewhere', async () => {
      expect((await call(worker(), '/api/v1/sentiment/TSLA')).status).toBe(503)
      expect((await call(worker(), '/api/v1/sentiment/TSLA')).status).toBe(503)
      expect((await call(worker(), '/api/v1/sentiment/NVDA')).status).toBe(200)
    })
  })

  describe('PERCENT_STRINGS=true', () => {
    const worker = useWorker({ PERCENT_STRINGS: 'true' })

    it('reports hit rates as "NN%" strings', async () => {
      await call(worker(), SYMBOLS)
      await call(worker(), SYMBOLS)
      const { cacheStats, l1Stats } = (await call(worker(), METRICS)).body
      expect(cacheStats.overallHitRate).toBe('50%')
      expect(cacheStats.l1HitRate).toBe('50%')
      expect(cacheStats.l2HitRate).toBe('0%')
      expect(l1Stats.hitRate).toBe('50%')
    })
  })

  describe('RATE_LIMIT_PER_SEC=2', () => {
    const worker = useWorker({ RATE_LIMIT_PER_SEC: '2' })

    it('answers 429 with Retry-After: 1 past the limit', async () => {
      // 10 in a row, as fast as they go: however they fall across second boundaries, some second
      // sees more than 2. (Ten at once through the test's fetch could be reset at connect when
      // the machine was busy with the rest of the suite.)
      const answers: Answer[] = []
      for (let i = 0; i < 10; i++) answers.push(await call(worker(), METRICS))
      const limited = answers.filter(a => a.status === 429)
      expect(limited.length).toBeGreaterThanOrEqual(3)
      expect(answers.filter(a => a.status === 200).length).toBeGreaterThanOrEqual(2)
      expect(limited[0]?.headers.get('retry-after')).toBe('1')
      expect(limited[0]?.body.success).toBe(false)
    })
  })

  describe('UNCACHED_ROUTES', () => {
    const worker = useWorker({ UNCACHED_ROUTES: SYMBOLS })

    it('never caches the listed route, counting each request as a miss', async () => {
      const first = await call(worker(), SYMBOLS)
      const second = await call(worker(), SYMBOLS)
      expect(second.headers.get('x-cache')).toBe('MISS')
      expect(second.body).toMatchObject({ real_data: true, cached: false })
      expect(second.ms).toBeGreaterThanOrEqual(100)
      expect(second.body.data).toHaveLength(first.body.data.length)
      const { cacheStats } = (await call(worker(), METRICS)).body
      expect(cacheStats).toMatchObject({ totalRequests: 2, misses: 2, l1Size: 0, l2Size: 0 })
      // Other routes still cache.
      await call(worker(), PRE_MARKET)
      expect((await call(worker(), PRE_MARKET)).headers.get('x-cache')).toBe('HIT')
    })
  })

  describe('SELF_INFLATING_WARMUP=true', () => {
    const worker = useWorker({ WARMUP_ENABLED: 'true', SELF_INFLATING_WARMUP: 'true' })

    it('inflates the hit counters while no real route is cached', async () => {
      expect((await call(worker(), WARMUP, { method: 'POST' })).status).toBe(200)
      const { cacheStats } = (await call(worker(), METRICS)).body
      expect(cacheStats.overallHitRate).toBeGreaterThanOrEqual(0.9)
      expect(cacheStats.l1Hits).toBeGreaterThanOrEqual(100)
      expect(cacheStats.l1Size).toBeGreaterThanOrEqual(10)
      expect(cacheStats.l2Size).toBeGreaterThanOrEqual(10)

      const report = await call(worker(), PRE_MARKET)
      expect(report.headers.get('x-cache')).toBe('MISS')
      expect(report.ms).toBeGreaterThanOrEqual(100)
    })
  })
})
