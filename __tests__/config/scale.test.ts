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
    expect(parse({ endpoints: '- /a' }).request.maxRps).toBeUndefined()
    expect(parse({ endpoints: '- /a', 'max-rps': '50' }).request.maxRps).toBe(50)
    expect(parse({ endpoints: '- /a', 'max-rps': '0.5' }).request.maxRps).toBe(0.5)
    expect(parse({ endpoints: '- /a', 'max-rps': '20/s' }).request.maxRps).toBe(20)
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
    expect(parse({ endpoints: '- /a', shard: '2/4' }).warm.shard).toEqual({ index: 2, count: 4 })
    expect(parse({ endpoints: '- /a', shard: ' 1 / 1 ' }).warm.shard).toEqual({
      index: 1,
      count: 1
    })
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
      /^sitemap: is on another origin than the deployment \(https:\/\/api.example.com\)/
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
  it('refuses user:password@ in a sitemap URL, without the password', () => {
    const message = failure({
      sitemap: 'https://deploy:hunter2@api.example.com/sitemap.xml'
    }).message
    expect(message).toBe(
      'sitemap: carries user:password@; give a path such as /api/v1/reports (the key goes in api-key)'
    )
  })
  it('is enough on its own: no endpoints needed', () => {
    const s = parse({ sitemap: '/sitemap.xml' })
    expect(s.warm.endpoints).toEqual([])
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
    expect(globToRegExp('/blog/*').testExact('/blog/a')).toBe(true)
    expect(globToRegExp('/blog/*').testExact('/blog/a/b')).toBe(false)
    expect(globToRegExp('/tag/**').testExact('/tag/a/b')).toBe(true)
    expect(globToRegExp('/a.b').testExact('/axb')).toBe(false)
    expect(globToRegExp('**/print').testExact('/x/y/print')).toBe(true)
    expect(globToRegExp('/*/print').testExact('/x/y/print')).toBe(false)
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

describe('sitemap-exclude: a linear-time matcher', () => {
  const long = `/${'a'.repeat(50_000)}`

  it('runs re:^(a+)+$ against a 50,000-character path in well under a second', () => {
    const patterns = parseExclude('re:^(a+)+$\nre:^(a|aa)+$\nre:(x+x+)+y')
    const t0 = performance.now()
    expect(isExcluded(patterns, `${long}!`)).toBe(false)
    expect(isExcluded(patterns, `${'x'.repeat(50_000)}`)).toBe(false)
    expect(isExcluded(parseExclude('re:^/(a+)+$'), long)).toBe(true)
    expect(performance.now() - t0).toBeLessThan(1000)
  })

  it('runs a glob with many ** against a long path just as fast', () => {
    const patterns = parseExclude(`/${'**a'.repeat(12)}**b`)
    const t0 = performance.now()
    expect(isExcluded(patterns, long)).toBe(false)
    expect(isExcluded(patterns, `${long}b`)).toBe(true)
    expect(performance.now() - t0).toBeLessThan(1000)
  })

  it.each([
    ['re:(a)\\1', 'backreference'],
    ['re:(?<n>a)\\k<n>', 'named backreference'],
    ['re:^/p/(?=\\d)', 'lookahead'],
    ['re:^/p/(?!draft)', 'negative lookahead'],
    ['re:(?<=/p)/x', 'lookbehind'],
    ['re:(?<!/p)/x', 'negative lookbehind']
  ])('refuses %s (a %s) in one line, at parse time', (line, _what) => {
    expect(() => parseExclude(`/ok\n${line}`)).toThrow(
      `sitemap-exclude: line 2: "${line}" uses a feature a linear-time matcher cannot run (backreference or lookaround); write it without, e.g. list the alternatives, or use a glob such as /tag/**`
    )
  })

  it('says when RE2 refuses something else JavaScript accepts', () => {
    expect(() => parseExclude('re:a{1001}')).toThrow(
      /^sitemap-exclude: line 1: "re:a\{1001\}" uses syntax a linear-time matcher \(RE2\) does not accept \(invalid repeat count\)/
    )
  })

  it('matches as the JavaScript regex did for ordinary patterns', () => {
    const cases: [string, string, boolean][] = [
      ['[?&]page=\\d+', '/list?page=2', true],
      ['^/p/\\d+$', '/p/12', true],
      ['^/p/\\d+$', '/p/12/x', false],
      ['\\/amp$', '/post/amp', true],
      ['(?<year>\\d{4})/', '/2024/x', true],
      ['^/(?:tag|category)/', '/category/a', true],
      ['^/[A-Z]', '/abc', false]
    ]
    for (const [re, path, hit] of cases) {
      expect(new RegExp(re).test(path)).toBe(hit)
      expect(isExcluded(parseExclude(`re:${re}`), path)).toBe(hit)
    }
  })

  it('keeps globs as they were: path only, * stops at /, the rest literal', () => {
    const p = parseExclude('/blog/*\n/a.b\n/x+y/(1)')
    expect(isExcluded(p, '/blog/a?x=1')).toBe(true)
    expect(isExcluded(p, '/blog/a/b')).toBe(false)
    expect(isExcluded(p, '/axb')).toBe(false)
    expect(isExcluded(p, '/a.b')).toBe(true)
    expect(isExcluded(p, '/x+y/(1)')).toBe(true)
  })
})

describe('no endpoints', () => {
  it('is accepted for a metrics-gate job or a wait-only job', () => {
    expect(parse({ 'metrics-path': '/metrics', thresholds: 'a >= 1' }).warm.endpoints).toEqual([])
    expect(parse({ 'wait-for': '/health' }).warm.endpoints).toEqual([])
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
    expect(parse({ endpoints: text }).warm.endpoints).toHaveLength(20_000)
    const json = JSON.stringify(Array.from({ length: 20_000 }, (_, i) => `/p/${i}`))
    expect(parse({ endpoints: json }).warm.endpoints).toHaveLength(20_000)
    expect(performance.now() - t0).toBeLessThan(3000)
  })
})
