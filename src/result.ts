import type { FailOn } from './config/settings.js'
import type { Method, Priority } from './config/endpoints.js'

export type Outcome = 'passed' | 'failed' | 'skipped'

/** What happened to one endpoint. Plain data: feeds the summary, the report and the outputs. */
/** `T` with its fields assignable: for building a result field by field (warm/endpoint.ts). */
export type Writable<T> = { -readonly [K in keyof T]: T[K] }

export interface EndpointResult {
  readonly source: string
  readonly method: Method
  readonly path: string
  readonly priority: Priority
  readonly name?: string
  readonly outcome: Outcome
  /** Status of the final answer, when one came. */
  readonly status?: number
  /** Latency of the final attempt (ms), when an answer came. */
  readonly latencyMs?: number
  readonly attempts: number
  /** e.g. `CF-Cache-Status: HIT`, `X-Cache: MISS`, `Age: 12`. */
  readonly cache?: string
  readonly bytes?: number
  /** Why it failed or was skipped, in words a user can act on. */
  readonly reason?: string
  /** A short machine-readable cause: `http-401`, `timeout`, `assertion`, `said-failed`, `redirect`, `deadline` ... */
  readonly cause?: string
  /**
   * Set on an endpoint that passed with an answer that looks like placeholder data
   * (`real_data: false`, `placeholder: true`, empty `data`, nothing but `success: true`).
   */
  readonly suspicious?: string
  /** The IATA colo of the final answer, from its `cf-ray` (`…-SJC` → `SJC`); absent without one. */
  readonly colo?: string
  /** The version the answer showed, when `expect-version` is set and it showed one. */
  readonly version?: string
  /**
   * A merged report only: each report's answer for an endpoint that more than one report
   * warmed (two regions), by label. The endpoint itself carries the worst of them.
   */
  readonly answers?: readonly EndpointAnswer[]
}

/** One report's answer for an endpoint in a merged report (see EndpointResult.answers). */
export interface EndpointAnswer {
  readonly label: string
  readonly outcome: Outcome
  readonly status?: number
  readonly latencyMs?: number
  readonly cache?: string
  readonly colo?: string
  readonly reason?: string
}

/** How many warm and verify answers came from one Cloudflare colo. */
export interface ColoCount {
  readonly colo: string
  readonly answers: number
}

/** One input report of a merged report, as the `merged` section lists it. */
export interface MergedReport {
  readonly file: string
  readonly label: string
  readonly target: string
  readonly result: 'passed' | 'failed' | 'dry-run'
  readonly stepFailed: boolean
  readonly stoppedBy?: 'deadline' | 'cancelled'
  readonly startedAt: string
  readonly durationMs: number
  readonly totals: Totals
  readonly shard?: { readonly index: number; readonly count: number; readonly of: number }
  readonly colos?: readonly ColoCount[]
  /** The gates (phases but warm) that failed in this report. */
  readonly failedPhases: readonly string[]
}

/** What a merged report was made of (`cache-warm merge`, `merge-reports`). */
export interface MergedSection {
  readonly reports: readonly MergedReport[]
  /** Endpoints (method and path) that more than one report warmed; counted once in totals. */
  readonly duplicates: number
  /** Shards of a matrix that left no report (`shard 3/4 has no report`): the merge fails. */
  readonly missing?: readonly string[]
  /**
   * Shards whose reports do not add up to one whole list (cut from lists of different sizes or
   * contents, endpoints missing from a complete matrix): the merge fails.
   */
  readonly mismatched?: readonly string[]
}

export interface TierResult {
  readonly priority: Priority
  readonly endpoints: readonly EndpointResult[]
  readonly durationMs: number
}

export interface Totals {
  readonly total: number
  readonly passed: number
  readonly failed: number
  readonly skipped: number
}

