import { createReadStream } from 'node:fs'
import type http from 'node:http'
import { pipeline, Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import type { EndpointSpec, Priority } from '../config/endpoints.js'
import { isExcluded, type SitemapSettings } from '../config/scale.js'
import type { Settings } from '../config/settings.js'
import { describeStreamError, FetchError, openStream } from '../http/stream.js'
import type { RateLimiter } from '../warm/rate-limit.js'
import type { SitemapCounts } from '../result.js'
import { SitemapExtractor, SitemapFormatError, type SitemapEntry } from './extract.js'

/** Index nesting followed: index → urlset is depth 1; one index inside another is depth 2. */
export const MAX_SITEMAP_DEPTH = 2
/** Sitemap documents read in one run, the root included. */
export const MAX_SITEMAP_DOCUMENTS = 100
/** Per document, after decompression (the protocol's own limit is 50 MB). */
export const MAX_SITEMAP_BYTES = 64 * 1024 * 1024
/** A sitemap request asks for XML, and takes it gzipped. */
const SITEMAP_ACCEPT = {
  Accept: 'application/xml, text/xml;q=0.9, */*;q=0.5',
  'Accept-Encoding': 'gzip'
}

/** `<priority>` to tier; a URL without one has the protocol's default, 0.5 (normal). */
export function tierOf(priority: number | undefined): Priority {
  const p = priority ?? 0.5
  if (p >= 0.8) return 'critical'
  if (p >= 0.6) return 'high'
  if (p >= 0.3) return 'normal'
  return 'low'
}

/** What loading gave: the endpoints, and the counts the report keeps (result.ts). */
export interface SitemapLoad extends SitemapCounts {
  readonly endpoints: EndpointSpec[]
  /** An example of another origin, for the message when every URL was skipped. */
  readonly otherOriginExample?: string
}

export interface SitemapDeps {
  readonly agentFor?: (url: URL) => http.Agent | undefined
  readonly signal?: AbortSignal
  readonly limiter?: RateLimiter
  readonly userAgent: string
  readonly log?: (line: string) => void
}

class LimitReached extends Error {}

function gunzip(source: Readable): Readable {
  return pipeline(source, createGunzip(), () => {})
}

/**
 * The document's text, chunk by chunk: Content-Encoding gzip undone, a gzipped file (.xml.gz,
 * found by its magic bytes, whatever it is called) unpacked, and at most MAX_SITEMAP_BYTES let
 * through so a small archive cannot unpack into gigabytes.
 */
async function* textOf(body: Readable, encoding: string | undefined): AsyncGenerator<string> {
  let stream = /^(x-)?gzip$/i.test(encoding?.trim() ?? '') ? gunzip(body) : body
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const first = await iterator.next()
  if (first.done) return
  const head: Buffer = first.value
  const rest = Readable.from(
    (async function* () {
      yield head
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) yield r.value
    })()
  )
  stream = head[0] === 0x1f && head[1] === 0x8b ? gunzip(rest) : rest
  const decoder = new TextDecoder('utf-8')
  let bytes = 0
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length
      if (bytes > MAX_SITEMAP_BYTES)
        throw new SitemapFormatError(
          `larger than ${MAX_SITEMAP_BYTES / 1024 / 1024} MiB once decompressed; split it with a sitemap index`
        )
      yield decoder.decode(chunk, { stream: true })
    }
    yield decoder.decode()
  } finally {
    stream.destroy()
    body.destroy()
  }
}

function shownPath(url: URL, base: URL): string {
  const prefix = base.pathname.replace(/\/+$/, '')
  const under = url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)
  return `${under ? url.pathname.slice(prefix.length) || '/' : url.pathname}${url.search}`
}

/** A sitemap document waiting to be read; the root is depth 0. */
interface QueuedDocument {
  readonly where: string
  readonly depth: number
}

/** A document being read: where it is, how deep, and the name it goes by in messages. */
interface OpenDocument extends QueuedDocument {
  readonly isRoot: boolean
  readonly label: string
}

/** Everything one loadSitemap gathers while it walks the root and its children. */
interface SitemapWalk {
  readonly sm: SitemapSettings
  readonly base: URL
  readonly origin: string
  /** `METHOD url` of every endpoint kept so far, the configured ones included. */
  readonly seen: Set<string>
  readonly queue: QueuedDocument[]
  readonly endpoints: EndpointSpec[]
  readonly problems: string[]
  readonly counts: {
    documents: number
    urls: number
    otherOrigin: number
    excluded: number
    duplicates: number
    invalid: number
  }
  otherOriginExample: string | undefined
  limited: boolean
  rootError: string | undefined
  /** Child sitemaps left out because MAX_SITEMAP_DOCUMENTS was reached. */
  notRead: number
  /** `<loc>`s with user:password@, counted under invalid: Node's http would send them as Basic auth. */
  withUserinfo: number
}

function startWalk(settings: Settings): SitemapWalk {
  const sm = settings.sitemap as SitemapSettings
  return {
    sm,
    base: new URL(settings.deployment.baseUrl),
    origin: settings.deployment.origin,
    seen: new Set(settings.warm.endpoints.map(e => `${e.method} ${e.url}`)),
    queue: [{ where: sm.source.kind === 'url' ? sm.source.url : sm.source.file, depth: 0 }],
    endpoints: [],
    problems: [],
    counts: { documents: 0, urls: 0, otherOrigin: 0, excluded: 0, duplicates: 0, invalid: 0 },
    otherOriginExample: undefined,
    limited: false,
    rootError: undefined,
    notRead: 0,
    withUserinfo: 0
  }
}

