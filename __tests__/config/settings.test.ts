import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { settingsSecrets } from '../../src/secrets.js'
import {
  parseSettings,
  yamlLineShape,
  type RawInputs,
  type Settings
} from '../../src/config/settings.js'
import { InputError } from '../../src/errors.js'

/** Distinctive, so a test can prove no message ever shows it. */
const KEY = 'ck_live_9fQz7TOPSECRETkey42'
const HEADER_SECRET = 'Bearer hdr_S3CRETvalue77'
const RUNNER_TEMP = path.join(path.sep, 'runner', 'temp')

let workspace = ''

beforeAll(() => {
  workspace = mkdtempSync(path.join(tmpdir(), 'cache-warm-settings-'))
  writeFileSync(path.join(workspace, 'endpoints.yml'), 'critical:\n  - /\nlow:\n  - /archive\n')
  mkdirSync(path.join(workspace, 'config'))
  writeFileSync(
    path.join(workspace, 'config', 'endpoints.json'),
    JSON.stringify([{ path: '/api/search', method: 'POST', body: { q: 'x' } }])
  )
  writeFileSync(path.join(workspace, 'dupe.yml'), '- /x\n')
  writeFileSync(path.join(workspace, 'broken.yml'), 'critical: [/a\n')
  writeFileSync(path.join(workspace, 'empty.yml'), '')
  writeFileSync(path.join(workspace, 'bad-priority.yml'), '- {path: /y, priority: soon}\n')
})

afterAll(() => {
  rmSync(workspace, { recursive: true, force: true })
})

/** `runnerTemp: null` is a runner without RUNNER_TEMP. */
function settings(inputs: RawInputs, runnerTemp: string | null = RUNNER_TEMP): Settings {
  return parseSettings(
    { url: 'https://shop.example.com', endpoints: '- /x', ...inputs },
    { workspace, ...(runnerTemp ? { runnerTemp } : {}) }
  )
}

/** The InputError `inputs` cause; fails the test when they are accepted. */
function failure(inputs: RawInputs): InputError {
  try {
    settings(inputs)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return error as InputError
  }
  throw new Error(`expected ${JSON.stringify(inputs)} to be rejected`)
}

describe('parseSettings: defaults', () => {
  it('needs only url and endpoints, and fills in the documented defaults', () => {
    const s = settings({})
    expect(s).toMatchObject({
      deployment: {
        baseUrl: 'https://shop.example.com/',
        origin: 'https://shop.example.com',
        apiKeyHeader: 'X-API-Key',
        headers: {}
      },
      request: { timeoutMs: 10_000, retries: 2 },
      warm: { concurrency: 8 },
      run: {
        deadlineMs: 600_000,
        failOn: 'critical',
        dryRun: false,
        reportFile: path.join(RUNNER_TEMP, 'cache-warm-report.json')
      },
      github: { checkName: 'Cache warm', prComment: false }
    })
    expect(settingsSecrets(s)).toEqual([])
    expect(s.deployment.apiKey).toBeUndefined()
    expect(s.warm.defaultExpect).toBeUndefined()
  })

  it('treats blank inputs (as the runner passes them) like missing ones', () => {
    const s = settings({ concurrency: '', timeout: '  ', 'fail-on': '', 'dry-run': '' })
    expect([s.warm.concurrency, s.request.timeoutMs, s.run.failOn, s.run.dryRun]).toEqual([
      8,
      10_000,
      'critical',
      false
    ])
  })

  it('writes the report to $RUNNER_TEMP/cache-warm-report.json by default', () => {
    expect(settings({}, '/tmp/runner-7').run.reportFile).toBe(
      path.join('/tmp/runner-7', 'cache-warm-report.json')
    )
  })

  it('falls back to the system temp folder when RUNNER_TEMP is not set', () => {
    expect(settings({}, null).run.reportFile).toBe(path.join(tmpdir(), 'cache-warm-report.json'))
  })

  it('resolves a relative report-file in the workspace and keeps an absolute one', () => {
    expect(settings({ 'report-file': 'out/warm.json' }).run.reportFile).toBe(
      path.join(workspace, 'out', 'warm.json')
    )
    expect(settings({ 'report-file': path.join(workspace, 'warm.json') }).run.reportFile).toBe(
      path.join(workspace, 'warm.json')
    )
  })
})

