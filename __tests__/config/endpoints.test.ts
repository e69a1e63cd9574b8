import { describe, expect, it } from '@jest/globals'
import { validateHeaderValue } from 'node:http'
import { parse as parseYaml } from 'yaml'
import {
  ACTION_HEADERS,
  checkDuplicates,
  checkHeader,
  EndpointsError,
  FRAMING_HEADERS,
  headerValueProblem,
  keyHeaderProblem,
  parseEndpoints,
  type EndpointSpec
} from '../../src/config/endpoints.js'
import { expectSchema } from '../../src/config/expect.js'
import { firstIssue, formatPath } from '../../src/config/issues.js'
import { InputError } from '../../src/errors.js'

const BASE = new URL('https://shop.example.com/')

function endpoints(yaml: string, base: URL = BASE, source = 'endpoints'): EndpointSpec[] {
  return parseEndpoints(parseYaml(yaml), base, source)
}

/** The message of the EndpointsError thrown for `yaml`. */
function problem(yaml: string, base: URL = BASE): string {
  try {
    endpoints(yaml, base)
  } catch (error) {
    expect(error).toBeInstanceOf(EndpointsError)
    return (error as Error).message
  }
  throw new Error(`expected ${JSON.stringify(yaml)} to be rejected`)
}

describe('parseEndpoints: the shapes a user may write', () => {
  it('reads a plain list of paths as GET at normal priority', () => {
    expect(endpoints('- /api/v1/reports\n- /health')).toEqual([
      {
        source: 'endpoints[0]',
        method: 'GET',
        path: '/api/v1/reports',
        url: 'https://shop.example.com/api/v1/reports',
        priority: 'normal',
        headers: {}
      },
      {
        source: 'endpoints[1]',
        method: 'GET',
        path: '/health',
        url: 'https://shop.example.com/health',
        priority: 'normal',
        headers: {}
      }
    ])
  })

  it('reads "METHOD /path" items, in any letter case', () => {
    const list = endpoints('- POST /api/search\n- head /ping\n- "  options   /cors  "')
    expect(list.map(e => `${e.method} ${e.path}`)).toEqual([
      'POST /api/search',
      'HEAD /ping',
      'OPTIONS /cors'
    ])
  })

  it('reads a mapping of tiers, giving each endpoint its tier and a source naming it', () => {
    const list = endpoints(
      'critical:\n  - /\nhigh:\n  - /products\nnormal:\n  - /about\nlow:\n  - /archive'
    )
    expect(list.map(e => [e.source, e.priority, e.path])).toEqual([
      ['endpoints.critical[0]', 'critical', '/'],
      ['endpoints.high[0]', 'high', '/products'],
      ['endpoints.normal[0]', 'normal', '/about'],
      ['endpoints.low[0]', 'low', '/archive']
    ])
  })

  it('accepts an empty tier and an empty document', () => {
    expect(endpoints('critical:\nhigh: [/h]').map(e => e.path)).toEqual(['/h'])
    expect(endpoints('')).toEqual([])
  })

  it('reads the same document written as JSON', () => {
    const list = endpoints('{"critical": ["/a"], "low": [{"path": "/b", "method": "post"}]}')
    expect(list.map(e => [e.priority, e.method, e.path])).toEqual([
      ['critical', 'GET', '/a'],
      ['low', 'POST', '/b']
    ])
  })

  it('reads an object item with every key', () => {
    const [e] = endpoints(`
- path: /api/v1/reports?limit=10
  method: post
  priority: critical
  name: Reports
  body: '{"q":1}'
  headers: {X-Tenant: acme, X-Count: 3, X-Flag: true}
  expect:
    status: [200, 204]
    json: {success: true, data: non-empty, meta.total: 3, error: null, id: exists}
`)
    expect(e).toEqual({
      source: 'endpoints[0]',
      method: 'POST',
      path: '/api/v1/reports?limit=10',
      url: 'https://shop.example.com/api/v1/reports?limit=10',
      priority: 'critical',
      name: 'Reports',
      body: '{"q":1}',
      headers: { 'X-Tenant': 'acme', 'X-Count': '3', 'X-Flag': 'true' },
      expect: {
        status: [200, 204],
        json: { success: true, data: 'non-empty', 'meta.total': 3, error: null, id: 'exists' }
      }
    })
  })

  it('lets an object in a tier repeat the tier as its priority', () => {
    expect(endpoints('high:\n  - {path: /x, priority: high}')[0]?.priority).toBe('high')
  })
})

