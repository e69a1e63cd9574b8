import type { PhaseResult, PhaseResults } from '../result.js'
import type { SitemapLoad } from './load.js'

export function sitemapResult(load: SitemapLoad): NonNullable<PhaseResults['sitemap']> {
  // The counts as they are; the endpoints become `added`, the example stays in the message.
  const { endpoints, otherOriginExample: _example, ...counts } = load
  return { ...counts, added: endpoints.length }
}

/**
 * The sitemap's line in the phase table: what it gave, and what it left out and why. A sitemap
 * that yields no URL to warm fails: a run asked to warm it and warming nothing is no pass.
 */
export function sitemapPhase(load: SitemapLoad, took: number, origin: string): PhaseResult {
  if (load.error)
    return {
      name: 'sitemap',
      status: 'failed',
      durationMs: took,
      detail: `could not be read: ${load.error}`
    }
  const left: string[] = []
  if (load.otherOrigin)
    left.push(`${load.otherOrigin} on another origin skipped (e.g. ${load.otherOriginExample})`)
  if (load.excluded) left.push(`${load.excluded} excluded`)
  if (load.duplicates) left.push(`${load.duplicates} already listed`)
  if (load.invalid) left.push(`${load.invalid} invalid`)
  if (load.limited) left.push('stopped at sitemap-limit')
  const detail =
    `${load.endpoints.length} URL(s) added from ${load.documents} sitemap document(s)` +
    (left.length ? `; ${left.join(', ')}` : '') +
    (load.problems.length ? `; ${load.problems.join('; ')}` : '')
  // URLs already listed in endpoints are warmed as those: the sitemap still gave them.
  if (load.endpoints.length === 0 && load.duplicates === 0)
    return {
      name: 'sitemap',
      status: 'failed',
      durationMs: took,
      detail: `nothing to warm: ${whyNothing(load, origin)}; ${detail}`
    }
  return {
    name: 'sitemap',
    status: load.problems.length || load.endpoints.length === 0 ? 'warning' : 'passed',
    durationMs: took,
    detail
  }
}

/** Why a sitemap that was read gave no URL to warm, in one phrase. */
function whyNothing(load: SitemapLoad, origin: string): string {
  const { otherOrigin, excluded, invalid, problems } = load
  const skipped = otherOrigin + excluded + invalid
  if (skipped === 0) {
    if (problems.length > 0) return `no URL could be read (${problems.join('; ')})`
    return `the sitemap lists no URL (an empty urlset)`
  }
  const also = problems.length > 0 ? `; also: ${problems.join('; ')}` : ''
  if (otherOrigin === skipped)
    return `every URL is on another origin than ${origin} (e.g. ${load.otherOriginExample}), so none was added${also}`
  if (excluded === skipped) return `all ${excluded} URL(s) are excluded by sitemap-exclude${also}`
  if (invalid === skipped) return `all ${invalid} <loc>(s) are invalid${also}`
  const parts = [
    otherOrigin ? `${otherOrigin} on another origin than ${origin}` : '',
    excluded ? `${excluded} excluded by sitemap-exclude` : '',
    invalid ? `${invalid} invalid` : ''
  ].filter(Boolean)
  return `every URL was left out (${parts.join(', ')})${also}`
}