describe('parseSettings: url', () => {
  it.each([
    ['my-worker.acme.workers.dev', 'https://my-worker.acme.workers.dev/'],
    ['  shop.example.com (custom domain)\n', 'https://shop.example.com/'],
    ['https://shop.example.com/staging', 'https://shop.example.com/staging']
  ])('accepts wrangler-action deployment-url output %p', (url, baseUrl) => {
    expect(settings({ url }).deployment.baseUrl).toBe(baseUrl)
  })

  it('warms endpoints under the URL path prefix', () => {
    const s = settings({ url: 'shop.example.com/staging/', endpoints: '- /api\n- health' })
    expect(s.warm.endpoints.map(e => e.url)).toEqual([
      'https://shop.example.com/staging/api',
      'https://shop.example.com/staging/health'
    ])
  })

  it('requires a url', () => {
    expect(failure({ url: '' }).message).toBe(
      'url: is required; give the deployment URL, e.g. https://my-worker.example.workers.dev'
    )
  })

  it.each([
    ['ftp://shop.example.com', 'url: "ftp://shop.example.com" uses ftp:; only https://'],
    ['https://me:pw@shop.example.com', 'url: must not contain a user name or password'],
    ['not a url', 'url: "not a url" contains white space'],
    ['https://[oops', 'url: "https://[oops" is not a URL']
  ])('rejects %p', (url, start) => {
    expect(failure({ url }).message.startsWith(start)).toBe(true)
  })

  it('rejects an api-key over http:// to another machine, naming url', () => {
    const error = failure({ url: 'http://shop.example.com', 'api-key': KEY })
    expect(error.input).toBe('url')
    expect(error.message).toBe(
      'url: http:// would send the api-key in clear text to shop.example.com; use https:// (http:// is accepted only for localhost)'
    )
  })

  it.each(['http://localhost:8787', 'http://127.0.0.1:3000', 'http://[::1]:8787'])(
    'accepts an api-key over http:// to this machine (%s)',
    url => {
      expect(settings({ url, 'api-key': KEY }).deployment.apiKey).toBe(KEY)
    }
  )

  it('accepts http:// to another machine when there is no key to leak', () => {
    expect(settings({ url: 'http://shop.example.com' }).deployment.origin).toBe(
      'http://shop.example.com'
    )
  })
})