describe('parseEndpoints: paths and the deployment URL', () => {
  const prefixed = new URL('https://shop.example.com/staging/')

  it('joins paths under the base URL path prefix and shows them relative to it', () => {
    const list = endpoints('- /api\n- products?page=2\n- /', prefixed)
    expect(list.map(e => [e.url, e.path])).toEqual([
      ['https://shop.example.com/staging/api', '/api'],
      ['https://shop.example.com/staging/products?page=2', '/products?page=2'],
      ['https://shop.example.com/staging/', '/']
    ])
  })

  it('accepts an absolute URL on the deployment origin and drops its #fragment', () => {
    const [e] = endpoints('- https://shop.example.com/staging/api?x=1#top', prefixed)
    expect(e?.url).toBe('https://shop.example.com/staging/api?x=1')
    expect(e?.path).toBe('/api?x=1')
  })

  it('shows a same-origin URL outside the prefix by its full path, not a cut-off one', () => {
    const [outside, sibling] = endpoints(
      '- https://shop.example.com/other\n- https://shop.example.com/staging-old/x',
      prefixed
    )
    expect(outside?.path).toBe('/other')
    expect(sibling?.path).toBe('/staging-old/x')
  })

  it('drops a #fragment from a relative path', () => {
    expect(endpoints('- /docs#intro')[0]?.url).toBe('https://shop.example.com/docs')
  })

  it.each([
    'https://evil.example/steal',
    'http://shop.example.com/x',
    'https://shop.example.com:8443/x'
  ])('rejects %s on another origin, because the key would go there', url => {
    const text = problem(`- ${url}`)
    expect(text).toBe(
      '[0].path: is on another origin than the deployment (https://shop.example.com); the key is only sent to the deployment, so give a path on it such as /api/v1/reports'
    )
  })

  it('rejects a protocol-relative //host path', () => {
    expect(problem('- //evil.example/x')).toBe(
      '[0].path: names another host (//...); give a path such as /api/...'
    )
  })

  it('rejects an absolute URL that does not parse', () => {
    expect(problem('- "https://[x/y"')).toBe(
      '[0].path: is not a valid URL; give a path such as /api/v1/reports'
    )
  })

  it('rejects white space inside a path', () => {
    expect(problem('- path: /a b')).toBe('[0].path: contains white space; give one path')
  })
})

