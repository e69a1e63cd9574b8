import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { EndpointsError, parseEndpoints, PRIORITIES } from '../../src/config/endpoints.js'
import { InputError } from '../../src/errors.js'

const BASES = [
  new URL('https://worker.example.workers.dev/'),
  new URL('https://example.com/app/'),
  new URL('http://127.0.0.1:8787/v1')
]

/** Text that looks like what people (and attackers) put in a path. */
const pathLike = fc.oneof(
  fc.string(),
  fc.webUrl(),
  fc.webPath(),
  fc
    .tuple(
      fc.constantFrom(
        '',
        '/',
        '//',
        '\\\\',
        '/\\',
        '@',
        '..',
        '/..',
        '%2f%2f',
        'http:',
        'https://',
        'javascript:',
        'file:///',
        '  /',
        '/?',
        '/#'
      ),
      fc.string(),
      fc.constantFrom('', 'evil.example', 'evil.example/x', '127.0.0.1:1', '@evil.example')
    )
    .map(([a, b, c]) => `${a}${b}${c}`)
)

/** Values a YAML or JSON endpoint list can hold. */
const yamlValue = fc.letrec(tie => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    pathLike,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.constantFrom(
          'path',
          'method',
          'priority',
          'body',
          'headers',
          'expect',
          'name',
          '__proto__',
          'constructor'
        ),
        fc.string()
      ),
      tie('value'),
      { maxKeys: 4 }
    )
  )
})).value

const item = fc.oneof(
  pathLike,
  fc
    .tuple(fc.constantFrom('GET', 'POST', 'get', 'FETCH', ''), pathLike)
    .map(([m, p]) => `${m} ${p}`),
  fc.record(
    {
      path: pathLike,
      method: fc.constantFrom('GET', 'POST', 'put', 'BREW'),
      priority: fc.constantFrom(...PRIORITIES, 'urgent'),
      headers: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
      body: yamlValue,
      name: fc.string()
    },
    { requiredKeys: ['path'] }
  ),
  yamlValue
)

const list = fc.oneof(
  fc.array(item, { maxLength: 6 }),
  fc.dictionary(
    fc.constantFrom(...PRIORITIES, 'urgent'),
    fc.oneof(fc.array(item, { maxLength: 4 }), yamlValue),
    {
      maxKeys: 4
    }
  ),
  yamlValue
)

describe('parseEndpoints, for any document', () => {
  it('throws nothing but EndpointsError or InputError, and never leaves the base origin', () => {
    fc.assert(
      fc.property(list, fc.constantFrom(...BASES), (doc, base) => {
        let parsed
        try {
          parsed = parseEndpoints(doc, base, 'endpoints')
        } catch (error) {
          if (error instanceof EndpointsError || error instanceof InputError) return
          throw error
        }
        for (const e of parsed) {
          expect(new URL(e.url).origin).toBe(base.origin)
          expect(e.url).not.toMatch(/[\s#]/)
          expect(PRIORITIES).toContain(e.priority)
          for (const [name, value] of Object.entries(e.headers)) {
            expect(name).toMatch(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/)
            expect(value).not.toMatch(/[\r\n\0]/)
          }
        }
      }),
      { numRuns: 2000 }
    )
  })

  it('keeps every path that is not absolute under the base, whatever it contains', () => {
    fc.assert(
      fc.property(pathLike, fc.constantFrom(...BASES), (p, base) => {
        try {
          const [e] = parseEndpoints([{ path: p }], base, 'endpoints')
          expect(new URL(e!.url).origin).toBe(base.origin)
        } catch (error) {
          expect(error).toBeInstanceOf(EndpointsError)
        }
      }),
      { numRuns: 2000 }
    )
  })
})