describe('parseSettings: api-key and headers', () => {
  it('trims the key and keeps it, with the header it goes in', () => {
    const s = settings({ 'api-key': `  ${KEY} `, 'api-key-header': 'Authorization' })
    expect(s.deployment.apiKey).toBe(KEY)
    expect(s.deployment.apiKeyHeader).toBe('Authorization')
  })

  it('treats a blank key as no key', () => {
    expect(settings({ 'api-key': '   ' }).deployment.apiKey).toBeUndefined()
  })

  it('rejects a key with a line break in it', () => {
    expect(failure({ 'api-key': `${KEY}\nsecond-line` }).message).toBe(
      'api-key: contains a line break or NUL; paste the key as one line'
    )
  })

  it('rejects an api-key-header that is not a header name', () => {
    expect(failure({ 'api-key-header': 'X API Key' }).message).toBe(
      "api-key-header: is not a valid header name (position 2, U+0020); a header name is letters, digits and !#$%&'*+-.^_`|~"
    )
  })

  it('reads "Name: value" lines, skipping blank lines and # comments', () => {
    const s = settings({
      headers: '# for the preview\nX-Tenant:  acme \n\n  Authorization: Bearer a:b:c\nX-Empty:'
    })
    expect(s.deployment.headers).toEqual({
      'X-Tenant': 'acme',
      Authorization: 'Bearer a:b:c',
      'X-Empty': ''
    })
  })

  it('accepts Windows line endings', () => {
    expect(settings({ headers: 'X-A: 1\r\nX-B: 2\r\n' }).deployment.headers).toEqual({
      'X-A': '1',
      'X-B': '2'
    })
  })

  it.each([
    [
      'X-Ok: 1\nX Bad: 2',
      "headers: line 2: the name is not a valid header name (position 2, U+0020); a header name is letters, digits and !#$%&'*+-.^_`|~"
    ],
    ['X-Ok: 1\nno colon here', 'headers: line 2 is not "Name: value"'],
    [': value', 'headers: line 1 is not "Name: value"'],
    [
      'Host: other.example',
      'headers: line 1: the Host header is set by the action itself or the HTTP stack, or changes how the request is framed or routed; leave it out'
    ],
    [
      'content-length: 4',
      'headers: line 1: the content-length header is set by the action itself or the HTTP stack, or changes how the request is framed or routed; leave it out'
    ]
  ])('rejects headers %p', (headers, message) => {
    expect(failure({ headers }).message).toBe(message)
  })

  it('rejects a header that duplicates api-key-header while a key is set, in any case', () => {
    expect(failure({ 'api-key': KEY, headers: 'x-api-key: other' }).message).toBe(
      'headers: sets X-API-Key, which also carries api-key; set one of them'
    )
    expect(
      failure({ 'api-key': KEY, 'api-key-header': 'Authorization', headers: 'authorization: x' })
        .message
    ).toBe('headers: sets Authorization, which also carries api-key; set one of them')
  })

  it('lets headers carry the key header when api-key is not used', () => {
    expect(settings({ headers: 'X-API-Key: from-headers' }).deployment.headers).toEqual({
      'X-API-Key': 'from-headers'
    })
  })

  it('lists the key and every header value as secrets, and nothing empty', () => {
    const s = settings({ 'api-key': KEY, headers: `Authorization: ${HEADER_SECRET}\nX-Empty:` })
    expect(settingsSecrets(s)).toEqual([KEY, HEADER_SECRET])
  })
})

