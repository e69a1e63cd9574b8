import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { globToRegExp, isExcluded, parseExclude } from '../../src/config/scale.js'
import { endpointsDoc, parseSettings, type RawInputs } from '../../src/config/settings.js'
import { parse as parseYaml } from 'yaml'
import { InputError } from '../../src/errors.js'

const workspace = mkdtempSync(path.join(tmpdir(), 'cache-warm-scale-'))
writeFileSync(path.join(workspace, 'sitemap.xml'), '<urlset/>')
mkdirSync(path.join(workspace, 'public'))

const parse = (raw: RawInputs) =>
  parseSettings({ url: 'https://api.example.com/app', ...raw }, { workspace })
const failure = (raw: RawInputs): InputError => {
  try {
    parse(raw)
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected an InputError')
}

describe('max-rps', () => {
  it('is unlimited by default and takes whole or decimal numbers', () => {
    expect(parse({ endpoints: '- /a' }).maxRps).toBeUndefined()
    expect(parse({ endpoints: '- /a', 'max-rps': '50' }).maxRps).toBe(50)
    expect(parse({ endpoints: '- /a', 'max-rps': '0.5' }).maxRps).toBe(0.5)
    expect(parse({ endpoints: '- /a', 'max-rps': '20/s' }).maxRps).toBe(20)
  })
  it.each([
    ['fast', /"fast" is not a number of requests per second/],
    ['0', /out of range/],
    ['-3', /is not a number/],
    ['1000000', /out of range/]
  ])('rejects %s naming max-rps', (text, why) => {
    const e = failure({ endpoints: '- /a', 'max-rps': text })
    expect(e.input).toBe('max-rps')
    expect(e.message).toMatch(why)
  })
})

describe('shard', () => {
  it('takes i/n, 1-based', () => {
    expect(parse({ endpoints: '- /a', shard: '2/4' }).shard).toEqual({ index: 2, count: 4 })
    expect(parse({ endpoints: '- /a', shard: ' 1 / 1 ' }).shard).toEqual({ index: 1, count: 1 })
  })
  it.each([
    ['2', /is not i\/n/],
    ['0/4', /counts from 1/],
    ['5/4', /must be 1 to 4/],
    ['1/0', /number of shards/]
  ])('rejects %s naming shard', (text, why) => {
    const e = failure({ endpoints: '- /a', shard: text })
    expect(e.input).toBe('shard')
    expect(e.message).toMatch(why)
  })
})

describe('sitemap', () => {
  it('takes a path on the deployment, under the base path, and only its origin', () => {
    expect(parse({ sitemap: '/sitemap.xml' }).sitemap?.source).toEqual({
      kind: 'url',
      url: 'https://api.example.com/app/sitemap.xml',
      shown: '/sitemap.xml'
    })
    expect(failure({ sitemap: 'https://other.example.com/sitemap.xml' }).message).toMatch(
      /^sitemap: https:\/\/other.example.com is not the deployment's origin/
    )
  })
  it('takes a file in the workspace, and says where it looked when there is none', () => {
    expect(parse({ sitemap: 'sitemap.xml' }).sitemap?.source).toEqual({
      kind: 'file',
      file: path.join(workspace, 'sitemap.xml'),
      shown: 'sitemap.xml'
    })
    expect(
      parse({ sitemap: `file:${path.join(workspace, 'sitemap.xml')}` }).sitemap?.source.kind
    ).toBe('file')
    expect(failure({ sitemap: 'missing.xml' }).message).toContain(`looked in ${workspace}`)
    expect(failure({ sitemap: 'public' }).message).toMatch(/is a directory/)
  })
  it('is enough on its own: no endpoints needed', () => {
    const s = parse({ sitemap: '/sitemap.xml' })
    expect(s.endpoints).toEqual([])
    expect(s.sitemap?.limit).toBe(50000)
  })
  it('limits, and rejects a bad limit or an exclude without a sitemap', () => {
    expect(parse({ sitemap: '/s.xml', 'sitemap-limit': '10' }).sitemap?.limit).toBe(10)
    expect(failure({ sitemap: '/s.xml', 'sitemap-limit': '0' }).input).toBe('sitemap-limit')
    expect(failure({ sitemap: '/s.xml', 'sitemap-limit': 'all' }).input).toBe('sitemap-limit')
    expect(failure({ endpoints: '- /a', 'sitemap-exclude': '/tag/**' }).message).toMatch(
      /^sitemap-exclude: needs sitemap/
    )
  })
  it('keeps the settings frozen, patterns included', () => {
    const s = parse({ sitemap: '/s.xml', 'sitemap-exclude': '/tag/**' })
    expect(Object.isFrozen(s.sitemap?.exclude[0])).toBe(true)
    expect(isExcluded(s.sitemap!.exclude, '/tag/a/b')).toBe(true)
  })
})

describe('sitemap-exclude', () => {
  it('reads globs on the path: * stops at /, ** does not, the rest is literal', () => {
    expect(globToRegExp('/blog/*').test('/blog/a')).toBe(true)
    expect(globToRegExp('/blog/*').test('/blog/a/b')).toBe(false)
    expect(globToRegExp('/tag/**').test('/tag/a/b')).toBe(true)
    expect(globToRegExp('/a.b').test('/axb')).toBe(false)
    expect(globToRegExp('**/print').test('/x/y/print')).toBe(true)
    expect(globToRegExp('/*/print').test('/x/y/print')).toBe(false)
  })
  it('matches globs against the path only and re: patterns against path and query', () => {
    const p = parseExclude('# comment\n/search\nre:[?&]page=\\d+')
    expect(isExcluded(p, '/search?q=x')).toBe(true)
    expect(isExcluded(p, '/list?page=2')).toBe(true)
    expect(isExcluded(p, '/list')).toBe(false)
  })
  it('names the line of a bad pattern', () => {
    expect(() => parseExclude('/ok\nre:(')).toThrow(
      /^sitemap-exclude: line 2: "re:\(" is not a valid regex/
    )
    expect(() => parseExclude('blog/*')).toThrow(/line 1: "blog\/\*" is neither a path glob/)
  })
})

describe('no endpoints', () => {
  it('is accepted for a metrics-gate job or a wait-only job', () => {
    expect(parse({ 'metrics-path': '/metrics', thresholds: 'a >= 1' }).endpoints).toEqual([])
    expect(parse({ 'wait-for': '/health' }).endpoints).toEqual([])
  })
  it('is still a mistake when nothing else is asked for', () => {
    expect(failure({}).input).toBe('endpoints')
  })
})

describe('long endpoint lists', () => {
  it('read plain "- /path" lines and JSON lists exactly as the YAML library would', () => {
    const docs = [
      '- /a\n- GET /b?x=1&y=2\n\n# comment\n- post   /c#frag\n- /d/e.json  ',
      '- /a\n- /b:',
      '- /a # trailing comment',
      '- /a\n  - /nested',
      '["/a", {"path": "/b", "priority": "high"}]',
      '[/a, /b]',
      '- path: /a\n  priority: critical'
    ]
    for (const doc of docs) expect(endpointsDoc('endpoints', doc)).toEqual(parseYaml(doc))
  })

  it('parse 20,000 endpoints quickly', () => {
    const t0 = performance.now()
    const text = Array.from({ length: 20_000 }, (_, i) => `- /p/${i}`).join('\n')
    expect(parse({ endpoints: text }).endpoints).toHaveLength(20_000)
    const json = JSON.stringify(Array.from({ length: 20_000 }, (_, i) => `/p/${i}`))
    expect(parse({ endpoints: json }).endpoints).toHaveLength(20_000)
    expect(performance.now() - t0).toBeLessThan(3000)
  })
})
