/**
 * Runs the example Worker (examples/worker) locally in workerd through miniflare, with an
 * in-memory CACHE_KV, for the demo and the end-to-end tests. No wrangler, no network.
 *
 * As a script: `API_KEY=secret WARMUP_ENABLED=true node scripts/worker.js [port]` serves it
 * until Ctrl-C; the Worker's vars are read from the environment (see VAR_NAMES).
 */
import { readFileSync } from 'node:fs'
import process from 'node:process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Log, LogLevel, Miniflare } from 'miniflare'

const WORKER_DIR = fileURLToPath(new URL('../examples/worker/', import.meta.url))
const SCRIPT = fileURLToPath(new URL('../examples/worker/src/index.js', import.meta.url))

/** The vars the Worker reads; the CLI copies these from the environment. */
export const VAR_NAMES = [
  'API_KEY',
  'VERSION',
  'WARMUP_ENABLED',
  'PLACEHOLDER_DATA',
  'MISSING_DATA_ROUTES',
  'FAILING_ROUTES',
  'PERCENT_STRINGS',
  'RATE_LIMIT_PER_SEC',
  'SELF_INFLATING_WARMUP',
  'UNCACHED_ROUTES',
  'L1_CAPACITY',
  'LOCAL_COLO'
]

/**
 * The "colo" the local Worker names in its cf-ray (`<hex>-LCL`), as Cloudflare's edge names the
 * data center; LOCAL_COLO="" turns it off (a deployment not behind Cloudflare).
 */
export const LOCAL_COLO = 'LCL'

/** wrangler.toml is the one place the compatibility date is set. */
function compatibilityDate() {
  const toml = readFileSync(new URL('wrangler.toml', pathToFileURL(WORKER_DIR)), 'utf8')
  const match = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)
  if (!match) throw new Error(`no compatibility_date in ${WORKER_DIR}wrangler.toml`)
  return match[1]
}

/**
 * @typedef {object} WorkerOptions
 * @property {Record<string, string | number | boolean>} [vars] The Worker's vars (API_KEY,
 *   switches). Values are turned into strings, as wrangler [vars] and secrets arrive.
 * @property {number} [port] Port on 127.0.0.1; 0 (default) picks a free one.
 */

/**
 * @typedef {object} RunningWorker
 * @property {string} url Base URL without a trailing slash, e.g. http://127.0.0.1:54321
 * @property {() => Promise<void>} close Stops workerd; the in-memory KV goes with it.
 */

/**
 * Starts the example Worker. Each call is a fresh workerd process: empty L1, L2 and counters.
 * @param {WorkerOptions} [options]
 * @returns {Promise<RunningWorker>}
 */
export async function startWorker({ vars = {}, port = 0 } = {}) {
  const bindings = Object.fromEntries(
    Object.entries({ LOCAL_COLO, ...vars }).map(([k, v]) => [k, String(v)])
  )
  const mf = new Miniflare({
    modules: true,
    scriptPath: SCRIPT,
    modulesRoot: WORKER_DIR,
    compatibilityDate: compatibilityDate(),
    kvNamespaces: ['CACHE_KV'],
    bindings,
    host: '127.0.0.1',
    port,
    // A placeholder Request.cf: the real one is fetched from workers.cloudflare.com otherwise.
    cf: false,
    log: new Log(LogLevel.WARN)
  })
  let url
  try {
    url = await mf.ready
  } catch (error) {
    await mf.dispose().catch(() => {})
    throw error
  }
  let closing
  return {
    url: url.origin,
    close: () => (closing ??= mf.dispose())
  }
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  const vars = Object.fromEntries(
    VAR_NAMES.filter(name => process.env[name] !== undefined).map(n => [n, process.env[n]])
  )
  const worker = await startWorker({ vars, port: Number(process.argv[2] ?? 8787) })
  console.log(`Example Worker listening on ${worker.url} (Ctrl-C to stop)`)
  const stop = () => worker.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