describe('parseSettings: endpoints and endpoints-file', () => {
  it('reads endpoints-file relative to the workspace', () => {
    const s = settings({ endpoints: '', 'endpoints-file': 'endpoints.yml' })
    expect(s.warm.endpoints.map(e => [e.source, e.priority, e.path])).toEqual([
      ['endpoints-file.critical[0]', 'critical', '/'],
      ['endpoints-file.low[0]', 'low', '/archive']
    ])
  })

  it('reads a JSON endpoints-file in a sub-folder', () => {
    const [e] = settings({ endpoints: '', 'endpoints-file': 'config/endpoints.json' }).warm
      .endpoints
    expect(e).toMatchObject({
      source: 'endpoints-file[0]',
      method: 'POST',
      body: '{"q":"x"}',
      headers: { 'Content-Type': 'application/json' }
    })
  })

  it('warms inline endpoints first, then those from the file', () => {
    const s = settings({ endpoints: '- /inline', 'endpoints-file': 'endpoints.yml' })
    expect(s.warm.endpoints.map(e => e.path)).toEqual(['/inline', '/', '/archive'])
  })

  it('accepts an empty file when endpoints lists something', () => {
    expect(settings({ 'endpoints-file': 'empty.yml' }).warm.endpoints).toHaveLength(1)
  })

  it('says in one line when endpoints-file is missing', () => {
    expect(failure({ 'endpoints-file': 'nope.yml' }).message).toBe(
      `endpoints-file: "nope.yml" cannot be read (no such file; looked in ${workspace})`
    )
  })

  it('says when endpoints-file is a folder', () => {
    expect(failure({ 'endpoints-file': 'config' }).message).toMatch(
      /^endpoints-file: "config" cannot be read \(is a directory; /
    )
  })

  it('names endpoints-file, not endpoints, for a mistake inside the file', () => {
    expect(failure({ 'endpoints-file': 'bad-priority.yml' }).message).toBe(
      'endpoints-file[0].priority: expected one of critical, high, normal, low'
    )
    expect(failure({ 'endpoints-file': 'broken.yml' }).message).toMatch(
      /^endpoints-file: is not valid YAML or JSON: /
    )
  })

  it('rejects an endpoint listed in both endpoints and endpoints-file, naming both places', () => {
    expect(failure({ endpoints: '- /x', 'endpoints-file': 'dupe.yml' }).message).toBe(
      'endpoints-file[0]: GET /x is listed twice (also at endpoints[0])'
    )
  })

  it('rejects a run with no endpoints at all', () => {
    expect(failure({ endpoints: '' }).message).toBe(
      'endpoints: lists no endpoint; give endpoints (YAML), endpoints-file or sitemap, e.g. "- /api/v1/reports" (or metrics-path alone for a metrics-gate job)'
    )
    expect(failure({ endpoints: 'critical:\nlow:' }).message).toMatch(
      /^endpoints: lists no endpoint/
    )
  })

  it.each([
    ['- /x\n  - : [', /^endpoints: is not valid YAML or JSON: \S/],
    [
      'high:\n  - /a\nhigh:\n  - /b',
      'endpoints: is not valid YAML or JSON: map keys must be unique at line 3, column 1'
    ]
  ])('rejects malformed YAML %p', (endpoints, message) => {
    expect(failure({ endpoints }).message).toMatch(message)
  })

  it('prefixes endpoint mistakes with endpoints', () => {
    expect(failure({ endpoints: '- /a\n- /b\n- /c\n- {path: /d, priority: urgent}' }).message).toBe(
      'endpoints[3].priority: expected one of critical, high, normal, low'
    )
    expect(failure({ endpoints: 'hello' }).message).toBe(
      'endpoints: expected a list of endpoints or a mapping of critical/high/normal/low to lists, got a string (5 characters)'
    )
  })
})

describe('parseSettings: expect', () => {
  it('reads a default expect for every endpoint', () => {
    expect(settings({ expect: 'status: [200, 304]\njson: {ok: true}' }).warm.defaultExpect).toEqual(
      {
        status: [200, 304],
        json: { ok: true }
      }
    )
  })

  it.each([
    ['status: nope', 'expect.status: expected a status code or a list of them'],
    ['200', 'expect: expected a mapping with status and/or json'],
    ['code: 200', 'expect: unknown key "code"; accepted: status, json'],
    ['status: [200', 'expect: is not valid YAML or JSON: ']
  ])('rejects expect %p', (text, start) => {
    expect(failure({ expect: text }).message.startsWith(start)).toBe(true)
  })
})

describe('parseSettings: numbers, durations and switches', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['5', 5_000],
    ['1.5s', 1_500],
    ['10m', 600_000]
  ])('reads timeout %s as %d ms', (timeout, ms) => {
    expect(settings({ timeout }).request.timeoutMs).toBe(ms)
  })

  it.each([
    ['90s', 90_000],
    ['1h', 3_600_000],
    ['6h', 21_600_000]
  ])('reads deadline %s as %d ms', (deadline, ms) => {
    expect(settings({ deadline }).run.deadlineMs).toBe(ms)
  })

  it.each([
    ['timeout', '-5s', 'timeout: "-5s" is not a duration such as 500ms, 10s, 2m, 1h'],
    ['timeout', 'ten seconds', 'timeout: "ten seconds" is not a duration such as'],
    ['timeout', '5d', 'timeout: "5d" is not a duration such as'],
    ['timeout', '0', 'timeout: "0" is too short; it must be more than 0'],
    ['timeout', '0ms', 'timeout: "0ms" is too short'],
    ['timeout', '11m', 'timeout: "11m" is too long; the most accepted is 10m'],
    ['deadline', '0s', 'deadline: "0s" is too short'],
    ['deadline', '7h', 'deadline: "7h" is too long; the most accepted is 6h'],
    ['deadline', 'never', 'deadline: "never" is not a duration such as']
  ] as const)('rejects %s %p', (name, text, start) => {
    expect(failure({ [name]: text }).message.startsWith(start)).toBe(true)
  })

  it.each([
    ['concurrency', '1', 1],
    ['concurrency', '256', 256],
    ['concurrency', ' 16 ', 16],
    ['retries', '0', 0],
    ['retries', '10', 10]
  ] as const)('accepts %s %p', (name, text, n) => {
    const s = settings({ [name]: text })
    expect(name === 'concurrency' ? s.warm.concurrency : s.request.retries).toBe(n)
  })

  it.each([
    ['concurrency', '0', 'concurrency: 0 is out of range; accepted: 1 to 256'],
    ['concurrency', '257', 'concurrency: 257 is out of range; accepted: 1 to 256'],
    ['concurrency', '1.5', 'concurrency: "1.5" is not a whole number; accepted: 1 to 256'],
    ['concurrency', 'eight', 'concurrency: "eight" is not a whole number; accepted: 1 to 256'],
    ['retries', '11', 'retries: 11 is out of range; accepted: 0 to 10'],
    ['retries', '-1', 'retries: "-1" is not a whole number; accepted: 0 to 10'],
    ['retries', '2.0', 'retries: "2.0" is not a whole number; accepted: 0 to 10']
  ] as const)('rejects %s %p', (name, text, message) => {
    expect(failure({ [name]: text }).message).toBe(message)
  })

  it.each([
    ['critical', 'critical'],
    ['any', 'any'],
    ['never', 'never'],
    ['ANY', 'any']
  ])('accepts fail-on %p', (text, failOn) => {
    expect(settings({ 'fail-on': text }).run.failOn).toBe(failOn)
  })

  it('rejects another fail-on, listing the accepted ones', () => {
    expect(failure({ 'fail-on': 'sometimes' }).message).toBe(
      'fail-on: "sometimes" is not accepted; accepted: critical, any, never'
    )
  })

  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['FALSE', false]
  ])('accepts dry-run %p', (text, dryRun) => {
    expect(settings({ 'dry-run': text }).run.dryRun).toBe(dryRun)
  })

  it.each(['yes', '1', 'on', 'tru'])('rejects dry-run %p', text => {
    expect(failure({ 'dry-run': text }).message).toBe(
      `dry-run: "${text}" is not a boolean; accepted: true or false`
    )
  })
})

