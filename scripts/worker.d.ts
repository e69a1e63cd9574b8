/** Types for scripts/worker.js (plain JavaScript, imported by the end-to-end tests). */
export interface WorkerOptions {
  /**
   * The Worker's vars: API_KEY, VERSION, WARMUP_ENABLED and the failure switches
   * (examples/worker/README.md). Values are turned into strings, as wrangler [vars] arrive.
   */
  vars?: Record<string, string | number | boolean>
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
}

export interface RunningWorker {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:54321 */
  readonly url: string
  /** Stops workerd; the in-memory KV goes with it. Safe to call more than once. */
  close(): Promise<void>
}

/** The vars the Worker reads; `node scripts/worker.js` copies these from the environment. */
export const VAR_NAMES: readonly string[]

/** The colo the local Worker names in its cf-ray (`<hex>-LCL`); LOCAL_COLO="" sends none. */
export const LOCAL_COLO: string

/** Starts the example Worker in workerd (miniflare): a fresh isolate, empty L1, L2 and counters. */
export function startWorker(options?: WorkerOptions): Promise<RunningWorker>
