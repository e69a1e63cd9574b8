/**
 * A tolerant, streaming extractor of `<loc>` and `<priority>` from sitemaps and sitemap
 * indexes. Not an XML parser: it walks tags, skipping comments, processing instructions and
 * doctypes, reads CDATA and the five entities plus numeric ones, and ignores namespace prefixes
 * (`<sm:loc>`). Memory is bounded by one tag or one `<loc>`, not by the document: text is fed
 * in chunks and each entry is handed out as soon as its `</url>` or `</sitemap>` closes.
 */

export type SitemapKind = 'urlset' | 'sitemapindex'

export interface SitemapEntry {
  readonly loc: string
  /** `<priority>` as written, when it was a number in 0-1. */
  readonly priority?: number
}

/** A `<loc>` longer than this is dropped (counted as invalid), so one bad entry cannot eat memory. */
export const MAX_LOC_CHARS = 8192
/** Text pending inside one tag or comment; past this the document is not a sitemap. */
const MAX_PENDING_CHARS = 1024 * 1024

export class SitemapFormatError extends Error {
  override readonly name = 'SitemapFormatError'
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1))
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole
    }
    return ENTITIES[name] ?? whole
  })
}

function localName(tag: string): string {
  // tag is what follows "<" or "</" up to ">": a name, then maybe attributes.
  let end = 0
  while (end < tag.length && !/[\s/>]/.test(tag[end]!)) end++
  const name = tag.slice(0, end)
  const colon = name.indexOf(':')
  return (colon >= 0 ? name.slice(colon + 1) : name).toLowerCase()
}

export class SitemapExtractor {
  /** Known once the root element has been seen. */
  kind: SitemapKind | undefined
  /** `<loc>`s dropped for being too long or empty. */
  invalid = 0
  private pending = ''
  private field: 'loc' | 'priority' | undefined
  private text = ''
  private tooLong = false
  private loc: string | undefined
  private priority: number | undefined
  private inEntry = false
  /** Elements open inside the current entry: only its direct children count (not <image:loc>). */
  private depth = 0

  /** Feeds the next chunk of text; returns the entries it completed. */
  write(chunk: string): SitemapEntry[] {
    const out: SitemapEntry[] = []
    const s = this.pending + chunk
    let i = 0
    while (i < s.length) {
      const lt = s.indexOf('<', i)
      if (lt < 0) {
        this.addText(s.slice(i))
        i = s.length
        break
      }
      if (lt > i) this.addText(s.slice(i, lt))
      i = lt
      // Comments, CDATA, PIs and doctypes need their own terminators.
      if (s.startsWith('<!--', i) || (s.length - i < 4 && '<!--'.startsWith(s.slice(i)))) {
        const end = s.indexOf('-->', i + 4)
        if (end < 0) break
        i = end + 3
        continue
      }
      if (
        s.startsWith('<![CDATA[', i) ||
        (s.length - i < 9 && '<![CDATA['.startsWith(s.slice(i)))
      ) {
        const end = s.indexOf(']]>', i + 9)
        if (end < 0) break
        this.addRaw(s.slice(i + 9, end))
        i = end + 3
        continue
      }
      const gt = s.indexOf('>', i + 1)
      if (gt < 0) break
      const tag = s.slice(i + 1, gt)
      i = gt + 1
      if (tag.startsWith('?') || tag.startsWith('!')) continue
      if (tag.startsWith('/')) this.close(localName(tag.slice(1)), out)
      else this.open(localName(tag), tag.endsWith('/'), out)
    }
    this.pending = s.slice(i)
    if (this.pending.length > MAX_PENDING_CHARS)
      throw new SitemapFormatError(
        'a tag or comment runs on for more than 1 MiB; is this a sitemap?'
      )
    return out
  }

  /** Ends the document; throws when it was not a sitemap at all. */
  end(): SitemapEntry[] {
    if (!this.kind)
      throw new SitemapFormatError(
        this.sawAnyTag ? 'no <urlset> or <sitemapindex> root element' : 'not XML (no tags at all)'
      )
    return []
  }

  private sawAnyTag = false

  private open(name: string, selfClosing: boolean, out: SitemapEntry[]): void {
    this.sawAnyTag = true
    if (!this.kind) {
      if (name === 'urlset' || name === 'sitemapindex') this.kind = name
      return
    }
    if (name === 'url' || name === 'sitemap') {
      this.inEntry = true
      this.depth = 0
      this.loc = undefined
      this.priority = undefined
      if (selfClosing) this.close(name, out)
      return
    }
    if (!this.inEntry || selfClosing) return
    this.depth++
    if (this.depth === 1 && (name === 'loc' || name === 'priority')) {
      this.field = name
      this.text = ''
      this.tooLong = false
    }
  }

  private close(name: string, out: SitemapEntry[]): void {
    if (this.inEntry && this.depth > 0 && name !== 'url' && name !== 'sitemap') this.depth--
    if (this.field && name === this.field) {
      const value = this.tooLong ? undefined : decodeEntities(this.text).trim()
      if (this.field === 'loc') this.loc = value ?? ''
      else {
        const p = value !== undefined && /^\d*\.?\d+$/.test(value) ? Number(value) : NaN
        this.priority = p >= 0 && p <= 1 ? p : undefined
      }
      this.field = undefined
      this.text = ''
      return
    }
    if ((name === 'url' || name === 'sitemap') && this.inEntry) {
      this.inEntry = false
      if (this.loc)
        out.push(
          this.priority !== undefined
            ? { loc: this.loc, priority: this.priority }
            : { loc: this.loc }
        )
      else this.invalid++
    }
  }

  private addText(text: string): void {
    if (this.field) this.addRaw(text)
  }

  private addRaw(text: string): void {
    if (!this.field || this.tooLong) return
    if (this.text.length + text.length > MAX_LOC_CHARS) {
      this.tooLong = true
      this.text = ''
      return
    }
    this.text += text
  }
}
