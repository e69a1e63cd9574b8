import { describe, expect, it } from '@jest/globals'
import { InputError } from '../../src/errors.js'
import {
  expectVersionHint,
  parsePhaseSettings,
  parseVersionCheck,
  PHASE_DEFAULTS,
  PHASE_INPUTS,
  versionNeedsBody
} from '../../src/config/phases.js'
import { INPUT_NAMES } from '../../src/config/settings.js'
import { settingsFrom } from '../support/settings.js'

const BASE = new URL('https://api.example.com/')
const parse = (raw: Record<string, string>, base = BASE) => parsePhaseSettings(raw, base)

/** The InputError a bad input raises: its input and its one-line message. */
function failure(raw: Record<string, string>): { input: string; message: string } {
  try {
    parse(raw)
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    return { input: error.input, message: error.message }
  }
  throw new Error('expected an InputError')
}

describe('parsePhaseSettings defaults', () => {
  it('runs only the verify pass when nothing else is set', () => {
    expect(parse({})).toEqual({
      verify: {
        enabled: true,
        cacheMarkers: [
          { path: 'cached', value: 'true' },
          { path: 'metadata.cacheStatus', value: 'hit' }
        ]
      }
    })
  })

  it('gives each configured phase its defaults', () => {
    const s = parse({
      'wait-for': '/health',
      'warmup-trigger': '/warm',
      'metrics-path': '/metrics'
    })
    expect(s.wait).toMatchObject({ timeoutMs: 120_000, pollIntervalMs: 5_000 })
    expect(s.trigger).toMatchObject({ required: false })
    expect(s.metrics).toMatchObject({
      thresholds: [],
      hitRateField: 'cacheStats.overallHitRate',
      cacheSizeField: 'cacheStats.l2Size',
      timeoutMs: 120_000,
      pollIntervalMs: 5_000
    })
  })

  it('says a bad timing input at once, even for a phase not configured', () => {
    expect(failure({ 'wait-timeout': 'soon' }).input).toBe('wait-timeout')
    expect(failure({ 'poll-timeout': 'soon' }).input).toBe('poll-timeout')
    expect(failure({ 'warmup-trigger-required': 'maybe' }).input).toBe('warmup-trigger-required')
  })

  it('every phase input is an action input', () => {
    for (const name of PHASE_INPUTS) expect(INPUT_NAMES).toContain(name)
    for (const name of Object.keys(PHASE_DEFAULTS)) expect(PHASE_INPUTS).toContain(name)
  })

  it('treats blank inputs (as the runner passes unset ones) as defaults', () => {
    expect(
      parse({ 'wait-for': '/health', 'wait-timeout': '  ', verify: '', 'poll-interval': '' })
    ).toMatchObject({
      wait: { timeoutMs: 120_000, pollIntervalMs: 5_000 },
      verify: { enabled: true }
    })
  })
})