describe('parseEndpoints: bodies and headers', () => {
  it('sends an object body as JSON with Content-Type: application/json', () => {
    const [e] = endpoints('- {path: /search, method: POST, body: {q: shoes, tags: [a, b]}}')
    expect(e?.body).toBe('{"q":"shoes","tags":["a","b"]}')
    expect(e?.headers).toEqual({ 'Content-Type': 'application/json' })
  })

  it('sends a list body as JSON too', () => {
    expect(endpoints('- {path: /x, method: PUT, body: [1, 2]}')[0]?.body).toBe('[1,2]')
  })

  it('keeps a Content-Type the user gave for an object body', () => {
    const [e] = endpoints(
      '- {path: /x, method: PATCH, body: {a: 1}, headers: {content-type: application/merge-patch+json}}'
    )
    expect(e?.headers).toEqual({ 'content-type': 'application/merge-patch+json' })
  })

  it('sends a string body as written, without adding a Content-Type', () => {
    const [e] = endpoints('- {path: /x, method: DELETE, body: "id=3"}')
    expect(e?.body).toBe('id=3')
    expect(e?.headers).toEqual({})
  })

  it.each(['GET', 'HEAD', 'OPTIONS'])('rejects a body on %s', method => {
    expect(problem(`- {path: /x, method: ${method}, body: {a: 1}}`)).toBe(
      `[0].body: a body is only sent with POST, PUT, PATCH or DELETE, not ${method}`
    )
  })

  it('rejects a body on an item with no method, which means GET', () => {
    expect(problem('- {path: /x, body: hi}')).toMatch(/^\[0\]\.body: .* not GET$/)
  })

  it('rejects a body that is neither text nor a mapping/list', () => {
    expect(problem('- {path: /x, method: POST, body: 5}')).toBe(
      '[0].body: expected a string, or a mapping/list sent as JSON'
    )
  })

  it.each([
    [
      '{"Bad Name": v}',
      "[0].headers: the name is not a valid header name (position 4, U+0020); a header name is letters, digits and !#$%&'*+-.^_`|~"
    ],
    [
      '{Host: other.example}',
      '[0].headers: the Host header is set by the action itself or the HTTP stack, or changes how the request is framed or routed; leave it out'
    ],
    [
      '{Content-Length: 3}',
      '[0].headers: the Content-Length header is set by the action itself or the HTTP stack, or changes how the request is framed or routed; leave it out'
    ],
    ['{X-A: "a\\nb"}', '[0].headers: the value of X-A contains a line break or NUL'],
    ['[a]', '[0].headers: expected a mapping of header names to values'],
    ['{X-A: {b: 1}}', '[0].headers.X-A: expected a header value (text, a number, true or false)']
  ])('rejects headers %s', (headers, message) => {
    expect(problem(`- {path: /x, headers: ${headers}}`)).toBe(message)
  })
})

describe('parseEndpoints: mistakes, each named by where it is', () => {
  it.each([
    [
      'an unknown priority',
      '- /a\n- /b\n- /c\n- {path: /d, priority: urgent}',
      '[3].priority: expected one of critical, high, normal, low'
    ],
    [
      'an unknown priority inside a tier',
      'critical:\n  - {path: /x, priority: nope}',
      '.critical[0].priority: expected one of critical, high, normal, low'
    ],
    [
      'a priority that conflicts with its tier',
      'high:\n  - {path: /x, priority: low}',
      '.high[0].priority: "low" conflicts with its tier "high"'
    ],
    [
      'an unknown tier',
      'urgent:\n  - /x',
      '.urgent: unknown tier; accepted: critical, high, normal, low'
    ],
    [
      'a tier that is not a list',
      'high: /x',
      '.high: expected a list of endpoints, got a string (2 characters)'
    ],
    [
      'an unknown key',
      '- {path: /x, url: /y}',
      '[0]: unknown key "url"; accepted: path, method, priority, body, headers, expect, name'
    ],
    [
      'several unknown keys',
      '- {path: /x, url: /y, timeout: 3}',
      '[0]: unknown key "url", "timeout"; accepted: path, method, priority, body, headers, expect, name'
    ],
    [
      'an unknown method in "METHOD /path"',
      '- FETCH /x',
      '[0]: the word before the path is not a method; expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'
    ],
    [
      'an unknown method in an object',
      '- {path: /x, method: FETCH}',
      '[0].method: expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'
    ],
    [
      'a string item with too many words',
      '- GET /x extra',
      '[0]: is not "/path" or "METHOD /path"'
    ],
    [
      'a number as an item',
      '- 42',
      '[0]: expected "/path", "METHOD /path" or a mapping with a path, got a number'
    ],
    [
      'a list as an item',
      '- [a]',
      '[0]: expected "/path", "METHOD /path" or a mapping with a path, got a list'
    ],
    [
      'a null item',
      '- /a\n-',
      '[1]: expected "/path", "METHOD /path" or a mapping with a path, got null'
    ],
    [
      'an object without a path',
      '- {method: GET}',
      '[0].path: expected a path such as /api/v1/reports'
    ],
    ['an empty path', '- {path: ""}', '[0].path: must not be empty'],
    ['a name that is not text', '- {path: /x, name: [a]}', '[0].name: expected a text label'],
    [
      'a single path, not a list (`--endpoints /a`)',
      '/api/v1/symbols',
      'expected a list of endpoints or a mapping of critical/high/normal/low to lists, got a string (15 characters); one endpoint is a list too: write "- /path" (or [/path])'
    ],
    [
      'a document that is a bare word',
      'hello',
      'expected a list of endpoints or a mapping of critical/high/normal/low to lists, got a string (5 characters)'
    ]
  ])('rejects %s', (_what, yaml, message) => {
    expect(problem(yaml)).toBe(message)
  })

  it('keeps where and detail apart for callers that prefix their own name', () => {
    try {
      endpoints('- {path: /x, priority: urgent}')
    } catch (error) {
      expect((error as EndpointsError).where).toBe('[0].priority')
      return
    }
    throw new Error('expected a rejection')
  })
})

