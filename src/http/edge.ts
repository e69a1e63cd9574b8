/**
 * Where an answer came from on Cloudflare's network. The `cf-ray` header ends in the IATA code
 * of the data center that served it (`8f1c2a3b4d5e6f70-SJC`), and a warm only warms the colos
 * (and isolates) it reached: the Cache API does not replicate outside its data center, and a KV
 * cacheTtl caches a value where it was read.
 */

/** The longest cf-ray taken as one ray id; Cloudflare's are 20 characters (16 hex, `-`, colo). */
export const MAX_RAY_LENGTH = 64

/** Colos listed in the result, the summary and the `colos` output; the rest are counted. */
export const MAX_COLOS_LISTED = 50

/**
 * A ray id: letters and digits, one `-`, then three capital letters. Anything else (several
 * values joined by ", ", spaces, markup, a lower-case or longer suffix, an over-long value) is
 * not a colo: it is never counted, and never shown, so no server can write into the summary
 * through it.
 */
const RAY = /^[0-9A-Za-z]{1,56}-([A-Z]{3})$/

/**
 * Whether `code` is a colo as coloOf reads one. For codes that did not come through coloOf (a
 * report read back from a file): only these are shown or set as an output.
 */
export function isColoCode(code: unknown): code is string {
  return typeof code === 'string' && /^[A-Z]{3}$/.test(code)
}

/** The colo of an answer from its `cf-ray` header, or undefined when it has no well-formed one. */
export function coloOf(ray: string | undefined): string | undefined {
  if (ray === undefined || ray.length > MAX_RAY_LENGTH) return undefined
  return RAY.exec(ray.trim())?.[1]
}

export interface ColoCount {
  readonly colo: string
  readonly answers: number
}

export interface ColoTally {
  /** Most answers first, then by code; at most MAX_COLOS_LISTED. */
  readonly colos: readonly ColoCount[]
  /** The colos past MAX_COLOS_LISTED, and their answers, when there were any. */
  readonly more?: { readonly colos: number; readonly answers: number }
}

/**
 * How many answers each colo gave. Undefined when no answer carried a cf-ray: a deployment not
 * behind Cloudflare says nothing about colos, not "none".
 */
export function tallyColos(colos: Iterable<string | undefined>): ColoTally | undefined {
  const counts = new Map<string, number>()
  for (const colo of colos) if (colo !== undefined) counts.set(colo, (counts.get(colo) ?? 0) + 1)
  if (counts.size === 0) return undefined
  const all = [...counts]
    .map(([colo, answers]) => ({ colo, answers }))
    .sort((a, b) => b.answers - a.answers || (a.colo < b.colo ? -1 : a.colo > b.colo ? 1 : 0))
  const listed = all.slice(0, MAX_COLOS_LISTED)
  const rest = all.slice(MAX_COLOS_LISTED)
  return {
    colos: listed,
    ...(rest.length > 0
      ? { more: { colos: rest.length, answers: rest.reduce((n, c) => n + c.answers, 0) } }
      : {})
  }
}

/**
 * The honest sentence about where the warm landed: `Warmed in IAD: users served by other colos
 * start cold ...`; several colos with their counts. Undefined when no answer named a colo.
 */
export function coloSentence(
  colos: readonly ColoCount[] | undefined,
  more?: { readonly colos: number; readonly answers: number }
): string | undefined {
  const shown = colos?.filter(c => isColoCode(c.colo) && Number.isSafeInteger(c.answers))
  if (!shown || shown.length === 0) return undefined
  const rest =
    more && Number.isSafeInteger(more.colos) && Number.isSafeInteger(more.answers)
      ? more
      : undefined
  const where =
    shown.length === 1 && !rest
      ? shown[0]!.colo
      : shown.map(c => `${c.colo} (${c.answers})`).join(', ') +
        (rest ? ` and ${rest.colos} more colo(s) (${rest.answers})` : '')
  return `Warmed in ${where}: users served by other colos start cold for the Cache API and KV cacheTtl; L1 memory is per isolate, so only the isolates these requests reached are warm.`
}