describe('targets: wait-for, metrics-path, warmup-trigger', () => {
  it('resolves paths against the url, GET for wait-for and metrics', () => {
    const s = parse({ 'wait-for': '/health', 'metrics-path': '/api/v1/cache/metrics?x=1' })
    expect(s.wait?.target).toEqual({
      method: 'GET',
      path: '/health',
      url: 'https://api.example.com/health'
    })
    expect(s.metrics?.target).toEqual({
      method: 'GET',
      path: '/api/v1/cache/metrics?x=1',
      url: 'https://api.example.com/api/v1/cache/metrics?x=1'
    })
  })

  it('warmup-trigger is POST unless a method is given', () => {
    expect(parse({ 'warmup-trigger': '/api/v1/cache/warmup' }).trigger?.target).toMatchObject({
      method: 'POST',
      path: '/api/v1/cache/warmup'
    })
    expect(parse({ 'warmup-trigger': 'put /warm' }).trigger?.target).toMatchObject({
      method: 'PUT',
      path: '/warm'
    })
  })

  it('shows paths relative to a base url with a path prefix', () => {
    const s = parse({ 'wait-for': '/health' }, new URL('https://api.example.com/v2/'))
    expect(s.wait?.target).toEqual({
      method: 'GET',
      path: '/health',
      url: 'https://api.example.com/v2/health'
    })
  })

  it('accepts a full URL on the deployment origin', () => {
    expect(parse({ 'wait-for': 'https://api.example.com/ready' }).wait?.target.path).toBe('/ready')
  })

  it.each([
    [
      { 'wait-for': 'GET /health' },
      'wait-for',
      'wait-for: "GET /health": give only a path; it is requested with GET'
    ],
    [{ 'wait-for': '/a /b' }, 'wait-for', 'wait-for: "/a /b" is not a path such as /health'],
    [
      { 'wait-for': 'https://evil.example.net/health' },
      'wait-for',
      /is on another origin than the deployment \(https:\/\/api\.example\.com\)/
    ],
    [{ 'metrics-path': '//other.host/metrics' }, 'metrics-path', /names another host/],
    [
      { 'warmup-trigger': 'FETCH /warm' },
      'warmup-trigger',
      /"FETCH": expected one of GET, HEAD, POST/
    ],
    [{ 'warmup-trigger': 'POST /a b' }, 'warmup-trigger', /is not "METHOD \/path" or "\/path"/]
  ])('rejects %j naming %s', (raw, input, message) => {
    const f = failure(raw)
    expect(f.input).toBe(input)
    expect(f.message).toMatch(message)
  })
})

describe('wait-for-version', () => {
  it.each([
    ['version=2025.1.3', { kind: 'json', path: 'version', value: '2025.1.3' }],
    ['json:build.id = abc123', { kind: 'json', path: 'build.id', value: 'abc123' }],
    ['json.version=2025.1.3', { kind: 'json', path: 'version', value: '2025.1.3' }],
    ['json.build.id=abc123', { kind: 'json', path: 'build.id', value: 'abc123' }],
    ['header:X-Worker-Version=v42', { kind: 'header', name: 'X-Worker-Version', value: 'v42' }],
    ['HEADER: cf-version = v42 ', { kind: 'header', name: 'cf-version', value: 'v42' }],
    ['text:build 42', { kind: 'text', value: 'build 42' }],
    ['deploy-7f3a9c', { kind: 'text', value: 'deploy-7f3a9c' }]
  ])('%j is read as %j', (text, check) => {
    expect(parseVersionCheck(text)).toMatchObject({ ...check, text: text.trim() })
  })

  it('needs wait-for, the answer that shows the version', () => {
    expect(failure({ 'wait-for-version': 'version=2' })).toEqual({
      input: 'wait-for-version',
      message:
        'wait-for-version: needs wait-for, the path whose answer shows the version (e.g. /health)'
    })
  })

  it.each(['header:X-Version', 'header:=v1', 'json:version'])(
    'rejects %j with what is accepted',
    text => {
      const f = failure({ 'wait-for': '/health', 'wait-for-version': text })
      expect(f.input).toBe('wait-for-version')
      expect(f.message).toMatch(
        /accepted: path=value or json\.path=value \(a JSON field\), header:Name=value, or plain text$/
      )
    }
  )

  it('is kept with its wait-for', () => {
    expect(parse({ 'wait-for': '/health', 'wait-for-version': 'version=2' }).wait?.version).toEqual(
      {
        kind: 'json',
        path: 'version',
        value: '2',
        text: 'version=2'
      }
    )
  })
})

describe('version-override', () => {
  it('is kept as given', () => {
    expect(parse({ 'version-override': 'my-worker="0193-abcd"' }).versionOverride).toBe(
      'my-worker="0193-abcd"'
    )
  })

  it('refuses a line break, which would split the header', () => {
    const f = failure({ 'version-override': 'a="1"\nb="2"' })
    expect(f.input).toBe('version-override')
    expect(f.message).not.toContain('\n')
  })
})

