import type { InputName } from './settings.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** What the code does with one input when it is empty, and the bounds it accepts. */
export interface InputRow {
  /** The value an empty input stands for, written as action.yml writes it. */
  readonly default: string
  /** action.yml's default when the runner supplies it (an expression), unlike the code's. */
  readonly actionDefault?: string
  /** Whole numbers: the smallest and largest accepted. */
  readonly min?: number
  readonly max?: number
  /** Durations: the longest accepted, in milliseconds; the shortest is always more than 0. */
  readonly maxMs?: number
}

/**
 * Every input's default and limits, in action.yml order. action.yml, the CLI help and the
 * README are checked against this table (__tests__/config/defaults.test.ts).
 */
export const INPUTS = {
  url: { default: '' },
  'api-key': { default: '' },
  'api-key-header': { default: 'X-API-Key' },
  headers: { default: '' },
  endpoints: { default: '' },
  'endpoints-file': { default: '' },
  sitemap: { default: '' },
  'sitemap-exclude': { default: '' },
  'sitemap-limit': { default: '50000', min: 1, max: 200_000 },
  expect: { default: '' },
  concurrency: { default: '8', min: 1, max: 256 },
  // Requests per second: more than 0, up to max.
  'max-rps': { default: '', max: 100_000 },
  // The number of shards (the n of i/n).
  shard: { default: '', min: 1, max: 1000 },
  timeout: { default: '10s', maxMs: 10 * MINUTE },
  retries: { default: '2', min: 0, max: 10 },
  deadline: { default: '10m', maxMs: 6 * HOUR },
  'fail-on': { default: 'critical' },
  'dry-run': { default: 'false' },
  'report-file': { default: '' },
  'report-label': { default: '' },
  'merge-reports': { default: '' },
  'wait-for': { default: '' },
  'wait-for-version': { default: '' },
  'wait-timeout': { default: '2m', maxMs: 6 * HOUR },
  'poll-interval': { default: '5s', maxMs: 10 * MINUTE },
  'version-override': { default: '' },
  'expect-version': { default: '' },
  'warmup-trigger': { default: '' },
  'warmup-trigger-required': { default: 'false' },
  verify: { default: 'true' },
  'cache-markers': { default: 'cached=true\nmetadata.cacheStatus=hit' },
  'min-cached': { default: '' },
  'max-warm-latency': { default: '', maxMs: 10 * MINUTE },
  'metrics-path': { default: '' },
  thresholds: { default: '' },
  'min-hit-rate': { default: '' },
  'hit-rate-field': { default: 'cacheStats.overallHitRate' },
  'min-cache-size': { default: '' },
  'cache-size-field': { default: 'cacheStats.l2Size' },
  'poll-timeout': { default: '2m', maxMs: 6 * HOUR },
  // Consecutive polls that must each meet every threshold (docs/phases.md, Stable polls).
  'stable-polls': { default: '2', min: 1, max: 100 },
  // The runner fills in the job's token; run anywhere else (the CLI, tests), there is none.
  'github-token': { default: '', actionDefault: '${{ github.token }}' },
  'check-name': { default: 'Cache warm' },
  'pr-comment': { default: 'false' }
} as const satisfies Record<InputName, InputRow>

/** The inputs of `names` that have a default, each with it. */
export function defaultsOf(names: readonly InputName[]): Readonly<Record<string, string>> {
  return Object.fromEntries(
    names.map(name => [name, INPUTS[name].default]).filter(([, value]) => value !== '')
  )
}
