import { statSync } from 'node:fs'
import { RE2JS, RE2JSException } from 're2js'
import { InputError } from '../errors.js'
import { INPUTS } from './defaults.js'
import { resolvePath } from './endpoints.js'
import { containedPath, type PathContext } from './paths.js'
import { integer, read, withInputName } from './read.js'

/** Inputs for warming long lists: a sitemap as a source, a rate limit, a shard of the list. */
export const SCALE_INPUTS = [
  'sitemap',
  'sitemap-exclude',
  'sitemap-limit',
  'max-rps',
  'shard'
] as const
export type ScaleInput = (typeof SCALE_INPUTS)[number]

/** Where the sitemap comes from: a URL on the deployment, or a file in the workspace. */
export type SitemapSource =
  | { readonly kind: 'url'; readonly url: string; readonly shown: string }
  | { readonly kind: 'file'; readonly file: string; readonly shown: string }

/** A `sitemap-exclude` line: a glob on the path (`/tag/**`) or a regex (`re:^/p/\d+$`). */
export interface ExcludePattern {
  readonly text: string
  /**
   * Linear-time (RE2): a sitemap can hold 200,000 URLs of any length, and a backtracking
   * regex such as `^(a+)+$`, or a glob with many `**`, would run far past the deadline.
   * A function, so freezing the settings leaves the matcher's own caches alone.
   */
  readonly matches: (text: string) => boolean
  /** Globs are matched against the path only, regexes against path and query. */
  readonly withQuery: boolean
}

export interface SitemapSettings {
  readonly source: SitemapSource
  readonly exclude: readonly ExcludePattern[]
  /** The most URLs taken from the sitemap(s); reading stops there. */
  readonly limit: number
}

/** `shard: i/n`: this job warms the i-th (1-based) of n balanced shares of every tier. */
export interface Shard {
  readonly index: number
  readonly count: number
}

export interface ScaleSettings {
  readonly sitemap?: SitemapSettings
  /** Requests per second across all workers; absent: unlimited. */
  readonly maxRps?: number
  readonly shard?: Shard
}

type Raw = Partial<Record<string, string>>

/**
 * A glob on the path: `*` is any run of characters but `/`, `**` any run at all; everything
 * else is literal. `/blog/*` excludes `/blog/a` but not `/blog/a/b`; `/tag/**` excludes both.
 */
export function globToRegExp(glob: string): RE2JS {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*'
        i++
      } else out += '[^/]*'
    } else out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  }
  return RE2JS.compile(`^${out}$`)
}

/** What RE2 refused in a pattern JavaScript accepts: a backreference, a lookaround, or else. */
function unsupported(error: unknown): string {
  const e = error as { error?: unknown; input?: unknown }
  const input = typeof e.input === 'string' ? e.input : ''
  if (/^\\(?:[1-9]|k)/.test(input) || /^\(\?(?:[=!]|<[=!])/.test(input))
    return 'uses a feature a linear-time matcher cannot run (backreference or lookaround); write it without, e.g. list the alternatives, or use a glob such as /tag/**'
  const why = typeof e.error === 'string' ? e.error : 'not accepted'
  return `uses syntax a linear-time matcher (RE2) does not accept (${why}); write it more plainly, or use a glob such as /tag/**`
}

function compileRegex(source: string, t: string, line: number): (text: string) => boolean {
  try {
    // JavaScript's own parser says what is wrong with a broken pattern; it never runs it.
    new RegExp(source)
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    throw new InputError('sitemap-exclude', `line ${line}: "${t}" is not a valid regex (${why})`)
  }
  let re: RE2JS
  try {
    re = RE2JS.compile(source)
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error
    throw new InputError('sitemap-exclude', `line ${line}: "${t}" ${unsupported(error)}`)
  }
  return text => re.test(text)
}

export function parseExclude(text: string): ExcludePattern[] {
  const out: ExcludePattern[] = []
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim()
    if (t === '' || t.startsWith('#')) return
    if (t.startsWith('re:')) {
      out.push({ text: t, matches: compileRegex(t.slice(3).trim(), t, i + 1), withQuery: true })
      return
    }
    if (!t.startsWith('/') && !t.startsWith('*'))
      throw new InputError(
        'sitemap-exclude',
        `line ${i + 1}: "${t}" is neither a path glob (starting with / or *, e.g. /tag/**) nor a regex (re:^/p/\\d+$)`
      )
    const glob = globToRegExp(t)
    out.push({ text: t, matches: path => glob.testExact(path), withQuery: false })
  })
  return out
}

