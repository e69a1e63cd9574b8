import { formatDuration } from '../config/duration.js'
import type { MetricsSettings, Target } from '../config/phases.js'
import { closeMatches, leafPaths } from '../metrics/fields.js'
import {
  describeValue,
  documentRateScale,
  formatRate,
  mixedScales,
  readNumber,
  readRate,
  ScaleEvidence,
  scaleName,
  type RateScale,
  type Reading,
  type ScaleHint
} from '../metrics/rates.js'
import { holds, type Threshold } from '../metrics/thresholds.js'
import type { Settings } from '../config/settings.js'
import { thresholdValue } from '../report/format.js'
import type {
  MetricsResult,
  PhaseResult,
  PollRecord,
  ThresholdResult,
  VerifyResult
} from '../result.js'
import { diagnoseStatus, vercelProtection } from '../warm/diagnose.js'
import { getPath } from '../warm/json-checks.js'
import { ask, describeAnswer, parseJson, stopped, type PhaseContext } from './request.js'
import { clip } from '../secrets.js'
import { classifyCache } from './verify.js'
import { readVersion } from './wait.js'

export type MetricsAnswer = { ok: true; doc: unknown; text: string } | { ok: false; text: string }

/** A read of the metrics endpoint, and when the key was refused (401/403), why in words. */
export interface MetricsRead {
  readonly answer: MetricsAnswer
  /** `GET /metrics returned 401 (unauthorized): the key sent in header X-API-Key was refused; ...` */
  readonly refused?: string
  /** The answer came from another version than expect-version: why, in words. */
  readonly otherVersion?: string
}

/** One read of the metrics endpoint: a JSON document, or a description of what came instead. */
export async function readMetrics(target: Target, ctx: PhaseContext): Promise<MetricsAnswer> {
  return (await askMetrics(target, ctx)).answer
}

/** One read of the metrics endpoint, telling a refused key apart from any other bad answer. */
export async function askMetrics(target: Target, ctx: PhaseContext): Promise<MetricsRead> {
  const answer = await ask(target, ctx)
  const res = answer.response
  if (!res) return { answer: { ok: false, text: describeAnswer(answer) } }
  if (res.status < 200 || res.status >= 300 || res.blockedRedirect) {
    const auth =
      (res.status === 401 || res.status === 403) && !vercelProtection(res)
        ? ` (the key sent as ${ctx.settings.deployment.apiKeyHeader} was ${ctx.settings.deployment.apiKey ? 'refused' : 'missing'})`
        : ''
    const text = `${describeAnswer(answer)}${auth}`
    if ((res.status === 401 || res.status === 403) && !res.blockedRedirect) {
      const { reason } = diagnoseStatus(res, {
        method: target.method,
        path: target.path,
        apiKeyHeader: ctx.settings.deployment.apiKeyHeader,
        apiKeySent: !!ctx.settings.deployment.apiKey,
        attempts: 1,
        ...(ctx.redact ? { redact: ctx.redact } : {})
      })
      return { answer: { ok: false, text }, refused: reason }
    }
    return { answer: { ok: false, text } }
  }
  const parsed = parseJson(res)
  if (!parsed.ok)
    return {
      answer: {
        ok: false,
        text: `${res.status} but not JSON (${res.headers['content-type'] ?? 'no content-type'})`
      }
    }
  // During a gradual deployment the metrics can come from the old version, whose counters are
  // warm from its own traffic: they say nothing of the new one. Only an answer that shows
  // another version is refused; one that shows none (no header, no field) cannot be judged.
  const check = ctx.settings.deployment.expectVersion
  const version = check ? readVersion(res, check, ctx.redact) : undefined
  if (version && !version.ok && version.version !== undefined)
    return {
      answer: { ok: false, text: `${res.status} but ${version.why!}` },
      otherVersion: version.why!
    }
  // A cached answer repeats an earlier read: polls that agree with it prove nothing (stable-polls),
  // and its counters may predate the warm. Judged by headers only: a metrics document's own
  // fields (`cached: true`) are counters, not cache markers.
  const cache = classifyCache(res, [])
  if (cache.state === 'cached')
    return {
      answer: {
        ok: false,
        text: `${res.status} from a cache (${clip(cache.evidence, 80, ctx.redact)}), not the counters now: make the metrics route uncacheable (Cache-Control: no-store)`
      }
    }
  return { answer: { ok: true, doc: parsed.doc, text: `${res.status}` } }
}

