import { z } from 'zod'
import { METHODS, PRIORITIES } from '../config/endpoints.js'
import { FAIL_ON } from '../config/settings.js'
import { PHASE_NAMES, type FullResult } from '../result.js'

/**
 * A JSON report as `cache-warm merge` reads it: schemaVersion 1, every field the merge uses
 * checked for its type and its closed set, strings and lists bounded. A report someone edited,
 * cut short or made up is refused with the first thing wrong in it, never half-read. Fields the
 * merge does not use (wait, trigger, sitemap) are dropped.
 */

/** The longest string any field may hold: a reason, a path, a detail. */
const MAX_TEXT = 10_000
/** The most entries in any list: endpoints of a tier, verify entries, warnings. */
const MAX_LIST = 250_000

const text = z.string().max(MAX_TEXT)
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
const ms = z.number().finite().min(0)
const list = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_LIST)
const colo = z.string().regex(/^[A-Z]{3}$/, 'expected a three-letter colo code')

const outcome = z.enum(['passed', 'failed', 'skipped'])

const endpoint = z.object({
  source: text,
  method: z.enum(METHODS),
  path: text,
  priority: z.enum(PRIORITIES),
  name: text.optional(),
  outcome,
  status: z.number().int().min(0).max(999).optional(),
  latencyMs: ms.optional(),
  attempts: count,
  cache: text.optional(),
  bytes: count.optional(),
  reason: text.optional(),
  cause: z.string().max(64).optional(),
  suspicious: text.optional(),
  colo: colo.optional(),
  version: text.optional()
})

const tier = z.object({
  priority: z.enum(PRIORITIES),
  endpoints: list(endpoint),
  durationMs: ms
})

const totals = z.object({ total: count, passed: count, failed: count, skipped: count })

const coloCount = z.object({ colo, answers: count })

const phase = z.object({
  name: z.enum(PHASE_NAMES),
  status: z.enum(['passed', 'failed', 'warning', 'skipped']),
  durationMs: ms,
  detail: text
})

const verifyEntry = z.object({
  method: text,
  path: text,
  priority: text,
  status: z.number().int().min(0).max(999).optional(),
  latencyMs: ms.optional(),
  state: z.enum(['cached', 'not cached', 'not cacheable', 'unknown']),
  evidence: text,
  tooSlow: z.boolean().optional(),
  note: text.optional(),
  colo: colo.optional()
})

const verify = z.object({
  entries: list(verifyEntry),
  cached: count,
  cachedShare: z.number().min(0).max(1),
  minCached: z.number().min(0).max(1).optional(),
  maxWarmLatencyMs: ms.optional(),
  warmP50Ms: ms.optional(),
  warmP95Ms: ms.optional(),
  speedup: z.number().finite().min(0).optional(),
  passed: z.boolean(),
  problems: list(text)
})

const threshold = z.object({
  text,
  path: text,
  op: z.string().max(4),
  target: z.number().finite(),
  rate: z.boolean(),
  baseline: z.number().finite().optional(),
  progression: z.array(z.number().finite().nullable()).max(100_000),
  final: z.number().finite().optional(),
  scale: text.optional(),
  scaleAssumed: z.boolean().optional(),
  met: z.boolean(),
  note: text.optional()
})

const metrics = z.object({
  path: text,
  polls: count,
  thresholds: z.array(threshold).max(1000),
  met: z.boolean(),
  baselineAnswer: text.optional(),
  lastAnswer: text.optional(),
  error: text.optional(),
  keyRefused: z.boolean().optional(),
  hitRate: z.number().finite().optional(),
  cacheSize: z.number().finite().optional(),
  doubts: list(text)
})

const settings = z.object({
  concurrency: count,
  timeoutMs: ms,
  retries: count,
  deadlineMs: ms,
  apiKeyHeader: text,
  apiKeySent: z.boolean(),
  contentsChecked: z.boolean().optional(),
  maxRps: z.number().finite().min(0).optional(),
  shard: z
    .object({ index: count, count, of: count })
    .refine(s => s.count >= 1 && s.index >= 1 && s.index <= s.count, {
      message: 'expected shard i/n with 1 <= i <= n'
    })
    .optional(),
  plan: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected the sha256 of the list')
    .optional()
})

/**
 * The deployment's URL exactly as a job writes it (its own normalized form, no user name or
 * password): the URL parser drops a line break or a tab and encodes a backtick in a path, so a
 * target that is not its own normalized form was edited, and could carry a heading or a code
 * span into the merged summary.
 */
const target = text.refine(
  t => {
    if (!URL.canParse(t)) return false
    const url = new URL(t)
    return /^https?:$/.test(url.protocol) && url.href === t && !url.username && !url.password
  },
  { message: 'expected the http(s) URL of the deployment, as a job writes it' }
)

export const reportSchema = z.object({
  schemaVersion: z.literal(1),
  tool: z.object({ name: z.literal('cache-warm-action'), version: z.string().max(64) }),
  target,
  startedAt: z.iso.datetime({ offset: true }),
  durationMs: ms,
  dryRun: z.boolean(),
  result: z.enum(['passed', 'failed', 'dry-run']),
  stepFailed: z.boolean(),
  failOn: z.enum(FAIL_ON),
  stoppedBy: z.enum(['deadline', 'cancelled']).optional(),
  settings,
  tiers: z.array(tier).max(PRIORITIES.length),
  totals,
  latency: z.object({ coldP50Ms: ms.optional(), coldP95Ms: ms.optional() }),
  warnings: list(text),
  label: z.string().max(200).optional(),
  colos: z.array(coloCount).max(1000).optional(),
  phases: z
    .array(phase)
    .max(PHASE_NAMES.length * 4)
    .optional(),
  verify: verify.optional(),
  metrics: metrics.optional()
})

/** A report read back from its file: the result the job that wrote it produced. */
export type Report = FullResult

/** Parsed with zod; the type checks that everything the schema lets in is a FullResult. */
export function parseReport(doc: unknown): ReturnType<typeof reportSchema.safeParse> {
  return reportSchema.safeParse(doc)
}

// The schema's output is a FullResult (phases aside, which a report may lack): if a field of
// result.ts changes type, this line stops compiling.
export const _isResult = (r: z.infer<typeof reportSchema>): Omit<Report, 'phases'> => r
