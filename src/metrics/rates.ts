import { getPath } from '../warm/json-checks.js'
import { walkLeaves } from './walk.js'

/**
 * Hit rates come as 0-1 fractions from one endpoint, 0-100 numbers or "NN%" strings from
 * another. Everything is compared as a 0-1 fraction, and the scale that was read is kept so
 * the summary can say it. A bare 1 (100 % or 1 %?) is settled by evidence from the run; where
 * there is none it is read as a fraction, the common convention, and the reading says so.
 */
export type Scale = 'fraction' | 'percent' | 'percent-string' | 'number'
export type RateScale = 'fraction' | 'percent'

/** What settled the scale of a bare 1, in words for the note (`earlier polls of x read 0.4`). */
export interface ScaleHint {
  readonly scale: RateScale
  readonly by: string
}

export interface Reading {
  /** On the comparison scale: a 0-1 fraction for rates, the number itself otherwise. */
  readonly value?: number
  readonly raw: unknown
  readonly scale?: Scale
  /** Why the value could not be read, or how it was read when that needed a choice. */
  readonly note?: string
  /** A bare 1 read as a 0-1 fraction with nothing in the run to say so. */
  readonly assumed?: boolean
}

const PERCENT_STRING = /^\s*(-?\d+(?:\.\d+)?)\s*%\s*$/
const NUMBER_STRING = /^\s*-?\d+(?:\.\d+)?\s*$/

/** A field whose name says it is a rate. */
export function looksLikeRate(path: string): boolean {
  const leaf = path.split('.').pop() ?? path
  return /rate|ratio|percent|pct/i.test(leaf)
}

/** A value for a message: never the whole of a (possibly huge or deeply nested) document. */
export function describeValue(raw: unknown): string {
  if (raw === undefined) return 'nothing'
  if (Array.isArray(raw)) return 'a list'
  if (raw !== null && typeof raw === 'object') return 'an object'
  // Shown whole or not at all: a cut could leave part of a secret the redactor no longer sees.
  if (typeof raw === 'string')
    return raw.length > 40 ? `a ${raw.length}-character string` : JSON.stringify(raw)
  return String(raw)
}

/** The scale one value shows by itself: strictly between 0 and 1, or above 1 up to 100. */
export function scaleShown(raw: unknown): RateScale | undefined {
  const n = typeof raw === 'string' && NUMBER_STRING.test(raw) ? Number(raw) : raw
  if (typeof n !== 'number' || !Number.isFinite(n)) return undefined
  if (n > 0 && n < 1) return 'fraction'
  if (n > 1 && n <= 100) return 'percent'
  return undefined
}

/** The first rate-named number of each scale in a document, with its dot path. */
export interface RateFields {
  readonly fraction?: { readonly path: string; readonly value: number }
  readonly percent?: { readonly path: string; readonly value: number }
}

/** Every rate-named number in a document (walked without recursion, depth-capped). */
export function rateFields(doc: unknown): RateFields {
  let fraction: RateFields['fraction']
  let percent: RateFields['percent']
  walkLeaves(doc, ({ path, key, value }) => {
    if (typeof value !== 'number' || !looksLikeRate(key)) return
    const shown = scaleShown(value)
    if (shown === 'fraction') fraction ??= { path, value }
    else if (shown === 'percent') percent ??= { path, value }
    return !(fraction && percent)
  })
  return { ...(fraction ? { fraction } : {}), ...(percent ? { percent } : {}) }
}

/**
 * The scale a metrics document uses for its rates, judged from every rate-named number in it:
 * a value strictly between 0 and 1 means fractions, one above 1 (up to 100) means percentages.
 */
export function documentRateScale(doc: unknown): RateScale | undefined {
  const { fraction, percent } = rateFields(doc)
  if (!fraction === !percent) return undefined
  return fraction ? 'fraction' : 'percent'
}

/** Reads a metric value as a rate (0-1 fraction). `hint` settles a bare 0 or 1. */
export function readRate(raw: unknown, hint?: RateScale | ScaleHint): Reading {
  if (typeof raw === 'string') {
    const pct = PERCENT_STRING.exec(raw)
    if (pct) {
      const v = Number(pct[1]) / 100
      if (v < 0 || v > 1) return { raw, note: `${describeValue(raw)} is outside 0 % and 100 %` }
      return { raw, value: v, scale: 'percent-string' }
    }
    if (NUMBER_STRING.test(raw)) return readRate(Number(raw), hint)
    return { raw, note: `${describeValue(raw)} is not a rate (expected 0.78, 78 or "78%")` }
  }
  if (typeof raw !== 'number' || !Number.isFinite(raw)) {
    return { raw, note: `${describeValue(raw)} is not a number` }
  }
  if (raw < 0 || raw > 100) return { raw, note: `${raw} is outside 0-1 and 0-100` }
  if (raw > 1) return { raw, value: raw / 100, scale: 'percent' }
  if (raw > 0 && raw < 1) return { raw, value: raw, scale: 'fraction' }
  // Exactly 0 or 1: the same digits mean different things on the two scales (0 is 0 on both).
  const scale = typeof hint === 'string' ? hint : hint?.scale
  const by = typeof hint === 'object' ? hint.by : undefined
  if (scale === 'percent') {
    const note = raw === 1 && by ? { note: `a bare 1 read on the 0-100 scale (1 %): ${by}` } : {}
    return { raw, value: raw / 100, scale: 'percent', ...note }
  }
  if (scale === 'fraction' || raw === 0) {
    const note = raw === 1 && by ? { note: `a bare 1 read as a 0-1 fraction (100 %): ${by}` } : {}
    return { raw, value: raw, scale: 'fraction', ...note }
  }
  return {
    raw,
    value: 1,
    scale: 'fraction',
    assumed: true,
    note: 'read as 0-1 fraction (assumed: no other value in the answers set the scale; on a 0-100 scale this 1 would be 1 %; report rates as 0.78 or "78%" to be sure)'
  }
}