/**
 * Reads one threshold's field from a metrics document. A bare 1 on a rate is settled by `hint`
 * (evidence from the run) or, without one, by the other rates in the same answer.
 */
export function readThreshold(
  doc: unknown,
  t: Threshold,
  hint?: RateScale | ScaleHint
): Reading & { found: boolean } {
  const { found, value } = getPath(doc, t.path)
  if (!found) return { found, raw: undefined, note: 'missing' }
  if (t.rate) return { found, ...readRate(value, hint ?? documentRateScale(doc)) }
  const n = readNumber(value)
  return { found, ...n }
}

/** The target a reading is compared with: a "NN%" string on a field not named like a rate is still a rate. */
function effectiveTarget(t: Threshold, r: Reading): number {
  if (!t.rate && r.scale === 'percent-string' && t.target > 1) return t.target / 100
  return t.target
}

function isMet(t: Threshold, r: Reading): boolean {
  return r.value !== undefined && holds(r.value, t.op, effectiveTarget(t, r))
}

function numericLeaves(doc: unknown): Map<string, number> {
  const out = new Map<string, number>()
  for (const p of leafPaths(doc, 500)) {
    const { value } = getPath(doc, p)
    if (typeof value === 'number') out.set(p, value)
  }
  return out
}

/** Where the thresholds hold for the wrong reason: nothing moved, already met, or only self-made hits. */
export function doubts(
  baseline: unknown,
  final: unknown,
  thresholds: readonly Threshold[],
  verify: VerifyResult | undefined,
  hitRateField: string
): string[] {
  const out: string[] = []
  const mixed = final !== undefined ? mixedScales(final) : undefined
  if (mixed) out.push(mixed)
  if (baseline !== undefined && final !== undefined) {
    const before = numericLeaves(baseline)
    const after = numericLeaves(final)
    const moved = [...after].some(([k, v]) => before.has(k) && before.get(k) !== v)
    if (before.size > 0 && !moved) {
      out.push(
        'no counter in the metrics moved during the run: the warming requests were not counted (another isolate or version answered the metrics, or the counters are not wired up), so the metrics prove nothing about this warm'
      )
    }
    if (thresholds.length > 0 && thresholds.every(t => isMet(t, readThreshold(baseline, t)))) {
      out.push(
        'every threshold already held before warming began (the baseline), so meeting them proves nothing about this warm'
      )
    }
    const rateT = thresholds.find(t => t.rate)
    const ratePath = rateT?.path ?? hitRateField
    const b = readRate(getPath(baseline, ratePath).value, documentRateScale(baseline)).value
    const f = readRate(getPath(final, ratePath).value, documentRateScale(final)).value
    if (
      verify &&
      verify.entries.length > 0 &&
      b !== undefined &&
      f !== undefined &&
      f > b &&
      verify.cachedShare < 0.5
    ) {
      out.push(
        `the hit rate rose (${Math.round(b * 100)} % → ${Math.round(f * 100)} %) while the verify pass found only ${verify.cached}/${verify.entries.length} listed endpoints served from cache: the hits come from something else (a warm-up route that writes and reads back its own test entries inflates the hit rate without warming anything a user requests)`
      )
    }
  }
  return out
}

function valueOf(r: Reading): number | null {
  return r.value === undefined ? null : r.value
}

/** Hints for each threshold (rates only) from what the run has seen so far. */
function hintsFor(
  thresholds: readonly Threshold[],
  evidence: ScaleEvidence,
  doc: unknown
): (ScaleHint | undefined)[] {
  return thresholds.map(t => (t.rate ? evidence.hint(t.path, doc) : undefined))
}