export interface RunResult {
  readonly schemaVersion: 1
  readonly tool: { readonly name: 'cache-warm-action'; readonly version: string }
  readonly target: string
  readonly startedAt: string
  readonly durationMs: number
  readonly dryRun: boolean
  /** `passed` only when every endpoint passed; `dry-run` when nothing was sent. */
  readonly result: 'passed' | 'failed' | 'dry-run'
  /** Whether the step fails, following `fail-on`. */
  readonly stepFailed: boolean
  readonly failOn: FailOn
  /** Set when the run stopped early. */
  readonly stoppedBy?: 'deadline' | 'cancelled'
  readonly settings: {
    readonly concurrency: number
    readonly timeoutMs: number
    readonly retries: number
    readonly deadlineMs: number
    readonly apiKeyHeader: string
    readonly apiKeySent: boolean
    /** Whether any endpoint's answer was checked against expect.json. */
    readonly contentsChecked?: boolean
    /** Requests per second across all workers, when max-rps is set. */
    readonly maxRps?: number
    /** This job's shard (`shard: i/n`) and how many endpoints the whole list has. */
    readonly shard?: { readonly index: number; readonly count: number; readonly of: number }
    /**
     * With shard: the whole list's fingerprint before sharding (listFingerprint, sha256 hex).
     * The merge checks that a complete matrix warmed exactly that list.
     */
    readonly plan?: string
  }
  readonly tiers: readonly TierResult[]
  readonly totals: Totals
  readonly latency: { readonly coldP50Ms?: number; readonly coldP95Ms?: number }
  readonly warnings: readonly string[]
  /** What this report is in a matrix: the shard `2/4`, a region (`report-label`). */
  readonly label?: string
  /**
   * Every colo that answered a warm or verify request, with how many answers it gave: most
   * first, then by code; at most MAX_COLOS_LISTED (src/http/edge.ts). Absent when no answer
   * carried a cf-ray (not behind Cloudflare, or local).
   */
  readonly colos?: readonly ColoCount[]
  /** The colos past the listed ones, and their answers, when there were more. */
  readonly colosMore?: { readonly colos: number; readonly answers: number }
  /** Set on a merged report: the reports it was made of. */
  readonly merged?: MergedSection
}

export const PHASE_NAMES = ['wait', 'sitemap', 'trigger', 'warm', 'verify', 'metrics'] as const
export type PhaseName = (typeof PHASE_NAMES)[number]

/**
 * Fields whose string values come from closed sets the action itself writes (a verdict, an
 * outcome, a cause code, a method): structure, not text. Redaction and escaping leave them as
 * they are, so no secret and no server can change what they say.
 */
export const CLOSED_SET_FIELDS: ReadonlySet<string> = new Set([
  'schemaVersion',
  'result',
  'outcome',
  'status',
  'cause',
  'priority',
  'method',
  'state',
  'stoppedBy',
  'failOn',
  'op'
])

/** One line of the phase table: wait → trigger → warm → verify → poll metrics. */
export interface PhaseResult {
  readonly name: PhaseName
  readonly status: 'passed' | 'failed' | 'warning' | 'skipped'
  readonly durationMs: number
  readonly detail: string
}

export interface WaitResult {
  readonly ready: boolean
  readonly polls: number
  readonly url: string
  readonly lastAnswer?: string
  readonly versionSeen?: string
  readonly message: string
}

export interface TriggerResult {
  readonly method: string
  readonly path: string
  readonly ok: boolean
  readonly required: boolean
  readonly status?: number
  readonly attempts: number
  readonly message: string
  /** The trigger answered 401/403: a refused key fails the step whether or not it is required. */
  readonly keyRefused?: boolean
}

export type CacheState = 'cached' | 'not cached' | 'not cacheable' | 'unknown'

export interface VerifyEntry {
  readonly method: string
  readonly path: string
  readonly priority: string
  readonly status?: number
  readonly latencyMs?: number
  readonly state: CacheState
  /** What said so: `CF-Cache-Status: HIT`, `cached=true`, `no cache header or marker`. */
  readonly evidence: string
  readonly tooSlow?: boolean
  readonly note?: string
  /** The IATA colo of the verify answer, from its `cf-ray`; absent without one. */
  readonly colo?: string
  /** The version the verify answer showed, when `expect-version` is set and it showed one. */
  readonly version?: string
  /** The answer came from another version than `expect-version`: it does not count as cached. */
  readonly wrongVersion?: boolean
}

