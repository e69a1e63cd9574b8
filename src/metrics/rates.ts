/**
 * Hit rates come as 0-1 fractions from one endpoint, 0-100 numbers or "NN%" strings from
 * another. Everything is compared as a 0-1 fraction, and the scale that was read is kept so
 * the summary can say it. A bare 1 that nothing else disambiguates is not guessed.
 */
export type Scale = 'fraction' | 'percent' | 'percent-string' | 'number'

export interface Reading {
  /** On the comparison scale: a 0-1 fraction for rates, the number itself otherwise. */
  readonly value?: number
  readonly raw: unknown
  readonly scale?: Scale
  /** Why the value could not be read, or how it was read when that needed a choice. */
  readonly note?: string
  readonly ambiguous?: boolean
}

const PERCENT_STRING = /^\s*(-?\d+(?:\.\d+)?)\s*%\s*$/
const NUMBER_STRING = /^\s*-?\d+(?:\.\d+)?\s*$/

/** A field whose name says it is a rate. */
export function looksLikeRate(path: string): boolean {
  const leaf = path.split('.').pop() ?? path
  return /rate|ratio|percent|pct/i.test(leaf)
}

/**
 * The scale a metrics document uses for its rates, judged from every rate-named number in it:
 * a value strictly between 0 and 1 means fractions, one above 1 (up to 100) means percentages.
 */
export function documentRateScale(doc: unknown): 'fraction' | 'percent' | undefined {
  let fraction = false
  let percent = false
  const visit = (node: unknown, key: string): void => {
    if (Array.isArray(node)) node.forEach(n => visit(n, key))
    else if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node)) visit(v, k)
    else if (typeof node === 'number' && looksLikeRate(key)) {
      if (node > 0 && node < 1) fraction = true
      else if (node > 1 && node <= 100) percent = true
    }
  }
  visit(doc, '')
  if (fraction === percent) return undefined
  return fraction ? 'fraction' : 'percent'
}

/** Reads a metric value as a rate (0-1 fraction). `docScale` settles a bare 0 or 1. */
export function readRate(raw: unknown, docScale?: 'fraction' | 'percent'): Reading {
  if (typeof raw === 'string') {
    const pct = PERCENT_STRING.exec(raw)
    if (pct) {
      const v = Number(pct[1]) / 100
      if (v < 0 || v > 1) return { raw, note: `"${raw}" is outside 0 % and 100 %` }
      return { raw, value: v, scale: 'percent-string' }
    }
    if (NUMBER_STRING.test(raw)) return readRate(Number(raw), docScale)
    return { raw, note: `"${raw}" is not a rate (expected 0.78, 78 or "78%")` }
  }
  if (typeof raw !== 'number' || !Number.isFinite(raw)) {
    return { raw, note: `${JSON.stringify(raw) ?? 'nothing'} is not a number` }
  }
  if (raw < 0 || raw > 100) return { raw, note: `${raw} is outside 0-1 and 0-100` }
  if (raw > 1) return { raw, value: raw / 100, scale: 'percent' }
  if (raw > 0 && raw < 1) return { raw, value: raw, scale: 'fraction' }
  // Exactly 0 or 1: the same digits mean different things on the two scales.
  if (docScale === 'percent') return { raw, value: raw / 100, scale: 'percent' }
  if (docScale === 'fraction' || raw === 0) return { raw, value: raw, scale: 'fraction' }
  return {
    raw,
    ambiguous: true,
    note: 'a bare 1 could be 100 % (0-1 fraction) or 1 % (0-100 scale), and no other rate in the answer tells which; report rates as 0.78 or "78%"'
  }
}

/** Reads a metric value as a plain number (sizes, counts). */
export function readNumber(raw: unknown): Reading {
  if (typeof raw === 'number' && Number.isFinite(raw)) return { raw, value: raw, scale: 'number' }
  if (typeof raw === 'string' && NUMBER_STRING.test(raw))
    return { raw, value: Number(raw), scale: 'number' }
  if (typeof raw === 'string' && PERCENT_STRING.test(raw)) {
    return { raw, value: Number(PERCENT_STRING.exec(raw)![1]) / 100, scale: 'percent-string' }
  }
  return { raw, note: `${JSON.stringify(raw) ?? 'nothing'} is not a number` }
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
