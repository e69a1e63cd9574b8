import type { JsonLiteral } from '../config/expect.js'

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

export function show(value: unknown): string {
  if (value === undefined) return 'undefined'
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true
  if (Array.isArray(value)) return value.length === 0
  if (typeof value === 'object') return Object.keys(value).length === 0
  return false
}

/** Checks every `path → expected` pair; returns one phrase per failure (empty when all hold). */
export function checkJson(doc: unknown, checks: Readonly<Record<string, JsonLiteral>>): string[] {
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
      else if (isEmpty(value)) failures.push(`\`${path}\` is empty (${show(value)})`)
    } else if (!found) {
      failures.push(`\`${path}\` missing (expected ${show(expected)})`)
    } else if (value !== expected) {
      failures.push(`\`${path}\` was ${show(value)} (expected ${show(expected)})`)
    }
  }
  return failures
}