describe('parseSettings: characters an HTTP header cannot carry', () => {
  it.each([
    [`${KEY.slice(0, 4)}\u20ac${KEY.slice(4)}`, 'position 5, U+20AC'],
    [`${KEY}\u0001`, `position ${KEY.length + 1}, U+0001`],
    [`\u007f${KEY}`, 'position 1, U+007F'],
    [`${KEY}\u5bc6`, `position ${KEY.length + 1}, U+5BC6`],
    [`\u{1f511}${KEY}`, 'position 1, U+1F511']
  ])('refuses an api-key with one, at parse time, naming where (%#)', (key, where) => {
    const error = failure({ 'api-key': key })
    expect(error.message).toBe(
      `api-key: contains a character an HTTP header cannot carry (${where}); a key is printable ASCII`
    )
    expect(error.message).not.toContain(KEY)
  })

  it('refuses one in a headers value, naming the line, never the value', () => {
    const error = failure({ headers: `X-Team: web\nAuthorization: ${HEADER_SECRET}\u20ac` })
    expect(error.message).toBe(
      `headers: line 2: the value of Authorization contains a character an HTTP header cannot carry (position ${HEADER_SECRET.length + 1}, U+20AC)`
    )
    expect(error.message).not.toContain(HEADER_SECRET)
  })

  it('refuses one in version-override', () => {
    expect(failure({ 'version-override': 'my-worker="\u20ac1"' }).message).toBe(
      'version-override: contains a character an HTTP header cannot carry (position 12, U+20AC); give one value such as my-worker="<version-id>"'
    )
  })

  it('refuses one in an endpoint header from endpoints-file', () => {
    writeFileSync(
      path.join(workspace, 'bad-header.yml'),
      `- path: /x\n  headers:\n    X-Token: "${HEADER_SECRET}\\u0007"\n`
    )
    const error = failure({ endpoints: '', 'endpoints-file': 'bad-header.yml' })
    expect(error.message).toBe(
      `endpoints-file[0].headers: the value of X-Token contains a character an HTTP header cannot carry (position ${HEADER_SECRET.length + 1}, U+0007)`
    )
  })

  it('still accepts latin1 in a header that is not the key, as Node sends it', () => {
    expect(settings({ headers: 'X-Cafe: café au lait' }).deployment.headers).toEqual({
      'X-Cafe': 'café au lait'
    })
    expect(settings({ 'version-override': 'w="1"' }).deployment.versionOverride).toBe('w="1"')
  })
})