describe('parseEndpoints: expect', () => {
  it.each([
    ['{status: 204}', { status: [204] }],
    ['{status: [200, 304]}', { status: [200, 304] }],
    ['{json: {data.0.price: 9.5}}', { json: { 'data.0.price': 9.5 } }],
    [
      '{json: {a: exists, b: non-empty, c: not-null, d: "ok", e: false, f: null}}',
      { json: { a: 'exists', b: 'non-empty', c: 'not-null', d: 'ok', e: false, f: null } }
    ],
    ['{}', {}]
  ])('reads expect %s', (yaml, parsed) => {
    expect(endpoints(`- {path: /x, expect: ${yaml}}`)[0]?.expect).toEqual(parsed)
  })

  it.each([
    ['{status: 999}', '[0].expect.status: expected an HTTP status code between 100 and 599'],
    ['{status: 99}', '[0].expect.status: expected an HTTP status code between 100 and 599'],
    [
      '{status: ok}',
      '[0].expect.status: expected a status code or a list of them, e.g. 200 or [200, 204]'
    ],
    [
      '{status: 200.5}',
      '[0].expect.status: expected a status code or a list of them, e.g. 200 or [200, 204]'
    ],
    ['{status: []}', '[0].expect.status: list at least one status code'],
    [
      '{json: {a: {b: 1}}}',
      '[0].expect.json.a: expected a literal (string, number, true, false, null) or one of exists, non-empty, not-null'
    ],
    [
      '{json: 5}',
      '[0].expect.json: expected a mapping of dot paths to values, e.g. {success: true, data: non-empty}'
    ],
    ['{code: 200}', '[0].expect: unknown key "code"; accepted: status, json'],
    ['null', '[0].expect: expected a mapping with status and/or json, e.g. {status: 200}'],
    ['200', '[0].expect: expected a mapping with status and/or json, e.g. {status: 200}']
  ])('rejects expect %s', (yaml, message) => {
    expect(problem(`- {path: /x, expect: ${yaml}}`)).toBe(message)
  })

  it('turns a single status into a list of one', () => {
    expect(expectSchema.parse({ status: 200 })).toEqual({ status: [200] })
  })
})

describe('checkHeader', () => {
  it.each([
    ['X-Api-Key', 'abc'],
    ['Authorization', 'Bearer x'],
    ["x!#$%&'*+.^_`|~", 'v'],
    ['X-Empty', '']
  ])('accepts %s', (name, value) => {
    expect(checkHeader(name, value)).toBeUndefined()
  })

  it.each([
    ['', 'v', /the name is empty/],
    ['X Api', 'v', /is not a valid header name/],
    ['X:Y', 'v', /is not a valid header name/],
    ['host', 'v', /set by the action itself/],
    ['Transfer-Encoding', 'chunked', /set by the action itself/],
    ['Connection', 'close', /set by the action itself/],
    ['X-A', 'a\rb', /contains a line break or NUL/],
    ['X-A', 'a\0b', /contains a line break or NUL/]
  ])('rejects %p: %p', (name, value, message) => {
    expect(checkHeader(name, value)).toMatch(message)
  })
})