/** What pollMetrics has gathered so far, poll by poll. Only values are kept, never documents. */
interface PollState {
  readonly metrics: MetricsSettings
  readonly baseDoc: unknown
  // The scale of a bare 1 is settled by what the run saw: this field's earlier polls, the
  // baseline, the other rates in the answer.
  readonly evidence: ScaleEvidence
  /** The fields whose scale is recorded as evidence: the rate thresholds and the hit rate. */
  readonly watched: readonly string[]
  /** Per threshold, its value at each poll (null when the poll had no good answer). */
  readonly progression: (number | null)[][]
  /** Whether each threshold's field was in some answer: one that vanishes later is named. */
  readonly seenField: boolean[]
  polls: number
  goodPolls: number
  last: MetricsAnswer | undefined
  lastGood: unknown
  /** The last good answer's readings, each read with the evidence there was at that poll. */
  lastReadings: (Reading & { found: boolean })[] | undefined
  lastHit: Reading | undefined
  error: string | undefined
  keyRefused: boolean
  /** Polls in a row, up to the last, that met every threshold; a poll that did not resets it. */
  streak: number
  /** Polls that met every threshold, in a row or not. */
  metPolls: number
  /** The last time a run of met polls ended: the poll that met, the one that did not, and why. */
  fellBack:
    | {
        readonly metOn: number
        readonly on: number
        readonly why: string
        readonly noAnswer: boolean
        readonly otherVersion?: boolean
      }
    | undefined
  /** The first POLL_LOG_END polls and the last POLL_LOG_END (the report keeps no more). */
  readonly firstLog: PollRecord[]
  readonly lastLog: PollRecord[]
}

/** Polls kept in the report at each end of a long run (the middle is counted, not kept). */
export const POLL_LOG_END = 20

function startPolling(metrics: MetricsSettings, baseDoc: unknown): PollState {
  const { thresholds, hitRateField } = metrics
  return {
    metrics,
    baseDoc,
    evidence: new ScaleEvidence(baseDoc),
    watched: [...thresholds.filter(t => t.rate).map(t => t.path), hitRateField],
    progression: thresholds.map(() => []),
    seenField: thresholds.map(() => false),
    polls: 0,
    goodPolls: 0,
    last: undefined,
    lastGood: undefined,
    lastReadings: undefined,
    lastHit: undefined,
    error: undefined,
    keyRefused: false,
    streak: 0,
    metPolls: 0,
    fellBack: undefined,
    firstLog: [],
    lastLog: []
  }
}

/**
 * Records one poll: its values and whether it met every threshold. A poll that did not meet
 * them ends the run of met polls, and `why` (the values that fell short, or the answer that
 * came instead) is kept to explain a flap.
 */
function recordPoll(
  state: PollState,
  values: (number | null)[],
  met: boolean,
  why: string,
  answer?: string,
  otherVersion = false
): void {
  const record: PollRecord = {
    poll: state.polls,
    values,
    met,
    ...(answer !== undefined ? { answer } : {})
  }
  if (state.firstLog.length < POLL_LOG_END) state.firstLog.push(record)
  else {
    state.lastLog.push(record)
    if (state.lastLog.length > POLL_LOG_END) state.lastLog.shift()
  }
  if (met) {
    state.streak++
    state.metPolls++
    return
  }
  if (state.streak > 0)
    state.fellBack = {
      metOn: state.polls - 1,
      on: state.polls,
      why,
      noAnswer: answer !== undefined,
      ...(otherVersion ? { otherVersion } : {})
    }
  state.streak = 0
}

const FAILED_AS: Record<Threshold['op'], string> = {
  '>=': '<',
  '>': '<=',
  '<=': '>',
  '<': '>=',
  '==': '!='
}

/** The thresholds a poll missed, in words: `l1Stats.hitRate 41 % < 70 %`. */
function shortfall(thresholds: readonly Threshold[], readings: readonly Reading[]): string {
  const missed = thresholds
    .map((t, i) => ({ t, r: readings[i]! }))
    .filter(({ t, r }) => !isMet(t, r))
    .map(({ t, r }) => {
      const rate = t.rate || r.scale === 'percent-string'
      if (r.value === undefined) return `${t.path} ${r.note ?? 'not read'}`
      return `${t.path} ${thresholdValue(r.value, rate)} ${FAILED_AS[t.op]} ${thresholdValue(effectiveTarget(t, r), rate)}`
    })
  return missed.length > 3
    ? `${missed.slice(0, 3).join(', ')} and ${missed.length - 3} more`
    : missed.join(', ')
}