describe('parseSettings: api-key-header', () => {
  it.each([
    'Host',
    'Content-Length',
    'Transfer-Encoding',
    'Connection',
    'Keep-Alive',
    'Upgrade',
    'TE',
    'Trailer',
    'Expect',
    'Proxy-Connection',
    'Content-Type',
    'Accept-Encoding',
    'User-Agent',
    'host'
  ])('refuses %s, which the action or the HTTP stack sets itself', name => {
    expect(failure({ 'api-key': KEY, 'api-key-header': name }).message).toBe(
      `api-key-header: ${name} is a header the action or the HTTP stack sets itself, or one that changes how the request is framed or routed; give a header of its own such as X-API-Key or Authorization`
    )
  })

  it('does not print a name that is not a header name (a pasted key, say)', () => {
    const error = failure({ 'api-key-header': KEY.replace('_', ' ') })
    expect(error.message).toMatch(
      /^api-key-header: is not a valid header name \(position 3, U\+0020\)/
    )
    expect(error.message).not.toContain(KEY.slice(3))
  })

  it('refuses headers that set the version-override header while version-override is set', () => {
    expect(
      failure({
        'version-override': 'w="1"',
        headers: 'cloudflare-workers-version-overrides: w="2"'
      }).message
    ).toBe(
      'headers: sets cloudflare-workers-version-overrides, which also carries version-override; set one of them'
    )
  })

  it('refuses the framing headers in headers too', () => {
    for (const name of ['Expect', 'Upgrade', 'TE', 'Trailer', 'Keep-Alive', 'Proxy-Connection'])
      expect(failure({ headers: `${name}: x` }).message).toMatch(
        new RegExp(`^headers: line 1: the ${name} header is set by the action itself`)
      )
  })
})

describe('parseSettings: YAML errors say where and show the line, never a value that could be secret', () => {
  it('names line and column in endpoints', () => {
    expect(failure({ endpoints: '- /a\n- /b\ncritical: [/c' }).message).toBe(
      'endpoints: is not valid YAML or JSON: unexpected scalar at node end at line 3, column 1: `critical: [/c`'
    )
    expect(failure({ endpoints: 'critical:\n  - /a\n    - /b\n   x: 1' }).message).toBe(
      'endpoints: is not valid YAML or JSON: implicit keys need to be on a single line at line 2, column 5: `  - /a`'
    )
  })

  it('names line and column in endpoints-file, and shows the line with its values masked', () => {
    writeFileSync(
      path.join(workspace, 'broken-secret.yml'),
      `critical:\n  - /a\n  - path: /b\n    headers: {Authorization: "${HEADER_SECRET}\\q"}\n`
    )
    const error = failure({ endpoints: '', 'endpoints-file': 'broken-secret.yml' })
    expect(error.message).toBe(
      'endpoints-file: is not valid YAML or JSON: invalid escape sequence in a double-quoted string at line 4, column 55: `    headers: {Authorization: "*** ***"}`'
    )
    expect(error.message).not.toContain(HEADER_SECRET.split(' ')[1])
  })

  it('names line and column in expect', () => {
    expect(failure({ expect: 'status: 200\njson: {success: true' }).message).toBe(
      'expect: is not valid YAML or JSON: flow map in block collection must be sufficiently indented and end with a } at line 2, column 21: `json: {success: true`'
    )
  })

  it.each([
    ['a tag', `- !${HEADER_SECRET.replace(/ /g, '')} /a\n- [`],
    ['a directive', `%${HEADER_SECRET.replace(/ /g, '')}\n---\n- /a\n- [`],
    ['an escape', `- "\\${HEADER_SECRET}"`],
    ['an alias', `- *${HEADER_SECRET.replace(/ /g, '')}`],
    ['a token', `- [a, b]] ${HEADER_SECRET}`],
    ['a plain scalar start', `- @${HEADER_SECRET}`]
  ])('never quotes the document in a YAML error (%s)', (_what, text) => {
    const message = failure({ endpoints: text }).message
    expect(message).toMatch(/^endpoints: is not valid YAML or JSON: /)
    expect(message).not.toContain(HEADER_SECRET.replace(/ /g, '').slice(6))
    expect(message).not.toMatch(/[\r\n]/)
  })
})