describe('checkDuplicates', () => {
  it('rejects the same method and URL listed twice, naming both places', () => {
    const list = endpoints('- /x\n- /y\n- GET /x')
    expect(() => checkDuplicates(list)).toThrow(
      new InputError('endpoints[2]', 'GET /x is listed twice (also at endpoints[0])')
    )
    expect(() => checkDuplicates(list)).toThrow(
      'endpoints[2]: GET /x is listed twice (also at endpoints[0])'
    )
  })

  it('treats a path, its absolute URL and a #fragment as the same endpoint', () => {
    const list = endpoints('- /x\n- https://shop.example.com/x#a')
    expect(() => checkDuplicates(list)).toThrow(/listed twice/)
  })

  it('names both places across tiers', () => {
    const list = endpoints('critical:\n  - /x\nlow:\n  - /x')
    expect(() => checkDuplicates(list)).toThrow(
      'endpoints.low[0]: GET /x is listed twice (also at endpoints.critical[0])'
    )
  })

  it('allows the same path with different methods or queries', () => {
    expect(() => checkDuplicates(endpoints('- /x\n- POST /x\n- /x?page=2'))).not.toThrow()
  })
})

describe('formatPath and firstIssue', () => {
  it('formats a zod path as people read it', () => {
    expect(formatPath([3, 'priority'])).toBe('[3].priority')
    expect(formatPath(['critical', 0, 'path'])).toBe('.critical[0].path')
    expect(formatPath([])).toBe('')
  })

  it('says "unknown key" and what is accepted, with no zod wording', () => {
    const parsed = expectSchema.safeParse({ status: 200, code: 1, body: 2 })
    expect(parsed.success).toBe(false)
    if (!parsed.success) {
      expect(firstIssue(parsed.error, ['expect'])).toBe(
        '.expect: unknown keys "code", "body"; accepted: status, json'
      )
    }
  })
})

describe('header values an HTTP header cannot carry', () => {
  // [value, the position and code point the message names]
  const refused: [string, string][] = [
    ['abcd\u20acxyz', 'position 5, U+20AC'], // €
    ['\u5bc6\u94a5', 'position 1, U+5BC6'], // 密
    ['ok \u{1f511} key', 'position 4, U+1F511'], // an emoji: one character, two UTF-16 units
    ['a\u0001b', 'position 2, U+0001'],
    ['del\u007f', 'position 4, U+007F'],
    ['esc\u001b[0m', 'position 4, U+001B'],
    ['\u0100', 'position 1, U+0100'] // the first code point past latin1
  ]

  it.each(refused)('refuses %j, naming %s but never the value', (value, where) => {
    const problem = checkHeader('X-Token', value)
    expect(problem).toBe(
      `the value of X-Token contains a character an HTTP header cannot carry (${where})`
    )
    expect(problem).not.toContain(value)
  })

  it.each(refused)('is what Node itself would refuse when sending (%j)', value => {
    // The sanity check: without this validation the request failed only at send time.
    expect(() => validateHeaderValue('X-Token', value)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CHAR' })
    )
  })

  it.each(['café', 'tab\tinside', 'Bearer abc.DEF-123_~+/=', '\u00a0\u00ff', ''])(
    'still accepts %j, which Node sends as latin1',
    value => {
      expect(headerValueProblem(value)).toBeUndefined()
      expect(checkHeader('X-Note', value)).toBeUndefined()
      expect(() => validateHeaderValue('X-Note', value)).not.toThrow()
    }
  )

  it('refuses one in the headers of an endpoint, naming where it is', () => {
    expect(problem('- {path: /x, headers: {X-Tenant: "acme\u20ac"}}')).toBe(
      '[0].headers: the value of X-Tenant contains a character an HTTP header cannot carry (position 5, U+20AC)'
    )
    expect(problem('- {path: /x, headers: {X-Tenant: "a\\x7fb"}}')).toMatch(/position 2, U\+007F/)
  })
})

