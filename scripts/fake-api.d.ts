/** Types for scripts/fake-api.js (plain JavaScript, imported by the end-to-end tests). */
export interface FakeApiOptions {
  /** The key /api/* wants in X-API-Key. Unset: /api/* is open. */
  apiKey?: string
  /** Answer placeholder data: `real_data: false`, prices null. */
  placeholder?: boolean
  /** Paths answering 200 `{"success": true}` with no `data`. */
  missingData?: string[]
  /** Path -> ms to wait on every request, cached or not. */
  slow?: Record<string, number>
  /** Paths that always answer 503. */
  failing?: string[]
  /** Echo the received key in every body (secret-leak tests). */
  echoKey?: boolean
  /** Range of an uncached answer's delay in ms (default [150, 250]). */
  coldMs?: [number, number]
  /** Entries the in-memory L1 keeps before evicting (default 100). */
  l1Capacity?: number
  /** The metrics show the counters as they were this long ago (default 0: live). */
  metricsLagMs?: number
  /** How the metrics write hit rates: 0.5, 50 or "50%" (default fraction). */
  rateFormat?: 'fraction' | 'percent' | 'percent-string'
  /** The version /health reports (JSON `version`, header X-Worker-Version). */
  version?: string
  /** Until this long after start, /health reports `previousVersion`: the new one is not live yet. */
  versionAfterMs?: number
  /** The old version /health reports before `versionAfterMs` (default "previous"). */
  previousVersion?: string
}

export interface FakeApiStats {
  /** Every request the server received. */
  requests: number
  /** Requests answered 401. */
  unauthorized: number
  /** Requests per "METHOD /path". */
  byPath: Record<string, number>
  /** Requests that carried Cloudflare-Workers-Version-Overrides. */
  withVersionOverride: number
  /** The version /health reported when the first data route was requested. */
  firstDataVersion: string | undefined
}

export interface FakeApi {
  /** Base URL, e.g. http://127.0.0.1:54321 */
  readonly url: string
  readonly port: number
  readonly stats: FakeApiStats
  /** Stops the server, drops open connections and pending timers. */
  close(): Promise<void>
}

/** Starts the fake trading-reports API on 127.0.0.1 on a free port. */
export function startFakeApi(options?: FakeApiOptions): Promise<FakeApi>