describe('yamlLineShape', () => {
  it.each([
    ['  - path: /api/v1/reports', '  - path: /api/v1/reports'],
    ['high: [/a, GET /b]', 'high: [/a, GET /b]'],
    ['  - {path: /x, expect: {status: 200}}', '  - {path: /x, expect: {status: 200}}'],
    ['    X-Debug: on', '    X-Debug: ***'],
    ['  - /hooks/9f8e7d6c5b4a39281706f5e4/run', '  - /hooks/***/run'],
    ['  - /search?q=tok_live_4242', '  - ***'],
    ['password: hunter2', 'password: ***'],
    [`- @${HEADER_SECRET}`, '- @*** ***']
  ])('%j reads %j', (line, shape) => {
    expect(yamlLineShape(line, 1)).toBe(shape)
  })

  it('cuts a long line around the column', () => {
    const line = `- [${Array.from({ length: 60 }, (_, i) => `/p${i}`).join(', ')}`
    const shape = yamlLineShape(line, 200)
    expect(shape.length).toBeLessThanOrEqual(102)
    expect(shape.startsWith('…')).toBe(true)
  })
})

describe('parseSettings: the result', () => {
  it('is frozen, so no later step can change what the user asked for', () => {
    const s = settings({ 'api-key': KEY })
    expect(Object.isFrozen(s)).toBe(true)
    expect(() => {
      ;(s.warm as { concurrency: number }).concurrency = 99
    }).toThrow(TypeError)
  })
})

