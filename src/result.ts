import type { FailOn } from './config/settings.js'
import type { Method, Priority } from './config/endpoints.js'

export type Outcome = 'passed' | 'failed' | 'skipped'

/** What happened to one endpoint. Plain data: feeds the summary, the report and the outputs. */
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
  /** A short machine-readable cause: `http-401`, `timeout`, `assertion`, `redirect`, `deadline` ... */
  readonly cause?: string
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
  }
  readonly tiers: readonly TierResult[]
  readonly totals: Totals
  readonly latency: { readonly coldP50Ms?: number; readonly coldP95Ms?: number }
  readonly warnings: readonly string[]
}
