import type { JsonLiteral } from '../config/expect.js'
import { clip } from '../secrets.js'

type Redact = (text: string) => string

export interface Lookup {
  readonly found: boolean
  readonly value?: unknown
}

/** Reads a dot path such as `data.0.price` from a parsed JSON document. */
export function getPath(doc: unknown, path: string): Lookup {
  let current: unknown = doc
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) {
      const index = Number(segment)
      if (index >= current.length) return { found: false }
      current = current[index]
    } else if (current !== null && typeof current === 'object' && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment]
    } else {
      return { found: false }
    }
  }
  return { found: true, value: current }
}

/** A value from an answer, as JSON, redacted and then cut to 60 characters. */
export function show(value: unknown, redact?: Redact): string {
  if (value === undefined) return 'undefined'
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    // Nested too deep to serialize (a hostile answer): say what it is instead.
    text = Array.isArray(value) ? '[...]' : '{...}'
  }
  return clip(text, 60, redact)
}

/**
 * What `non-empty` refuses, exactly: null (or a missing value), a string of only whitespace, a
 * list with no non-empty item (`[]`, `[null]`, `[{}]`), a mapping with no non-empty value
 * (`{}`, `{"price": null}`). Numbers (0 too) and booleans (false too) are values, so they are
 * non-empty. Past 32 levels a value counts as non-empty (something is there).
 */
export function isEmpty(value: unknown, depth = 0): boolean {
  if (value === null || value === undefined) return true
  if (typeof value === 'string') return value.trim() === ''
  if (typeof value !== 'object' || depth >= 32) return false
  const items = Array.isArray(value) ? value : Object.values(value)
  return items.every(v => isEmpty(v, depth + 1))
}

/** Checks every `path → expected` pair; returns one phrase per failure (empty when all hold). */
export function checkJson(
  doc: unknown,
  checks: Readonly<Record<string, JsonLiteral>>,
  redact?: Redact
): string[] {
  const failures: string[] = []
  for (const [path, expected] of Object.entries(checks)) {
    const { found, value } = getPath(doc, path)
    if (expected === 'exists') {
      if (!found) failures.push(`\`${path}\` missing`)
    } else if (expected === 'not-null') {
      if (!found) failures.push(`\`${path}\` missing`)
      else if (value === null) failures.push(`\`${path}\` is null`)
    } else if (expected === 'non-empty') {
      if (!found) failures.push(`\`${path}\` missing`)
      else if (isEmpty(value)) failures.push(`\`${path}\` is empty (${show(value, redact)})`)
    } else if (!found) {
      failures.push(`\`${path}\` missing (expected ${show(expected, redact)})`)
    } else if (value !== expected) {
      failures.push(`\`${path}\` was ${show(value, redact)} (expected ${show(expected, redact)})`)
    }
  }
  return failures
}

/** The top-level fields by which an answer says it failed, and what says so. */
const SAID_FAILED = ['success', 'ok', 'error', 'status'] as const
/** `status` words that mean failure (JSend's `fail` and `error`, and their kin). */
const FAILED_STATUS = new Set(['error', 'fail', 'failed', 'failure'])

/**
 * Whether a JSON answer says, at its top level, that it failed: `success: false`, `ok: false`,
 * `status` "error", "fail", "failed" or "failure" (JSend's convention), or an `error` that is
 * not null, false, 0, "" or empty. An endpoint whose `expect.json` checks
 * any of these fields itself has taken charge of them (it may expect `success: false`): the
 * rule is off for it.
 */
export function saysItFailed(
  doc: unknown,
  checks: Readonly<Record<string, JsonLiteral>> | undefined,
  redact?: Redact
): string | undefined {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined
  const top = doc as Record<string, unknown>
  const checked = Object.keys(checks ?? {}).some(p =>
    SAID_FAILED.some(f => p === f || p.startsWith(`${f}.`))
  )
  if (checked) return undefined
  for (const field of SAID_FAILED) {
    if (!Object.hasOwn(top, field)) continue
    const v = top[field]
    if (field === 'error') {
      // No error: null, false, 0, "" or an empty mapping, as servers write "no error".
      if (v === false || v === 0 || isEmpty(v)) continue
      const said =
        typeof v === 'string'
          ? v
          : v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string'
            ? (v as { message: string }).message
            : undefined
      return `the answer says it failed: \`error\` is ${said !== undefined ? show(said, redact) : show(v, redact)}`
    }
    if (field === 'status') {
      if (typeof v === 'string' && FAILED_STATUS.has(v.trim().toLowerCase())) {
        const message =
          typeof top.message === 'string' ? `, message ${show(top.message, redact)}` : ''
        return `the answer says it failed: \`status\` is ${show(v, redact)}${message}`
      }
      continue
    }
    if (v === false) {
      const message =
        typeof top.message === 'string' ? `, message ${show(top.message, redact)}` : ''
      return `the answer says it failed: \`${field}\` is false${message}`
    }
  }
  return undefined
}

/**
 * Why an answer that passed looks like placeholder data (shown as suspicious, not failed):
 * `real_data: false`, `placeholder: true`, a `data` field that is empty (see isEmpty), or an
 * answer that holds nothing but `success: true`.
 */
export function placeholderSign(doc: unknown): string | undefined {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined
  const top = doc as Record<string, unknown>
  for (const k of ['real_data', 'realData', 'isRealData'])
    if (top[k] === false) return `\`${k}\` is false`
  for (const k of ['placeholder', 'isPlaceholder', 'is_placeholder', 'mock', 'stub'])
    if (top[k] === true) return `\`${k}\` is true`
  const data = (top.data ?? undefined) as unknown
  if (Object.hasOwn(top, 'data') && isEmpty(data)) return `\`data\` is empty (${show(top.data)})`
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const inner = data as Record<string, unknown>
    for (const k of ['real_data', 'realData'])
      if (inner[k] === false) return `\`data.${k}\` is false`
    if (inner.placeholder === true) return '`data.placeholder` is true'
  }
  const keys = Object.keys(top)
  if (keys.length > 0 && keys.every(k => ['success', 'ok', 'status', 'message'].includes(k)))
    return `the answer holds nothing but ${keys.map(k => `\`${k}\``).join(', ')}: no data`
  return undefined
}