/** Whether a sitemap URL is excluded; `path` is relative to the deployment, with its query. */
export function isExcluded(patterns: readonly ExcludePattern[], pathAndQuery: string): boolean {
  if (patterns.length === 0) return false
  const q = pathAndQuery.indexOf('?')
  const pathOnly = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q)
  return patterns.some(p => p.matches(p.withQuery ? pathAndQuery : pathOnly))
}

function sitemapSource(text: string, base: URL, ctx: PathContext): SitemapSource {
  const isUrl = /^https?:\/\//i.test(text) || (text.startsWith('/') && !text.startsWith('//'))
  if (isUrl) {
    const url = withInputName('sitemap', () => resolvePath(text, base, ''))
    return { kind: 'url', url: url.href, shown: text }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text.startsWith('//'))
    throw new InputError('sitemap', `"${text}" is not a path on the deployment or a workspace file`)
  const rel = text.startsWith('file:') ? text.slice(5) : text
  const file = containedPath('sitemap', rel, ctx)
  let isFile = false
  let isDirectory = false
  try {
    const st = statSync(file)
    isFile = st.isFile()
    isDirectory = st.isDirectory()
  } catch {
    throw new InputError(
      'sitemap',
      `"${text}" is neither a path on the deployment (start it with /, e.g. /sitemap.xml) nor a file in the workspace (looked in ${ctx.workspace})`
    )
  }
  if (!isFile)
    throw new InputError(
      'sitemap',
      `"${text}" is ${isDirectory ? 'a directory' : 'not a regular file (a FIFO, socket or device)'}, not a sitemap file`
    )
  return { kind: 'file', file, shown: text }
}

function parseShard(text: string): Shard | undefined {
  if (text === '') return undefined
  const m = /^(\d+)\s*\/\s*(\d+)$/.exec(text)
  if (!m) throw new InputError('shard', `"${text}" is not i/n, e.g. 2/4 (the 2nd of 4 jobs)`)
  const index = Number(m[1])
  const count = Number(m[2])
  const { min, max } = INPUTS.shard
  if (count < min || count > max)
    throw new InputError('shard', `"${text}": the number of shards must be ${min} to ${max}`)
  if (index < 1 || index > count)
    throw new InputError(
      'shard',
      `"${text}": the shard number must be 1 to ${count} (it counts from 1)`
    )
  return { index, count }
}

function parseMaxRps(text: string): number | undefined {
  if (text === '') return undefined
  const m = /^(\d+(?:\.\d+)?)\s*(?:\/s)?$/.exec(text)
  const v = m ? Number(m[1]) : NaN
  if (!m || !Number.isFinite(v))
    throw new InputError(
      'max-rps',
      `"${text}" is not a number of requests per second, e.g. 50 or 0.5`
    )
  const { max } = INPUTS['max-rps']
  if (v <= 0 || v > max)
    throw new InputError('max-rps', `${v} is out of range; accepted: more than 0, up to ${max}`)
  return v
}

/** Parses the inputs for long lists. Throws InputError naming the input. */
export function parseScaleSettings(raw: Raw, base: URL, ctx: PathContext): ScaleSettings {
  const sitemapText = read(raw, 'sitemap')
  const excludeText = read(raw, 'sitemap-exclude')
  const limit = integer(raw, 'sitemap-limit', INPUTS['sitemap-limit'])
  const exclude = parseExclude(excludeText)
  if (sitemapText === '' && exclude.length > 0)
    throw new InputError('sitemap-exclude', 'needs sitemap, the sitemap whose URLs it filters')
  const maxRps = parseMaxRps(read(raw, 'max-rps'))
  const shard = parseShard(read(raw, 'shard'))
  return {
    ...(sitemapText !== ''
      ? { sitemap: { source: sitemapSource(sitemapText, base, ctx), exclude, limit } }
      : {}),
    ...(maxRps !== undefined ? { maxRps } : {}),
    ...(shard ? { shard } : {})
  }
}