/** Reads the metrics once and records what came; true when polling must stop now. */
async function pollOnce(state: PollState, ctx: PhaseContext): Promise<boolean> {
  state.polls++
  const read = await askMetrics(state.metrics.target, ctx)
  const answer = (state.last = read.answer)
  if (answer.ok && !read.refused) return takeGoodAnswer(state, answer.doc, ctx)
  ctx.log(`  poll ${state.polls}: ${answer.text}`)
  state.progression.forEach(p => p.push(null))
  recordPoll(
    state,
    state.metrics.thresholds.map(() => null),
    false,
    read.refused ? 'the key was refused' : `the answer was ${answer.text}`,
    answer.text,
    read.otherVersion !== undefined
  )
  if (!read.refused) return false
  state.error = `${read.refused}; polling stopped at once (the key would only be refused again)`
  state.keyRefused = true
  return true
}

/**
 * Records a JSON answer's readings; true when polling must stop: every threshold has held for
 * `stable-polls` polls in a row, or a field is missing from the first good answer (it will not
 * appear by waiting).
 */
function takeGoodAnswer(state: PollState, doc: unknown, ctx: PhaseContext): boolean {
  const { metrics, evidence, progression } = state
  const { thresholds, hitRateField, target } = metrics
  const hints = hintsFor(thresholds, evidence, doc)
  const readings = thresholds.map((t, i) => readThreshold(doc, t, hints[i]))
  state.lastHit = readRate(getPath(doc, hitRateField).value, evidence.hint(hitRateField, doc))
  evidence.record(doc, state.watched)
  state.lastReadings = readings
  const missing = thresholds.filter((_, i) => !readings[i]!.found)
  if (missing.length > 0 && state.lastGood === undefined) {
    const fields = leafPaths(doc)
    const m = missing[0]!
    state.error = `metrics field ${m.path} is missing from ${target.path}; fields there: ${closeMatches(m.path, fields).slice(0, 12).join(', ') || '(none)'}`
    state.lastGood = doc
    readings.forEach((r, i) => progression[i]!.push(valueOf(r)))
    recordPoll(state, readings.map(valueOf), false, `${m.path} missing`)
    return true
  }
  state.lastGood = doc
  state.goodPolls++
  readings.forEach((r, i) => {
    progression[i]!.push(valueOf(r))
    if (r.found) state.seenField[i] = true
  })
  const metNow = thresholds.every((t, i) => isMet(t, readings[i]!))
  recordPoll(state, readings.map(valueOf), metNow, metNow ? '' : shortfall(thresholds, readings))
  const { stablePolls } = metrics
  const inRow =
    stablePolls > 1 ? `, ${Math.min(state.streak, stablePolls)} of ${stablePolls} in a row` : ''
  ctx.log(
    `  poll ${state.polls}: ${thresholds.map((t, i) => `${t.path}=${readings[i]!.value ?? describeValue(readings[i]!.raw)}`).join(', ')}${metNow ? ` (all met${inRow})` : ''}`
  )
  return metNow && state.streak >= stablePolls
}

/**
 * Why the thresholds were met but the metrics still fail: they did not hold for `stable-polls`
 * polls in a row before poll-timeout. Polls that meet every threshold and then fall back are
 * isolates (or versions) answering with different counters, not a warm cache.
 */
function unstableError(state: PollState): string | undefined {
  const { metrics, streak, metPolls, fellBack, polls } = state
  const { stablePolls, thresholds, timeoutMs } = metrics
  if (thresholds.length === 0 || metPolls === 0 || streak >= stablePolls) return undefined
  const need = `${stablePolls} polls in a row (stable-polls)`
  const ranOut = `poll-timeout (${formatDuration(timeoutMs)}) or the deadline ran out`
  const tally = `every threshold held on ${metPolls} of ${polls} poll(s) but never ${need}`
  if (!fellBack)
    return `${tally}: met from poll ${polls - streak + 1} on, and ${ranOut} before the polls in a row could show the counters agree`
  const cause = fellBack.otherVersion
    ? `${fellBack.why}): another version answered the metrics, so its counters say nothing of this one`
    : fellBack.noAnswer
      ? `${fellBack.why}): the metrics stopped answering, so the warm is not proven stable`
      : `${fellBack.why}): isolates disagreeing, not a warm cache`
  const last = streak > 0 ? `; met again from poll ${polls - streak + 1} when ${ranOut}` : ''
  return `${tally}: met on poll ${fellBack.metOn}, fell back on poll ${fellBack.on} (${cause}${last}`
}

