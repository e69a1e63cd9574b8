import { afterEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import type { RawInputs } from '../../src/config/settings.js'
import { parseSettings } from '../../src/config/settings.js'
import { loadSitemap, tierOf, MAX_SITEMAP_BYTES } from '../../src/sitemap/load.js'
import { startServer, type LocalServer } from '../support/server.js'

const workspace = mkdtempSync(path.join(tmpdir(), 'cache-warm-sitemap-'))
let server: LocalServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const urlset = (locs: string[], priority?: (i: number) => string): string =>
  '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' +
  locs
    .map(
      (l, i) => `<url><loc>${l}</loc>${priority ? `<priority>${priority(i)}</priority>` : ''}</url>`
    )
    .join('\n') +
  '</urlset>'
const index = (locs: string[]): string =>
  `<sitemapindex>${locs.map(l => `<sitemap><loc>${l}</loc></sitemap>`).join('')}</sitemapindex>`

type Routes = Record<
  string,
  { body: string | Buffer; gzip?: boolean; status?: number; location?: string }
>

/**
 * A deployment serving `routes` (path -> body, gzipped when asked), streamed in small writes.
 * `routes` gets the server's origin, so a sitemap can name its own URLs.
 */
async function deployment(routes: (origin: string) => Routes): Promise<LocalServer> {
  let table: Routes = {}
  server = await startServer((req, res) => {
    const route = table[req.url ?? '']
    if (!route) {
      res.writeHead(404).end('no such sitemap')
      return
    }
    if (route.location) {
      res.writeHead(route.status ?? 301, { Location: route.location }).end()
      return
    }
    const body = route.gzip ? gzipSync(route.body) : Buffer.from(route.body)
    res.writeHead(route.status ?? 200, {
      'Content-Type': 'application/xml',
      ...(route.gzip ? { 'Content-Encoding': 'gzip' } : {})
    })
    // Many small writes: the loader must not need the whole body at once.
    for (let i = 0; i < body.length; i += 16 * 1024) res.write(body.subarray(i, i + 16 * 1024))
    res.end()
  })
  table = routes(server.origin)
  return server
}

const settingsFor = (origin: string, raw: RawInputs) =>
  parseSettings({ url: origin, ...raw }, { workspace })
const load = (origin: string, raw: RawInputs) =>
  loadSitemap(settingsFor(origin, raw), { userAgent: 'test' })

describe('loadSitemap', () => {
  it('streams 50,000 gzipped URLs into endpoints, tiered by <priority>', async () => {
    const priorities = ['1.0', '0.7', '0.5', '0.1', '']
    const { origin } = await deployment(o => ({
      '/sitemap.xml': {
        body: urlset(
          Array.from({ length: 50_000 }, (_, i) => `${o}/page/${i}`),
          i => priorities[i % 5]!
        ).replace(/<priority><\/priority>/g, ''),
        gzip: true
      }
    }))
    const got = await load(origin, { sitemap: '/sitemap.xml' })
    expect(got.error).toBeUndefined()
    expect(got.endpoints).toHaveLength(50_000)
    expect(got.endpoints[49_999]).toEqual({
      source: 'sitemap[49999]',
      method: 'GET',
      path: '/page/49999',
      url: `${origin}/page/49999`,
      priority: 'normal',
      headers: {}
    })
    expect(got.endpoints.slice(0, 5).map(e => e.priority)).toEqual([
      'critical',
      'high',
      'normal',
      'low',
      'normal'
    ])
    // The sitemap is asked for with gzip, like a browser would.
    expect(server!.requests[0]!.headers['accept-encoding']).toBe('gzip')
  })

  it('follows an index to gzipped files and skips sitemaps and URLs of other origins', async () => {
    const { origin } = await deployment(o => ({
      '/sitemap_index.xml': {
        body: index([`${o}/a.xml`, `${o}/b.xml.gz`, 'https://elsewhere.example/c.xml'])
      },
      '/a.xml': { body: urlset([`${o}/a1`, `${o}/a2`, 'https://cdn.example/x']) },
      // A .xml.gz file as such: gzip bytes, no Content-Encoding.
      '/b.xml.gz': { body: gzipSync(urlset([`${o}/b1`, `${o}/a1`])) }
    }))
    const got = await load(origin, { sitemap: '/sitemap_index.xml', endpoints: '- /a2' })
    expect(got.endpoints.map(e => e.path)).toEqual(['/a1', '/b1'])
    expect(got).toMatchObject({
      documents: 3,
      urls: 5,
      otherOrigin: 2,
      otherOriginExample: 'https://elsewhere.example',
      duplicates: 2,
      limited: false,
      problems: []
    })
    // Only the deployment is asked; the other origin's sitemap is never fetched.
    expect(server!.requests.map(r => r.url)).toEqual(['/sitemap_index.xml', '/a.xml', '/b.xml.gz'])
  })

  it('leaves out excluded URLs and stops reading at sitemap-limit', async () => {
    const { origin } = await deployment(o => ({
      '/sitemap.xml': {
        body: urlset(
          ['/tag/a', '/tag/a/b', '/p/1', '/p/2?page=3', '/p/3', '/p/4'].map(p => `${o}${p}`)
        )
      }
    }))
    const got = await load(origin, {
      sitemap: '/sitemap.xml',
      'sitemap-exclude': '/tag/*\nre:page=\\d',
      'sitemap-limit': '2'
    })
    expect(got.endpoints.map(e => e.path)).toEqual(['/tag/a/b', '/p/1'])
    expect(got).toMatchObject({ excluded: 2, limited: true })
  })

  it('sends the key to the deployment and follows its own redirects only', async () => {
    const { origin } = await deployment(o => ({
      '/sitemap.xml': { body: '', location: '/real-sitemap.xml' },
      '/real-sitemap.xml': { body: urlset([`${o}/x`]) },
      '/away.xml': { body: '', location: 'https://elsewhere.example/sitemap.xml' }
    }))
    const ok = await load(origin, { sitemap: '/sitemap.xml', 'api-key': 'k-123' })
    expect(ok.endpoints.map(e => e.path)).toEqual(['/x'])
    expect(server!.requests.map(r => r.headers['x-api-key'])).toEqual(['k-123', 'k-123'])
    const away = await load(origin, { sitemap: '/away.xml' })
    expect(away.error).toMatch(
      /^\/away.xml: redirects to https:\/\/elsewhere.example, not the deployment's origin/
    )
  })

  it('reports a sitemap that is missing or is not a sitemap as an error', async () => {
    const { origin } = await deployment(() => ({
      '/html': { body: '<html><body>hi</body></html>' }
    }))
    expect((await load(origin, { sitemap: '/sitemap.xml' })).error).toBe(
      '/sitemap.xml: answered 404 Not Found'
    )
    expect((await load(origin, { sitemap: '/html' })).error).toBe(
      '/html: no <urlset> or <sitemapindex> root element'
    )
  })

  it('refuses to unpack more than the cap (a gzip bomb)', async () => {
    const bomb = gzipSync(Buffer.alloc(MAX_SITEMAP_BYTES + 1024, ' '))
    expect(bomb.length).toBeLessThan(1024 * 1024)
    const { origin } = await deployment(() => ({ '/sitemap.xml.gz': { body: bomb } }))
    const got = await load(origin, { sitemap: '/sitemap.xml.gz' })
    expect(got.error).toMatch(/larger than 64 MiB once decompressed/)
  })

  it('reads a workspace file, gzipped or not, and fetches only its same-origin children', async () => {
    const { origin } = await deployment(o => ({
      '/child.xml': { body: urlset([`${o}/from-child`]) }
    }))
    writeFileSync(
      path.join(workspace, 'sitemap.xml.gz'),
      gzipSync(urlset([`${origin}/from-file`, 'https://prod.example/page']))
    )
    writeFileSync(path.join(workspace, 'index.xml'), index([`${origin}/child.xml`]))
    const file = await load(origin, { sitemap: 'sitemap.xml.gz' })
    expect(file.endpoints.map(e => e.path)).toEqual(['/from-file'])
    expect(file.otherOrigin).toBe(1)
    const viaIndex = await load(origin, { sitemap: 'index.xml' })
    expect(viaIndex.endpoints.map(e => e.path)).toEqual(['/from-child'])
  })
})

describe('loadSitemap: user:password@ in a <loc>', () => {
  const withUserinfo = (origin: string): string => origin.replace('://', '://deploy:hunter2@')

  it('is what Node turns into an Authorization header (the hazard, on the same server)', async () => {
    const { origin } = await deployment(() => ({ '/x': { body: 'x' } }))
    await new Promise<void>((resolve, reject) => {
      http
        .get(new URL(`${withUserinfo(origin)}/x`), res => {
          res.resume()
          res.on('end', resolve)
        })
        .on('error', reject)
    })
    expect(server!.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('deploy:hunter2').toString('base64')}`
    )
  })

  it('is skipped as invalid, never requested, and the problem line hides the password', async () => {
    const { origin } = await deployment(o => ({
      '/sitemap_index.xml': {
        body: index([`${o}/a.xml`, `${withUserinfo(o)}/secret-child.xml`])
      },
      '/a.xml': { body: urlset([`${o}/public`, `${withUserinfo(o)}/private`]) },
      '/secret-child.xml': { body: urlset([`${o}/from-secret-child`]) }
    }))
    const got = await load(origin, { sitemap: '/sitemap_index.xml', 'api-key': 'k-1' })
    expect(got.endpoints.map(e => e.url)).toEqual([`${origin}/public`])
    expect(got.invalid).toBe(2)
    expect(got.problems).toEqual(['2 URL(s) carried user:password@ and were skipped'])
    expect(JSON.stringify(got)).not.toContain('hunter2')
    expect(server!.requests.map(r => r.url)).toEqual(['/sitemap_index.xml', '/a.xml'])
    expect(server!.requests.map(r => r.headers.authorization)).toEqual([undefined, undefined])
  })

  it('does not follow a redirect to a URL with user:password@', async () => {
    const { origin } = await deployment(o => ({
      '/sitemap.xml': { body: '', status: 302, location: `${withUserinfo(o)}/real.xml` },
      '/real.xml': { body: urlset([`${o}/x`]) }
    }))
    const got = await load(origin, { sitemap: '/sitemap.xml' })
    expect(got.error).toBe(
      '/sitemap.xml: answered 302 with a Location that carries user:password@; not followed'
    )
    expect(server!.requests.map(r => [r.url, r.headers.authorization])).toEqual([
      ['/sitemap.xml', undefined]
    ])
  })
})

describe('tierOf', () => {
  it('maps <priority> to tiers: 0.8 critical, 0.6 high, 0.3 normal, else low; none is 0.5', () => {
    expect([1, 0.8, 0.79, 0.6, 0.5, 0.3, 0.29, 0, undefined].map(tierOf)).toEqual([
      'critical',
      'critical',
      'high',
      'high',
      'normal',
      'normal',
      'low',
      'low',
      'normal'
    ])
  })
})