describe('headers no input may set', () => {
  it.each([...FRAMING_HEADERS])('refuses %s in headers and endpoint headers', name => {
    expect(checkHeader(name, 'x')).toMatch(/is set by the action itself or the HTTP stack/)
    expect(checkHeader(name.toUpperCase(), 'x')).toMatch(/is set by the action itself/)
    expect(keyHeaderProblem(name)).toMatch(/is a header the action or the HTTP stack sets itself/)
  })

  it.each([...ACTION_HEADERS])(
    'refuses %s as api-key-header (the action sets it) but lets headers override it',
    name => {
      expect(keyHeaderProblem(name)).toBe(
        `${name} is a header the action or the HTTP stack sets itself, or one that changes how the request is framed or routed; give a header of its own such as X-API-Key or Authorization`
      )
      expect(checkHeader(name, 'x')).toBeUndefined()
    }
  )

  it('covers every header the action sets itself', () => {
    for (const h of ['Host', 'Content-Length', 'Transfer-Encoding', 'Content-Type', 'User-Agent'])
      expect(keyHeaderProblem(h)).toBeDefined()
    for (const h of ['Accept', 'Accept-Encoding', 'Cloudflare-Workers-Version-Overrides'])
      expect(keyHeaderProblem(h)).toBeDefined()
  })

  it.each(['X-API-Key', 'Authorization', 'x-key', 'CF-Access-Client-Secret'])(
    'accepts %s as api-key-header',
    name => {
      expect(keyHeaderProblem(name)).toBeUndefined()
    }
  )

  it('says which character of a bad name is wrong without printing the name', () => {
    // A key pasted into the name by mistake must not come back in the message.
    expect(checkHeader('Authorization=Bearer sk_live_abc', 'x')).toBe(
      "the name is not a valid header name (position 14, U+003D); a header name is letters, digits and !#$%&'*+-.^_`|~"
    )
  })
})

describe('the endpoint list never echoes what the document says', () => {
  const SECRET = 'sk_live_DOC_5e5e5e'
  it.each([
    [SECRET, 'got a string (18 characters)'],
    ['42', 'got a number'],
    [
      `critical: ${SECRET}`,
      '.critical: expected a list of endpoints, got a string (18 characters)'
    ],
    [`- "${SECRET} /x /y"`, '[0]: is not "/path" or "METHOD /path"'],
    [`- {path: /x, method: ${SECRET}}`, '[0].method: expected one of GET'],
    [`- "https://x.example/${SECRET}?t=${SECRET}"`, '[0].path: is on another origin'],
    [`- "https://[${SECRET}"`, '[0].path: is not a valid URL'],
    [`- {path: "/a ${SECRET}"}`, '[0].path: contains white space'],
    [`- "//${SECRET}.example/x"`, '[0].path: names another host'],
    [`"${SECRET} and more": [/a]`, '.(a key of 27 characters): unknown tier'],
    [`- {path: /a, "${SECRET} x": 1}`, '[0]: unknown key a key of 20 characters']
  ])('%j', (doc, start) => {
    let message = ''
    try {
      endpoints(doc)
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toContain(start)
    expect(message).not.toContain(SECRET)
  })
})

describe('a method word', () => {
  it('is not echoed either: it may be a word of a file that is not an endpoint list', () => {
    const message = problem('- HUNTERTWOPASS /x')
    expect(message).toBe(
      '[0]: the word before the path is not a method; expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'
    )
  })
})

describe('user:password@ in an endpoint URL', () => {
  it('is refused, without the password: Node would send it as an Authorization header', () => {
    const message = problem('- https://deploy:hunter2@shop.example.com/x')
    expect(message).toBe(
      '[0].path: carries user:password@; give a path such as /api/v1/reports (the key goes in api-key)'
    )
    expect(problem('- https://deploy@shop.example.com/x')).toMatch(/carries user:password@/)
  })
})