/**
 * Why the polling failed when no single poll said so: the endpoint stopped answering, a field
 * went away half way (say so, not just "last 20"), or there never was a good answer.
 */
function endError(state: PollState, results: readonly ThresholdResult[]): string | undefined {
  const { metrics, last, lastGood, lastReadings } = state
  const { thresholds, target } = metrics
  const gone = thresholds.findIndex(
    (_, i) => state.seenField[i] && lastReadings?.[i]?.found === false
  )
  if (lastGood !== undefined && last && !last.ok && !results.every(r => r.met))
    return `${target.path} stopped answering after ${state.goodPolls} good poll(s): last answer ${last.text}`
  if (gone >= 0)
    return `metrics field ${thresholds[gone]!.path} is no longer in ${target.path}: it was there in an earlier poll and is missing from the last answer`
  if (lastGood === undefined) {
    const within = thresholds.length > 0 ? ` in ${formatDuration(metrics.timeoutMs)}` : ''
    return `no good answer from ${target.path}${within} (${state.polls} poll(s)): last answer ${last?.text ?? 'none'}`
  }
  return undefined
}

function pollResult(
  state: PollState,
  results: ThresholdResult[],
  baseline: MetricsAnswer | undefined,
  verify: VerifyResult | undefined
): MetricsResult {
  const { metrics, last, lastGood, lastHit, error, keyRefused } = state
  const met = !error && results.every(r => r.met)
  const size =
    lastGood !== undefined ? readNumber(getPath(lastGood, metrics.cacheSizeField).value) : undefined
  return {
    path: metrics.target.path,
    polls: state.polls,
    stablePolls: metrics.stablePolls,
    pollLog: [...state.firstLog, ...state.lastLog],
    thresholds: results,
    met,
    ...(baseline ? { baselineAnswer: baseline.text } : {}),
    ...(last ? { lastAnswer: last.text } : {}),
    ...(error ? { error } : {}),
    ...(keyRefused ? { keyRefused: true } : {}),
    ...(lastGood !== undefined && lastHit?.value !== undefined ? { hitRate: lastHit.value } : {}),
    ...(size?.value !== undefined ? { cacheSize: size.value } : {}),
    doubts: doubts(state.baseDoc, lastGood, metrics.thresholds, verify, metrics.hitRateField)
  }
}

/**
 * Polls the metrics endpoint every `poll-interval` until every threshold holds or `poll-timeout`
 * runs out. A field missing from the first good answer fails at once, listing the fields there are;
 * so does a refused key (401/403): it would only be refused again until poll-timeout.
 */
export async function pollMetrics(
  metrics: MetricsSettings,
  baseline: MetricsAnswer | undefined,
  verify: VerifyResult | undefined,
  ctx: PhaseContext
): Promise<MetricsResult> {
  const { clock } = ctx
  const { thresholds, timeoutMs, pollIntervalMs } = metrics
  const endAt = Math.min(clock.now() + timeoutMs, ctx.deadlineAt)
  const baseDoc = baseline?.ok ? baseline.doc : undefined
  const state = startPolling(metrics, baseDoc)
  for (;;) {
    if (await pollOnce(state, ctx)) break
    // Without thresholds the metrics are read once, for the outputs: a failing endpoint is not waited on.
    if (thresholds.length === 0 || stopped(ctx) || clock.now() >= endAt) break
    await clock.sleep(Math.min(pollIntervalMs, endAt - clock.now()), ctx.signal)
    if (ctx.signal?.aborted) break
  }
  const results: ThresholdResult[] = thresholds.map((t, i) =>
    thresholdResult(
      t,
      state.lastReadings?.[i],
      baseDoc !== undefined ? readThreshold(baseDoc, t) : undefined,
      state.progression[i]!
    )
  )
  state.error ||= unstableError(state) ?? endError(state, results)
  return pollResult(state, results, baseline, verify)
}