describe('durations', () => {
  it('reads wait-timeout, poll-interval, poll-timeout and max-warm-latency', () => {
    expect(
      parse({
        'wait-for': '/health',
        'metrics-path': '/metrics',
        'wait-timeout': '90s',
        'poll-interval': '500ms',
        'poll-timeout': '3m',
        'max-warm-latency': '250ms'
      })
    ).toMatchObject({
      wait: { timeoutMs: 90_000, pollIntervalMs: 500 },
      metrics: { timeoutMs: 180_000, pollIntervalMs: 500 },
      verify: { maxWarmLatencyMs: 250 }
    })
  })

  it.each([
    [
      { 'wait-timeout': 'soon' },
      'wait-timeout: "soon" is not a duration such as 500ms, 10s, 2m, 1h, 1m30s or a bare number of seconds'
    ],
    [{ 'poll-interval': '0' }, 'poll-interval: "0" is too short; it must be more than 0'],
    [{ 'poll-interval': '11m' }, 'poll-interval: "11m" is too long; the most accepted is 10m'],
    [{ 'poll-timeout': '7h' }, 'poll-timeout: "7h" is too long; the most accepted is 6h'],
    [{ 'max-warm-latency': '-1s' }, /^max-warm-latency: "-1s" is not a duration/]
  ])('%j → %s', (raw, message) => {
    const f = failure(raw)
    expect(f.input).toBe(Object.keys(raw)[0])
    expect(f.message).toMatch(message)
  })
})

describe('booleans', () => {
  it('reads warmup-trigger-required and verify', () => {
    expect(
      parse({ 'warmup-trigger': '/warm', 'warmup-trigger-required': 'TRUE', verify: 'false' })
    ).toMatchObject({
      trigger: { required: true },
      verify: { enabled: false }
    })
  })

  it('rejects anything but true or false, naming the input', () => {
    expect(failure({ verify: 'yes' })).toEqual({
      input: 'verify',
      message: 'verify: "yes" is not a boolean; accepted: true or false'
    })
    expect(failure({ 'warmup-trigger-required': '1' }).input).toBe('warmup-trigger-required')
  })
})

describe('verify gates: cache-markers, min-cached, max-warm-latency', () => {
  it('reads cache markers, one dot.path=value a line', () => {
    expect(
      parse({ 'cache-markers': 'fromCache = yes\n\n meta.source=edge ' }).verify.cacheMarkers
    ).toEqual([
      { path: 'fromCache', value: 'yes' },
      { path: 'meta.source', value: 'edge' }
    ])
  })

  it('names the line of a bad marker', () => {
    expect(failure({ 'cache-markers': 'cached=true\nHIT' })).toEqual({
      input: 'cache-markers',
      message: 'cache-markers: line 2: "HIT" is not dot.path=value, e.g. metadata.cacheStatus=hit'
    })
  })

  it.each([
    ['80%', 0.8],
    ['80', 0.8],
    ['0.8', 0.8],
    ['100%', 1],
    ['0', 0]
  ])('min-cached %s is a share of %d', (text, share) => {
    expect(parse({ 'min-cached': text }).verify.minCached).toBeCloseTo(share, 10)
  })

  it.each([
    ['most', 'min-cached: "most" is not a share; accepted: 80%, 80 or 0.8'],
    ['150%', 'min-cached: "150%" is more than 100 %'],
    ['101', 'min-cached: "101" is more than 100 %']
  ])('rejects min-cached %j', (text, message) => {
    expect(failure({ 'min-cached': text })).toEqual({ input: 'min-cached', message })
  })

  it('refuses a verify gate when verify is off', () => {
    expect(failure({ verify: 'false', 'min-cached': '50%' })).toEqual({
      input: 'min-cached',
      message: 'min-cached: needs verify: true (the verify pass measures it)'
    })
    expect(failure({ verify: 'false', 'max-warm-latency': '100ms' }).input).toBe('max-warm-latency')
  })
})