/**
 * What a run has seen of the scales its rate fields use, to settle a bare 1 by evidence, in
 * order: the same field's earlier polls, the same field in the baseline, the other rate
 * fields of the same answer, then the rate fields of the baseline and earlier answers.
 * Holds a few values per field, never the documents themselves.
 */
export class ScaleEvidence {
  private readonly own = new Map<string, { fraction?: unknown; percent?: unknown }>()
  private earlier: RateFields = {}

  constructor(private readonly baseline?: unknown) {
    if (baseline !== undefined) this.earlier = rateFields(baseline)
  }

  /** The hint for `path` in `doc`, or undefined when nothing in the run settles it. */
  hint(path: string, doc: unknown): ScaleHint | undefined {
    const own = this.own.get(path)
    if (own && (own.fraction === undefined) !== (own.percent === undefined)) {
      const scale: RateScale = own.fraction !== undefined ? 'fraction' : 'percent'
      const seen = own.fraction ?? own.percent
      return { scale, by: `earlier polls of ${path} read ${describeValue(seen)}` }
    }
    if (this.baseline !== undefined) {
      const before = getPath(this.baseline, path).value
      const scale = scaleShown(before)
      if (scale) return { scale, by: `the baseline read ${path} as ${describeValue(before)}` }
    }
    const here = scaleOf(rateFields(doc))
    if (here)
      return { ...here, by: `other rate fields in the answer are on that scale (${here.by})` }
    const before = scaleOf(this.earlier)
    if (before)
      return { ...before, by: `rate fields in earlier answers are on that scale (${before.by})` }
    return undefined
  }

  /** Remembers a poll's answer: the watched fields' values, and which scales its rates showed. */
  record(doc: unknown, paths: readonly string[]): void {
    for (const path of paths) {
      const value = getPath(doc, path).value
      const scale = scaleShown(value)
      if (!scale) continue
      const own = this.own.get(path) ?? {}
      own[scale] ??= value
      this.own.set(path, own)
    }
    const fields = rateFields(doc)
    this.earlier = {
      ...(this.earlier.fraction || fields.fraction
        ? { fraction: this.earlier.fraction ?? fields.fraction }
        : {}),
      ...(this.earlier.percent || fields.percent
        ? { percent: this.earlier.percent ?? fields.percent }
        : {})
    }
  }
}

function scaleOf(fields: RateFields): { scale: RateScale; by: string } | undefined {
  const { fraction, percent } = fields
  if (!fraction === !percent) return undefined
  const f = (fraction ?? percent)!
  return { scale: fraction ? 'fraction' : 'percent', by: `${f.path} ${f.value}` }
}

/** Says so when one answer's rate fields use both scales: one of them is likely misread. */
export function mixedScales(doc: unknown): string | undefined {
  const { fraction, percent } = rateFields(doc)
  if (!fraction || !percent) return undefined
  return `rate fields in the answer use mixed scales (${fraction.path} ${fraction.value} as a fraction, ${percent.path} ${percent.value} on 0-100), so a bare 0 or 1 among them cannot be told apart by the answer alone`
}

/** Reads a metric value as a plain number (sizes, counts). */
export function readNumber(raw: unknown): Reading {
  if (typeof raw === 'number' && Number.isFinite(raw)) return { raw, value: raw, scale: 'number' }
  if (typeof raw === 'string' && NUMBER_STRING.test(raw))
    return { raw, value: Number(raw), scale: 'number' }
  if (typeof raw === 'string' && PERCENT_STRING.test(raw)) {
    return { raw, value: Number(PERCENT_STRING.exec(raw)![1]) / 100, scale: 'percent-string' }
  }
  return { raw, note: `${describeValue(raw)} is not a number` }
}

export function scaleName(scale: Scale | undefined): string {
  switch (scale) {
    case 'fraction':
      return '0-1 fraction'
    case 'percent':
      return '0-100 number'
    case 'percent-string':
      return '"NN%" string'
    case 'number':
      return 'number'
    default:
      return 'unread'
  }
}

export function formatRate(v: number | undefined): string {
  if (v === undefined) return '–'
  // Rounded first: 0.57 * 100 is 56.99999999999999, which toFixed shows as "57.0".
  const pct = Math.round(v * 1000) / 10
  return `${Number.isInteger(pct) ? pct : pct.toFixed(1)} %`
}
