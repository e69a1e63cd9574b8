import { describe, expect, it } from '@jest/globals'
import {
  decodeEntities,
  MAX_LOC_CHARS,
  SitemapExtractor,
  SitemapFormatError,
  type SitemapEntry
} from '../../src/sitemap/extract.js'

const URLSET = `<?xml version="1.0" encoding="UTF-8"?>
<!-- generated; <url><loc>https://x/commented</loc></url> is not an entry -->
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>https://a.example/</loc><priority>1.0</priority></url>
  <url>
    <loc>
      https://a.example/search?q=caf%C3%A9&amp;page=2
    </loc>
    <lastmod>2025-01-01</lastmod>
    <priority>0.3</priority>
    <image:image><image:loc>https://cdn.example/i.png</image:loc></image:image>
  </url>
  <url><loc><![CDATA[https://a.example/cdata?a=1&b=2]]></loc><priority>high</priority></url>
  <url><priority>0.9</priority></url>
</urlset>`

const EXPECTED: SitemapEntry[] = [
  { loc: 'https://a.example/', priority: 1 },
  { loc: 'https://a.example/search?q=caf%C3%A9&page=2', priority: 0.3 },
  { loc: 'https://a.example/cdata?a=1&b=2' }
]

function extract(chunks: string[]): { entries: SitemapEntry[]; x: SitemapExtractor } {
  const x = new SitemapExtractor()
  const entries = chunks.flatMap(c => x.write(c))
  entries.push(...x.end())
  return { entries, x }
}

describe('SitemapExtractor', () => {
  it('reads <loc> and <priority> of each <url>, skipping comments and other <loc>s', () => {
    const { entries, x } = extract([URLSET])
    expect(x.kind).toBe('urlset')
    // An image's <loc> is not the page's; an entry without <loc> is counted invalid.
    expect(entries).toEqual(EXPECTED)
    expect(x.invalid).toBe(1)
  })

  it('gives the same entries however the text is cut into chunks', () => {
    for (let size = 1; size <= 40; size++) {
      const chunks: string[] = []
      for (let i = 0; i < URLSET.length; i += size) chunks.push(URLSET.slice(i, i + size))
      expect(extract(chunks).entries).toEqual(EXPECTED)
    }
  })

  it('reads a sitemap index, namespace prefixes and all', () => {
    const { entries, x } = extract([
      '<sm:sitemapindex xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">',
      '<sm:sitemap><sm:loc>https://a.example/s1.xml</sm:loc></sm:sitemap>',
      '<sm:sitemap><sm:loc>https://a.example/s2.xml.gz</sm:loc></sm:sitemap></sm:sitemapindex>'
    ])
    expect(x.kind).toBe('sitemapindex')
    expect(entries.map(e => e.loc)).toEqual([
      'https://a.example/s1.xml',
      'https://a.example/s2.xml.gz'
    ])
  })

  it('drops a <loc> too long to be a URL instead of holding it', () => {
    const x = new SitemapExtractor()
    const out = x.write(`<urlset><url><loc>https://a/${'x'.repeat(MAX_LOC_CHARS)}</loc></url>`)
    expect(out).toEqual([])
    expect(x.invalid).toBe(1)
  })

  it('ignores priorities outside 0-1', () => {
    const { entries } = extract([
      '<urlset><url><loc>https://a/</loc><priority>5</priority></url></urlset>'
    ])
    expect(entries).toEqual([{ loc: 'https://a/' }])
  })

  it('says when a document is not a sitemap', () => {
    expect(() => extract(['<html><body>Not found</body></html>'])).toThrow(
      new SitemapFormatError('no <urlset> or <sitemapindex> root element')
    )
    expect(() => extract(['{"error":"not found"}'])).toThrow(/not XML/)
    expect(() => new SitemapExtractor().write(`<urlset${' a="b"'.repeat(300_000)}`)).toThrow(
      /runs on for more than 1 MiB/
    )
  })

  it('decodes the XML entities, numeric ones included', () => {
    expect(decodeEntities('a&amp;b&lt;&#233;&#xE9;&bogus;')).toBe('a&b<éé&bogus;')
  })
})