describe('every input mistake', () => {
  // Each case: the input the message must start with, the inputs, and a piece saying what is
  // accepted. Every case also carries a distinctive api-key and a secret header value.
  const cases: [string, RawInputs, RegExp][] = [
    ['url', { url: '' }, /give the deployment URL/],
    ['url', { url: 'ftp://shop.example.com' }, /only https:\/\//],
    ['url', { url: 'https://u:p@shop.example.com' }, /pass the key as api-key/],
    ['url', { url: 'https://a.example\nhttps://b.example' }, /give one URL/],
    ['url', { url: 'https://[bad' }, /give e\.g\. https:\/\//],
    ['url', { url: 'http://shop.example.com' }, /use https:\/\//],
    ['api-key', { 'api-key': `${KEY}\n${KEY}` }, /paste the key as one line/],
    ['api-key-header', { 'api-key-header': 'X Key' }, /not a valid header name/],
    ['headers', { headers: 'Bad Name: v' }, /not a valid header name/],
    ['headers', { headers: 'no colon' }, /"Name: value"/],
    ['headers', { headers: 'Host: x' }, /set by the action itself/],
    ['headers', { headers: `X-API-Key: ${KEY}` }, /set one of them/],
    ['endpoints', { endpoints: '' }, /give endpoints \(YAML\), endpoints-file or sitemap/],
    ['endpoints', { endpoints: '- {path: /x, body: {a: 1}}' }, /only sent with POST, PUT/],
    ['endpoints', { endpoints: 'urgent: [/x]' }, /accepted: critical, high, normal, low/],
    ['endpoints', { endpoints: '- {path: /x, nope: 1}' }, /accepted: path, method, priority/],
    ['endpoints', { endpoints: '- {path: /x, priority: soon}' }, /expected one of critical/],
    ['endpoints', { endpoints: '- FETCH /x' }, /expected one of GET, HEAD, POST/],
    ['endpoints', { endpoints: '- {path: /x, method: FETCH}' }, /expected one of GET, HEAD/],
    ['endpoints', { endpoints: '- /x\n  - : [' }, /is not valid YAML or JSON/],
    ['endpoints', { endpoints: '- https://evil.example/x' }, /give a path on it such as \//],
    ['endpoints', { endpoints: '- //evil.example/x' }, /give a path such as/],
    ['endpoints', { endpoints: '- /x\n- GET /x' }, /listed twice \(also at endpoints\[0\]\)/],
    ['endpoints', { endpoints: 'high: [{path: /x, priority: low}]' }, /conflicts with its tier/],
    ['endpoints', { endpoints: '- {path: /x, expect: {status: 9}}' }, /between 100 and 599/],
    ['endpoints', { endpoints: '- {path: /x, expect: {json: {a: []}}}' }, /or one of exists/],
    ['endpoints', { endpoints: '- "/a\\n/b c"' }, /is not "\/path" or "METHOD \/path"/],
    ['endpoints', { endpoints: '- {path: /x, headers: {"X\\nY": v}}' }, /not a valid header/],
    ['endpoints-file', { 'endpoints-file': 'missing.yml' }, /no such file/],
    ['endpoints-file', { 'endpoints-file': 'broken.yml' }, /is not valid YAML or JSON/],
    ['endpoints-file', { 'endpoints-file': 'bad-priority.yml' }, /expected one of critical/],
    ['endpoints-file', { 'endpoints-file': 'dupe.yml' }, /listed twice \(also at endpoints\[0\]\)/],
    ['expect', { expect: 'status: x' }, /e\.g\. 200 or \[200, 204\]/],
    ['expect', { expect: 'code: 1' }, /accepted: status, json/],
    ['concurrency', { concurrency: '0' }, /accepted: 1 to 256/],
    ['concurrency', { concurrency: 'many' }, /accepted: 1 to 256/],
    ['retries', { retries: '99' }, /accepted: 0 to 10/],
    ['timeout', { timeout: '-1s' }, /such as 500ms, 10s, 2m/],
    ['timeout', { timeout: '0' }, /more than 0/],
    ['timeout', { timeout: '1h' }, /the most accepted is 10m/],
    ['deadline', { deadline: 'soon' }, /such as 500ms, 10s, 2m/],
    ['deadline', { deadline: '24h' }, /the most accepted is 6h/],
    ['fail-on', { 'fail-on': 'all' }, /accepted: critical, any, never/],
    ['dry-run', { 'dry-run': 'yes' }, /accepted: true or false/]
  ]

  it.each(cases)(
    'names %s first, says what is accepted, in one line, without secrets (%j)',
    (input, inputs, accepted) => {
      const error = failure({
        'api-key': KEY,
        headers: `Authorization: ${HEADER_SECRET}`,
        ...inputs
      })
      expect(error.input.startsWith(input)).toBe(true)
      expect(error.message).toMatch(new RegExp(`^${input}(: |\\.|\\[)`))
      expect(error.message).toMatch(accepted)
      expect(error.message).not.toMatch(/[\r\n]/)
      expect(error.message).not.toContain(KEY)
      expect(error.message).not.toContain(HEADER_SECRET)
    }
  )
})

describe('secrets are printable ASCII', () => {
  const base = { url: 'https://w.example.com', endpoints: '- /a' }
  it('refuses a latin1 key, whose bytes servers read differently, without showing it', () => {
    expect(() =>
      parseSettings({ ...base, 'api-key': 'sk_live_café_7f3a' }, { workspace: '/tmp' })
    ).toThrow(
      'api-key: contains a character outside printable ASCII (position 12, U+00E9); a secret must be printable ASCII, which every server reads the same way'
    )
  })
  it('refuses it in a secret header too, but keeps latin1 in an ordinary one', () => {
    expect(() =>
      parseSettings({ ...base, headers: 'X-Auth-Token: tök9' }, { workspace: '/tmp' })
    ).toThrow(
      /^headers: line 1: the value of X-Auth-Token contains a character outside printable ASCII \(position 2, U\+00F6\)/
    )
    expect(
      parseSettings({ ...base, headers: 'X-Greeting: café' }, { workspace: '/tmp' }).deployment
        .headers
    ).toEqual({
      'X-Greeting': 'café'
    })
  })
})
