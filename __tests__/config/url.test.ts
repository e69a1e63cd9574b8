import { describe, expect, it } from '@jest/globals'
import { addedScheme, isLoopback, joinUrl, normalizeBaseUrl } from '../../src/config/url.js'

function base(raw: string): URL {
  const url = normalizeBaseUrl(raw)
  if (typeof url === 'string') throw new Error(`expected a URL, got: ${url}`)
  return url
}

describe('normalizeBaseUrl', () => {
  it.each([
    ['https://my-worker.example.workers.dev', 'https://my-worker.example.workers.dev/'],
    ['  https://my-worker.example.workers.dev  ', 'https://my-worker.example.workers.dev/'],
    ['my-worker.example.workers.dev', 'https://my-worker.example.workers.dev/'],
    ['shop.example.com (custom domain)', 'https://shop.example.com/'],
    ['https://shop.example.com (Custom Domain)  ', 'https://shop.example.com/'],
    ['HTTPS://Shop.Example.com', 'https://shop.example.com/'],
    ['http://localhost:8787', 'http://localhost:8787/'],
    ['localhost:8787', 'http://localhost:8787/'],
    ['https://example.com/app/', 'https://example.com/app/'],
    ['https://example.com/app#top', 'https://example.com/app']
  ])('accepts wrangler-style %p as %s', (raw, href) => {
    expect(base(raw).href).toBe(href)
  })

  it.each([
    ['localhost', 'http://localhost/'],
    ['localhost:8788', 'http://localhost:8788/'],
    ['LOCALHOST:8788', 'http://localhost:8788/'],
    ['127.0.0.1', 'http://127.0.0.1/'],
    ['127.0.0.1:8788/path', 'http://127.0.0.1:8788/path'],
    ['127.5.6.7:3000', 'http://127.5.6.7:3000/'],
    ['[::1]:8788', 'http://[::1]:8788/'],
    ['localhost:8788 (custom domain)', 'http://localhost:8788/']
  ])('gives %p, a server on this machine (wrangler dev), http:// as %s', (raw, href) => {
    expect(base(raw).href).toBe(href)
  })

  it.each([
    ['localhost.example.com', 'https://localhost.example.com/'],
    ['localhost-shop.example.com:8788', 'https://localhost-shop.example.com:8788/'],
    ['127.0.0.1.example.com', 'https://127.0.0.1.example.com/'],
    ['10.0.0.1:8788', 'https://10.0.0.1:8788/'],
    ['0.0.0.0:8788', 'https://0.0.0.0:8788/'],
    ['example.com/localhost', 'https://example.com/localhost']
  ])('keeps https:// for %p, another machine, whatever its name says', (raw, href) => {
    expect(base(raw).href).toBe(href)
  })

  it('keeps the scheme a user wrote, even https:// for localhost', () => {
    expect(base('https://localhost:8788').href).toBe('https://localhost:8788/')
  })

  it('decides on the host, so a user name of localhost does not get http://', () => {
    expect(normalizeBaseUrl('localhost@evil.example')).toMatch(/must not contain a user name/)
    expect(normalizeBaseUrl('localhost:pw@evil.example')).not.toContain('pw')
  })

  it('keeps a path prefix so endpoints can live under it', () => {
    expect(base('example.com/staging').pathname).toBe('/staging')
  })

  it.each([
    ['ftp://example.com', /uses ftp:; only https:\/\/ \(or http:\/\/ for localhost\) is accepted/],
    ['ws://example.com', /uses ws:/],
    ['file:///etc/passwd', /uses file:/],
    ['https://user:pass@example.com', /must not contain a user name or password/],
    ['https://user@example.com', /must not contain a user name or password/],
    ['https://exa mple.com', /contains white space; give one URL/],
    ['https://a.example.com https://b.example.com', /contains white space/],
    ['http://[bad', /is not a URL; give e\.g\. https:\/\//],
    ['::::', /is not a URL/],
    ['https://', /is not a URL/],
    ['', /is empty; give the deployment URL/],
    ['   (custom domain)', /is empty/]
  ])('rejects %p with a message saying what is accepted', (raw, message) => {
    const result = normalizeBaseUrl(raw)
    expect(typeof result).toBe('string')
    expect(result).toMatch(message)
  })

  it.each([
    'https://deploy:hunter2@exa mple.com',
    'deploy:hunter2@exa mple.com',
    'https://deploy:hunter2@[bad',
    'ftp://deploy:hunter2@example.com',
    'https://deploy:hunter2@example.com'
  ])('never echoes a password written into the URL (%p)', raw => {
    const result = normalizeBaseUrl(raw)
    expect(typeof result).toBe('string')
    expect(result).not.toContain('hunter2')
  })
})

describe('addedScheme', () => {
  it.each([
    ['my-worker.example.workers.dev', 'https'],
    ['shop.example.com (custom domain)', 'https'],
    ['  example.com/staging  ', 'https'],
    ['localhost:8788', 'http'],
    ['127.0.0.1:8788/path', 'http'],
    ['[::1]:8788', 'http']
  ])('says normalizeBaseUrl added a scheme to %p: %s', (raw, scheme) => {
    expect(addedScheme(raw)).toBe(scheme)
    expect(base(raw).protocol).toBe(`${scheme}:`)
  })

  it.each([
    'https://example.com',
    'HTTP://localhost:8788',
    'http://example.com (custom domain)',
    'https://localhost'
  ])('says nothing was added when the user wrote the scheme (%p)', raw => {
    expect(addedScheme(raw)).toBeUndefined()
  })

  it.each(['', '   ', 'exa mple.com', 'user:pw@example.com', 'ftp://example.com', '::::'])(
    'says nothing was added when there is no URL (%p)',
    raw => {
      expect(typeof normalizeBaseUrl(raw)).toBe('string')
      expect(addedScheme(raw)).toBeUndefined()
    }
  )
})

describe('joinUrl', () => {
  it.each([
    ['https://example.com', '/api/v1/reports', 'https://example.com/api/v1/reports'],
    ['https://example.com/', 'api/v1/reports', 'https://example.com/api/v1/reports'],
    ['https://example.com/app', '/api', 'https://example.com/app/api'],
    ['https://example.com/app/', '/api', 'https://example.com/app/api'],
    ['https://example.com/app//', '/api', 'https://example.com/app/api'],
    ['https://example.com/app', '/search?q=a&page=2', 'https://example.com/app/search?q=a&page=2'],
    ['https://example.com/app', '/', 'https://example.com/app/']
  ])('joins %s and %s under the prefix', (b, path, href) => {
    expect(joinUrl(new URL(b), path).href).toBe(href)
  })

  it('drops the base URL query rather than mixing it into every endpoint', () => {
    expect(joinUrl(new URL('https://example.com/app?preview=1'), '/x').href).toBe(
      'https://example.com/app/x'
    )
  })
})

describe('isLoopback', () => {
  it.each(['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '[::1]', '::1'])(
    'treats %s as this machine',
    host => {
      expect(isLoopback(host)).toBe(true)
    }
  )

  it.each(['example.com', '10.0.0.1', '0.0.0.0', 'localhost.example.com', '128.0.0.1'])(
    'treats %s as another machine',
    host => {
      expect(isLoopback(host)).toBe(false)
    }
  )
})
