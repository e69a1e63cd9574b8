/**
 * Text from the run (server words above all: error messages, field names, header values) is
 * data, never markup or a command. These make it safe where it lands: Markdown and HTML in the
 * job summary, check run and PR comment; workflow commands in the step log.
 */

import { CLOSED_SET_FIELDS } from '../result.js'

/** Fields from closed sets, and those rendered in code spans (`code()`): left as they are. */
const KEEP: ReadonlySet<string> = new Set([
  ...CLOSED_SET_FIELDS,
  'path',
  'text',
  'target',
  'source',
  'name'
])

/**
 * One line of plain text, safe inside Markdown: no line break (so no heading, list or table of
 * its own), and `<`, `&`, `[`, `]`, `@` as entities, so no HTML tag, image, link or @-mention
 * can come from it (a lone `>` opens nothing inside a line). Renders as the same characters.
 */
export function markdownText(text: string): string {
  return text
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/\[/g, '&#91;')
    .replace(/\]/g, '&#93;')
    .replace(/@/g, '&#64;')
}

/**
 * A copy of a result whose free-text string values are safe for Markdown (markdownText); the
 * structure and the fields shown in code spans are kept. Iterative and cycle-safe.
 */
export function forMarkdown<T>(value: T): T {
  const walk = (v: unknown, key: string, depth: number): unknown => {
    if (typeof v === 'string') return KEEP.has(key) ? v : markdownText(v)
    if (!v || typeof v !== 'object' || depth > 16) return v
    if (Array.isArray(v)) return v.map(x => walk(x, '', depth + 1))
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v))
      Object.defineProperty(out, k, {
        value: walk(x, k, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true
      })
    return out
  }
  return walk(value, '', 0) as T
}

/**
 * A line for the step log that cannot issue a workflow command: the runner reads `::name::` at
 * the start of a line and the older `##[name]` anywhere in it. Both are broken with a zero-width
 * space; every line break starts a new line that is checked too.
 */
export function logSafe(line: string): string {
  return line
    .split(/\r\n|\r|\n/)
    .map(l => l.replace(/##\[/g, '##\u200b[').replace(/^(\s*)::/, '$1:\u200b:'))
    .join('\n')
}