export interface VerifyResult {
  readonly entries: readonly VerifyEntry[]
  readonly cached: number
  /** cached / entries (0-1). */
  readonly cachedShare: number
  readonly minCached?: number
  readonly maxWarmLatencyMs?: number
  readonly warmP50Ms?: number
  readonly warmP95Ms?: number
  /** cold p50 / warm p50. */
  readonly speedup?: number
  readonly passed: boolean
  readonly problems: readonly string[]
}

export interface ThresholdResult {
  readonly text: string
  readonly path: string
  readonly op: string
  /** On the comparison scale (0-1 for rates). */
  readonly target: number
  readonly rate: boolean
  readonly baseline?: number
  /** Each poll's value, in order (undefined where it could not be read). */
  readonly progression: readonly (number | null)[]
  readonly final?: number
  readonly scale?: string
  /** The scale was not settled by anything in the run (a bare 1 read as a 0-1 fraction); `note` says so. */
  readonly scaleAssumed?: boolean
  readonly met: boolean
  readonly note?: string
}

/** One poll of the metrics endpoint, as the report and the summary show it. */
export interface PollRecord {
  /** 1 for the first poll after warming. */
  readonly poll: number
  /** Each threshold's value, in the order of `thresholds` (0-1 for rates; null: not read). */
  readonly values: readonly (number | null)[]
  /** Every threshold held on this poll. */
  readonly met: boolean
  /** What came instead of a JSON answer (`503 Service Unavailable`), when that happened. */
  readonly answer?: string
}

export interface MetricsResult {
  readonly path: string
  readonly polls: number
  /** `stable-polls`: how many polls in a row had to meet every threshold. */
  readonly stablePolls?: number
  /** The polls, each with its values: all of them up to 40, else the first and the last 20. */
  readonly pollLog?: readonly PollRecord[]
  readonly thresholds: readonly ThresholdResult[]
  readonly met: boolean
  readonly baselineAnswer?: string
  readonly lastAnswer?: string
  /** Set when the gate failed for a reason other than a value below target. */
  readonly error?: string
  /** The metrics endpoint answered 401/403 (baseline or a poll): polling stopped at once. */
  readonly keyRefused?: boolean
  /** hit-rate-field of the last good answer, as a 0-1 fraction. */
  readonly hitRate?: number
  readonly cacheSize?: number
  /** Where the metrics look warm for the wrong reason. */
  readonly doubts: readonly string[]
}

/** What reading a sitemap counted; the report's sitemap section and the loader share it. */
export interface SitemapCounts {
  readonly source: string
  /** Sitemap documents read (the root and the children of an index). */
  readonly documents: number
  /** `<loc>`s seen in urlsets. */
  readonly urls: number
  readonly otherOrigin: number
  readonly excluded: number
  /** Already listed in endpoints, or twice in the sitemap. */
  readonly duplicates: number
  /** Empty, too long, not a URL, or carrying user:password@. */
  readonly invalid: number
  /** True when reading stopped at sitemap-limit with more URLs left. */
  readonly limited: boolean
  /** Child sitemaps that could not be read; the others were still used. */
  readonly problems: readonly string[]
  /** Set when the root sitemap could not be read: nothing came of it. */
  readonly error?: string
}

/** What the sitemap gave: counts only (the URLs themselves are the warmed endpoints). */
export interface SitemapResult extends SitemapCounts {
  /** Endpoints added to the list (before sharding). */
  readonly added: number
}

/** Results of the phases around warming; absent when the phase did not run. */
export interface PhaseResults {
  readonly phases: readonly PhaseResult[]
  readonly wait?: WaitResult
  readonly sitemap?: SitemapResult
  readonly trigger?: TriggerResult
  readonly verify?: VerifyResult
  readonly metrics?: MetricsResult
}

/** The gates that failed: every failed phase but warm (whose endpoints speak for themselves). */
export function failedGates(result: { readonly phases?: readonly PhaseResult[] }): PhaseResult[] {
  return (result.phases ?? []).filter(p => p.status === 'failed' && p.name !== 'warm')
}

/** A run's whole result: the warm pass plus whichever phases ran. Feeds summary, report and outputs. */
export type FullResult = RunResult &
  Pick<PhaseResults, 'phases'> &
  Partial<Omit<PhaseResults, 'phases'>>