describe('metrics thresholds', () => {
  const metrics = { 'metrics-path': '/api/v1/cache/metrics' }

  it('reads one threshold a line, skipping blanks and comments', () => {
    const s = parse({
      ...metrics,
      thresholds: 'cacheStats.l1Size >= 100\n# the main gate\n\nl1Stats.hitRate >= 70%'
    })
    expect(s.metrics?.thresholds).toEqual([
      {
        text: 'cacheStats.l1Size >= 100',
        path: 'cacheStats.l1Size',
        op: '>=',
        target: 100,
        rate: false
      },
      { text: 'l1Stats.hitRate >= 70%', path: 'l1Stats.hitRate', op: '>=', target: 0.7, rate: true }
    ])
  })

  it.each(['0.7', '70%', '70'])('min-hit-rate %s gates hit-rate-field at 70 %', rate => {
    const s = parse({ ...metrics, 'min-hit-rate': rate })
    expect(s.metrics?.thresholds).toEqual([
      {
        text: `cacheStats.overallHitRate >= ${rate}`,
        path: 'cacheStats.overallHitRate',
        op: '>=',
        target: 0.7,
        rate: true
      }
    ])
  })

  it('min-hit-rate follows hit-rate-field, even one not named like a rate', () => {
    const s = parse({ ...metrics, 'min-hit-rate': '0.5', 'hit-rate-field': 'stats.hits' })
    expect(s.metrics?.thresholds[0]).toMatchObject({ path: 'stats.hits', target: 0.5, rate: true })
    expect(s.metrics?.hitRateField).toBe('stats.hits')
  })

  it('min-cache-size gates cache-size-field', () => {
    const s = parse({ ...metrics, 'min-cache-size': '6', 'cache-size-field': 'cache.entries' })
    expect(s.metrics?.thresholds).toEqual([
      { text: 'cache.entries >= 6', path: 'cache.entries', op: '>=', target: 6, rate: false }
    ])
  })

  it.each([
    [
      { thresholds: 'a >= 1\nhitRate >= 200' },
      'thresholds',
      /^thresholds: line 2: "hitRate >= 200": a rate must be between 0 and 1/
    ],
    [
      { thresholds: 'size is big' },
      'thresholds',
      /^thresholds: line 1: "size is big" is not "dot.path OP number"/
    ],
    [
      { 'min-hit-rate': 'high' },
      'min-hit-rate',
      'min-hit-rate: "high" is not a rate; accepted: 0.7, 70% or 70'
    ],
    [
      { 'min-hit-rate': '170' },
      'min-hit-rate',
      'min-hit-rate: "170" is not a rate; accepted: 0.7, 70% or 70'
    ],
    [
      { 'min-cache-size': '1.5' },
      'min-cache-size',
      'min-cache-size: "1.5" is not a whole number of entries'
    ],
    [
      { 'hit-rate-field': 'cache stats' },
      'hit-rate-field',
      'hit-rate-field: "cache stats" is not a dot path such as cacheStats.l2Size'
    ],
    [
      { 'cache-size-field': '$.size[0]' },
      'cache-size-field',
      /^cache-size-field: "\$\.size\[0\]" is not a dot path/
    ]
  ])('rejects %j naming %s', (raw, input, message) => {
    const f = failure({ ...metrics, ...raw })
    expect(f.input).toBe(input)
    expect(f.message).toMatch(message)
  })

  it.each([
    [{ thresholds: 'a >= 1' }, 'thresholds'],
    [{ 'min-hit-rate': '70%' }, 'min-hit-rate'],
    [{ 'min-cache-size': '10' }, 'min-cache-size']
  ])('%j without metrics-path names the input that needs it', (raw, input) => {
    const f = failure(raw)
    expect(f.input).toBe(input)
    expect(f.message).toMatch(/needs metrics-path/)
  })
})

describe('through parseSettings, as the action reads them', () => {
  it('merges the phase settings into Settings', () => {
    const s = settingsFrom({
      url: 'https://api.example.com',
      endpoints: '- /a',
      'wait-for': '/health',
      'metrics-path': '/metrics',
      'min-hit-rate': '70%'
    })
    expect(s.wait?.target.url).toBe('https://api.example.com/health')
    expect(s.metrics?.thresholds).toHaveLength(1)
    expect(Object.isFrozen(s)).toBe(true)
  })

  it('a bad phase input is one line naming it', () => {
    expect(() =>
      settingsFrom({ url: 'https://api.example.com', endpoints: '- /a', 'poll-interval': 'often' })
    ).toThrow(/^poll-interval: "often" is not a duration/)
  })
})