/** A `<loc>` as a URL, or undefined (counted as invalid) when it is not one or carries userinfo. */
function parseLoc(walk: SitemapWalk, loc: string): URL | undefined {
  let url: URL
  try {
    url = new URL(loc)
  } catch {
    walk.counts.invalid++
    return undefined
  }
  if (url.username || url.password) {
    walk.counts.invalid++
    walk.withUserinfo++
    return undefined
  }
  return url
}

function countOtherOrigin(walk: SitemapWalk, url: URL): void {
  walk.counts.otherOrigin++
  walk.otherOriginExample ??= url.origin
}

/** One `<url>` of a urlset: kept as a GET endpoint unless skipped; throws LimitReached at the limit. */
function takeUrl(walk: SitemapWalk, entry: SitemapEntry): void {
  const { counts, endpoints, sm } = walk
  counts.urls++
  const url = parseLoc(walk, entry.loc)
  if (!url) return
  if (url.origin !== walk.origin) {
    countOtherOrigin(walk, url)
    return
  }
  url.hash = ''
  const path = shownPath(url, walk.base)
  if (isExcluded(sm.exclude, path)) {
    counts.excluded++
    return
  }
  const key = `GET ${url.href}`
  if (walk.seen.has(key)) {
    counts.duplicates++
    return
  }
  if (endpoints.length >= sm.limit) {
    walk.limited = true
    throw new LimitReached()
  }
  walk.seen.add(key)
  endpoints.push({
    source: `sitemap[${endpoints.length}]`,
    method: 'GET',
    path,
    url: url.href,
    priority: tierOf(entry.priority),
    headers: {}
  })
}

/** One `<sitemap>` of an index: queued unless off-origin, too deep, or over the document cap. */
function queueChild(walk: SitemapWalk, parent: OpenDocument, entry: SitemapEntry): void {
  const child = parseLoc(walk, entry.loc)
  if (!child) return
  if (child.origin !== walk.origin) {
    countOtherOrigin(walk, child)
  } else if (parent.depth + 1 > MAX_SITEMAP_DEPTH) {
    walk.problems.push(
      `${parent.label}: an index nested deeper than ${MAX_SITEMAP_DEPTH}; ${child.pathname} not read`
    )
  } else if (walk.counts.documents + walk.queue.length >= MAX_SITEMAP_DOCUMENTS) {
    walk.notRead++
  } else walk.queue.push({ where: child.href, depth: parent.depth + 1 })
}

/** Takes the next queued document and counts it as read. */
function nextDocument(walk: SitemapWalk): OpenDocument {
  const { where, depth } = walk.queue.shift()!
  const isRoot = walk.counts.documents === 0 && depth === 0
  const label = isRoot ? walk.sm.source.shown : shownPath(new URL(where), walk.base)
  walk.counts.documents++
  return { where, depth, isRoot, label }
}

/** Streams one document through the extractor, taking its URLs or queueing its children. */
async function readDocument(
  walk: SitemapWalk,
  doc: OpenDocument,
  settings: Settings,
  deps: SitemapDeps
): Promise<void> {
  const opened =
    doc.isRoot && walk.sm.source.kind === 'file'
      ? { body: createReadStream(doc.where), encoding: undefined }
      : await openStream(doc.where, settings, deps, SITEMAP_ACCEPT)
  const extractor = new SitemapExtractor()
  const handle = (entries: SitemapEntry[]): void => {
    if (extractor.kind === 'urlset') for (const e of entries) takeUrl(walk, e)
    else for (const e of entries) queueChild(walk, doc, e)
  }
  try {
    for await (const text of textOf(opened.body, opened.encoding)) handle(extractor.write(text))
    handle(extractor.end())
  } finally {
    walk.counts.invalid += extractor.invalid
  }
}

/** Records why a document could not be read: the root's failure is the load's error. */
function recordUnread(
  walk: SitemapWalk,
  doc: OpenDocument,
  error: unknown,
  deps: SitemapDeps
): void {
  const why =
    error instanceof FetchError || error instanceof SitemapFormatError
      ? error.message
      : deps.signal?.aborted
        ? 'stopped before it was read'
        : describeStreamError(error)
  if (doc.isRoot) walk.rootError = `${doc.label}: ${why}`
  else walk.problems.push(`${doc.label}: ${why}`)
  deps.log?.(`Sitemap ${doc.label}: ${why}`)
}

function finishWalk(walk: SitemapWalk): SitemapLoad {
  const { problems, otherOriginExample, rootError } = walk
  if (walk.withUserinfo > 0)
    problems.push(`${walk.withUserinfo} URL(s) carried user:password@ and were skipped`)
  if (walk.notRead > 0)
    problems.push(
      `${walk.notRead} child sitemap(s) not read: at most ${MAX_SITEMAP_DOCUMENTS} documents are read per run`
    )
  return {
    source: walk.sm.source.shown,
    endpoints: walk.endpoints,
    ...walk.counts,
    ...(otherOriginExample ? { otherOriginExample } : {}),
    limited: walk.limited,
    problems,
    ...(rootError ? { error: rootError } : {})
  }
}

/**
 * Reads `settings.sitemap` (a URL on the deployment, or a workspace file), following sitemap
 * indexes, and turns its same-origin URLs into GET endpoints tiered by `<priority>`. Streams:
 * only the current chunk and the endpoints kept are held, never a whole document. URLs already
 * in `settings.warm.endpoints` are left to those (their tier and expect win).
 */
export async function loadSitemap(settings: Settings, deps: SitemapDeps): Promise<SitemapLoad> {
  const walk = startWalk(settings)
  while (walk.queue.length > 0 && !walk.limited && !deps.signal?.aborted) {
    const doc = nextDocument(walk)
    try {
      await readDocument(walk, doc, settings, deps)
    } catch (error) {
      if (error instanceof LimitReached) break
      recordUnread(walk, doc, error, deps)
    }
  }
  return finishWalk(walk)
}