function thresholdResult(
  t: Threshold,
  finalReading: (Reading & { found: boolean }) | undefined,
  baseReading: Reading | undefined,
  progression: readonly (number | null)[]
): ThresholdResult {
  const met = finalReading !== undefined && isMet(t, finalReading)
  return {
    text: t.text,
    path: t.path,
    op: t.op,
    target: finalReading ? effectiveTarget(t, finalReading) : t.target,
    rate: t.rate || finalReading?.scale === 'percent-string',
    ...(baseReading?.value !== undefined ? { baseline: baseReading.value } : {}),
    progression,
    ...(finalReading?.value !== undefined ? { final: finalReading.value } : {}),
    ...(finalReading?.scale ? { scale: scaleName(finalReading.scale) } : {}),
    ...(finalReading?.assumed ? { scaleAssumed: true } : {}),
    met,
    ...(finalReading?.note ? { note: finalReading.note } : {})
  }
}

/**
 * The metrics phase when the baseline read was refused (401/403): not polled, since the same
 * key would only be refused again, and failed in words that name the header, never the key.
 */
export function refusedBaseline(
  target: Target,
  baseline: { readonly answer: MetricsAnswer; readonly refused: string },
  thresholds: readonly Threshold[]
): MetricsResult {
  return {
    path: target.path,
    polls: 0,
    thresholds: thresholds.map(t => thresholdResult(t, undefined, undefined, [])),
    met: false,
    baselineAnswer: baseline.answer.text,
    lastAnswer: baseline.answer.text,
    error: `the baseline read was refused: ${baseline.refused}; not polled (the key would only be refused again)`,
    keyRefused: true,
    doubts: []
  }
}

/** The metrics line in the phase table. A refused key fails it even without thresholds. */
export function metricsPhase(metrics: MetricsResult, took: number): PhaseResult {
  const gates = metrics.thresholds.length > 0
  const unmet = metrics.thresholds.filter(t => !t.met)
  return {
    name: 'metrics',
    status: metrics.error
      ? gates || metrics.keyRefused
        ? 'failed'
        : 'warning'
      : metrics.met
        ? metrics.doubts.length
          ? 'warning'
          : 'passed'
        : 'failed',
    durationMs: took,
    detail: metrics.error
      ? metrics.error
      : !gates
        ? `read once (no thresholds set)${metrics.hitRate !== undefined ? `, hit rate ${formatRate(metrics.hitRate)}` : ''}`
        : metrics.met
          ? `${metrics.thresholds.length}/${metrics.thresholds.length} thresholds met after ${metrics.polls} poll(s)${(metrics.stablePolls ?? 1) > 1 ? `, the last ${metrics.stablePolls} in a row` : ''}${metrics.hitRate !== undefined ? `, hit rate ${formatRate(metrics.hitRate)}` : ''}`
          : `${unmet.length} threshold(s) not met after ${formatDuration(took)}: ${unmet.map(t => `${t.text} (last ${thresholdValue(t.final, t.rate)})`).join(', ')}`
  }
}

/**
 * The metrics as they were before anything was warmed, when there is something to warm. A job
 * with nothing to warm (the gate after a sharded matrix) runs after the warming jobs: a baseline
 * read then would be taken after the warm and doubt it for that. A refused key here fails the
 * metrics phase at once; polling would only be refused again.
 */
export async function readBaseline(
  settings: Settings,
  ctx: PhaseContext
): Promise<{ baseline?: MetricsRead; refusedAtBaseline?: MetricsResult }> {
  const gateOnly = settings.warm.endpoints.length === 0 && !settings.sitemap
  if (!settings.metrics || gateOnly || ctx.signal?.aborted) return {}
  const baseline = await askMetrics(settings.metrics.target, ctx)
  ctx.log(
    `Metrics baseline: ${baseline.refused ? `Error: ${baseline.refused}` : baseline.answer.ok ? 'read' : baseline.answer.text}`
  )
  if (!baseline.refused) return { baseline }
  return {
    baseline,
    refusedAtBaseline: refusedBaseline(
      settings.metrics.target,
      { answer: baseline.answer, refused: baseline.refused },
      settings.metrics.thresholds
    )
  }
}