describe('expect-version', () => {
  it('takes the forms of wait-for-version, and needs no wait-for', () => {
    expect(parse({ 'expect-version': 'header:X-Worker-Version=v42' }).expectVersion).toEqual({
      kind: 'header',
      name: 'X-Worker-Version',
      value: 'v42',
      text: 'header:X-Worker-Version=v42'
    })
    expect(parse({ 'expect-version': 'version=1.4.2' }).expectVersion).toMatchObject({
      kind: 'json',
      path: 'version',
      value: '1.4.2'
    })
    expect(parse({ 'expect-version': 'build-7f3a' }).expectVersion).toMatchObject({
      kind: 'text',
      value: 'build-7f3a'
    })
    expect(parse({}).expectVersion).toBeUndefined()
  })

  it.each(['header:X-Version', 'header:=v1', 'json:version', 'text:'])(
    'rejects %j in one line naming expect-version and what is accepted',
    text => {
      const f = failure({ 'expect-version': text })
      expect(f.input).toBe('expect-version')
      expect(f.message).toMatch(/^expect-version: /)
      expect(f.message).toMatch(
        /accepted: path=value or json\.path=value \(a JSON field\), header:Name=value, or plain text$/
      )
    }
  )

  it('says which forms need the body: only the header form does not', () => {
    const read = (text: string) => parse({ 'expect-version': text }).expectVersion
    expect(versionNeedsBody(read('header:X-Worker-Version=v1'))).toBe(false)
    expect(versionNeedsBody(read('version=1'))).toBe(true)
    expect(versionNeedsBody(read('text:v1'))).toBe(true)
    expect(versionNeedsBody(undefined)).toBe(false)
  })

  it('is suggested when version-override is set without it, with the override id', () => {
    const hint = expectVersionHint({ versionOverride: 'my-worker="0193-abcd"' })
    expect(hint).toContain('expect-version: header:X-Worker-Version=0193-abcd')
    expect(expectVersionHint({ versionOverride: 'odd' })).toContain(
      'header:X-Worker-Version=<version-id>'
    )
    const check = parse({ 'expect-version': 'header:X-Worker-Version=0193-abcd' }).expectVersion
    expect(
      expectVersionHint({ versionOverride: 'my-worker="0193-abcd"', expectVersion: check! })
    ).toBeUndefined()
    expect(expectVersionHint({})).toBeUndefined()
  })
})

describe('stable-polls', () => {
  it('defaults to 2 and takes a whole number from 1 to 100', () => {
    expect(parse({ 'metrics-path': '/m' }).metrics?.stablePolls).toBe(2)
    expect(parse({ 'metrics-path': '/m', 'stable-polls': '1' }).metrics?.stablePolls).toBe(1)
    expect(parse({ 'metrics-path': '/m', 'stable-polls': ' 100 ' }).metrics?.stablePolls).toBe(100)
  })

  it.each([
    ['0', 'stable-polls: 0 is out of range; accepted: 1 to 100'],
    ['101', 'stable-polls: 101 is out of range; accepted: 1 to 100'],
    ['two', 'stable-polls: "two" is not a whole number; accepted: 1 to 100'],
    ['1.5', 'stable-polls: "1.5" is not a whole number; accepted: 1 to 100'],
    ['-2', 'stable-polls: "-2" is not a whole number; accepted: 1 to 100']
  ])('rejects %j in one line naming the input and what it accepts', (value, message) => {
    // Said even without metrics-path, so a bad value is not found only when it is added.
    const inputs: Record<string, string>[] = [
      { 'stable-polls': value },
      { 'metrics-path': '/m', 'stable-polls': value }
    ]
    for (const raw of inputs) expect(failure(raw)).toEqual({ input: 'stable-polls', message })
  })
})
