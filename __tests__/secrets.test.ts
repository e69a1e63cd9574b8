import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import {
  clip,
  isSecretHeader,
  rawSecrets,
  REDACTED,
  Redactor,
  settingsSecrets
} from '../src/secrets.js'
import { serverMessage } from '../src/warm/diagnose.js'
import { aPhase, aResult, aTier, anEndpoint } from './support/results.js'

describe('Redactor', () => {
  it('replaces every occurrence of a secret', () => {
    const r = new Redactor(['s3cr3t-key'])
    expect(r.redact('key s3cr3t-key and again s3cr3t-key')).toBe(
      `key ${REDACTED} and again ${REDACTED}`
    )
  })

  it('also catches the URL-encoded and JSON-escaped forms a server might echo', () => {
    const r = new Redactor(['a b/"c"'])
    expect(r.redact('q=a%20b%2F%22c%22')).toBe(`q=${REDACTED}`)
    expect(r.redact(JSON.stringify({ echo: 'a b/"c"' }))).toBe(`{"echo":"${REDACTED}"}`)
  })

  it('replaces a longer secret whole when it contains a shorter one', () => {
    const r = new Redactor(['abc', 'xxabcxx'])
    expect(r.redact('xxabcxx abc')).toBe(`${REDACTED} ${REDACTED}`)
  })

  it('redacts every string value inside a result object and leaves its structure alone', () => {
    const r = new Redactor(['k3y'])
    const out = r.redactDeep({ reason: 'server said: k3y', nested: [{ note: 'k3y!' }], n: 1 })
    expect(out).toEqual({
      reason: `server said: ${REDACTED}`,
      nested: [{ note: `${REDACTED}!` }],
      n: 1
    })
  })

  it('ignores empty secrets instead of redacting everything', () => {
    const r = new Redactor(['', undefined as unknown as string])
    expect(r.redact('plain text')).toBe('plain text')
  })
})

describe('Redactor, on text cut to fit', () => {
  const redactor = new Redactor(['sk_live_0123456789abcdef'])

  it('redacts the start of a secret that runs into "..." or "…"', () => {
    expect(redactor.redact('server said: "bad key sk_live_01234..."')).toBe(
      'server said: "bad key ***..."'
    )
    expect(redactor.redact('value "sk_live_0123…" shown')).toBe('value "***…" shown')
  })

  it('leaves short look-alikes and ordinary ellipses alone', () => {
    expect(redactor.redact('and sk_l... more')).toBe('and sk_l... more')
    expect(redactor.redact('waiting...')).toBe('waiting...')
  })
})

describe('which header values are secrets', () => {
  it('treats values of secret-named headers as secrets from 4 characters on', () => {
    for (const name of [
      'Authorization',
      'Cookie',
      'X-API-Key',
      'X-Auth-Token',
      'CF-Access-Client-Id',
      'CF-Access-Client-Secret',
      'x-vercel-protection-bypass',
      'X-Session',
      'X-Signature'
    ])
      expect(isSecretHeader(name, '1234')).toBe(true)
  })

  it('does not mask a secret-named header value under 4 characters: it would blank every "2" of the log', () => {
    // The runner's masking is job-wide: X-Cache-Key-Version: 2 would hide every 2 in every step.
    for (const [name, value] of [
      ['X-Cache-Key-Version', '2'],
      ['X-Auth-Mode', 'on'],
      ['X-API-Key', ' ab '],
      ['Cookie', 'a=1']
    ])
      expect(isSecretHeader(name!, value!)).toBe(false)
    expect(isSecretHeader('X-API-Key', 'abcd')).toBe(true)
    // The api-key input itself is a secret whatever its length.
    expect(rawSecrets({ 'api-key': 'k1', headers: 'X-Cache-Key-Version: 2' })).toEqual(['k1'])
  })

  it('leaves ordinary short values alone, so they blank nothing', () => {
    for (const [name, value] of [
      ['X-Debug', '1'],
      ['Accept-Language', 'en'],
      ['X-Warm', 'true'],
      ['X-Stage', 'step'],
      ['Accept', 'application/vnd.github+json'],
      ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120'],
      ['X-Region', 'eu-west-1']
    ])
      expect(isSecretHeader(name!, value!)).toBe(false)
  })

  it('treats a long random-looking value as a secret whatever the name', () => {
    expect(isSecretHeader('X-Custom', 'a8f3k29dj4mzq81x0p2r')).toBe(true)
  })

  it('finds the same secrets in raw inputs as in parsed settings', () => {
    const raw = {
      'api-key': ' k3y-value ',
      headers: 'X-Debug: 1\n# X-Api-Key: commented\nX-Api-Key: a1b2\nCookie: s=12'
    }
    expect(rawSecrets(raw)).toEqual(['k3y-value', 'a1b2', 's=12'])
    expect(
      settingsSecrets({
        deployment: { apiKey: 'k3y-value', headers: { 'X-Debug': '1' } },
        github: {},
        warm: {
          endpoints: [
            { headers: { 'X-Tenant-Token': 'tt99' } },
            { headers: { 'X-Mode': 'passed' } }
          ]
        }
      })
    ).toEqual(['k3y-value', 'tt99'])
  })
})

describe('Redactor, every form the action can produce', () => {
  const KEY = 'a "b" {c}/d+e=f%g\\h ü €'
  const r = new Redactor([KEY])
  const forms = [
    KEY,
    JSON.stringify(KEY).slice(1, -1),
    encodeURIComponent(KEY),
    encodeURI(KEY),
    new URL(`http://h/p/${KEY.replace(/[?#]/g, '')}`).pathname.slice(3),
    new URL(`http://h/?q=${KEY.replace(/#/g, '')}`).search.slice(3),
    new URL(`http://h/#${KEY}`).hash.slice(1),
    new URLSearchParams({ q: KEY }).toString().slice(2),
    (() => {
      const u = new URL('http://h/')
      u.password = KEY
      return u.password
    })()
  ]

  it.each(forms.map((f, i) => [i, f]))('form %i is redacted', (_i, form) => {
    expect(r.redact(`before ${form} after`)).toBe(`before ${REDACTED} after`)
  })

  it('redacts a secret in a value the URL parser wrote', () => {
    const key = 'sk live/+={x}"ü'
    const href = new URL(`https://evil.example/cb?key=${key}&x=${key}`).href
    expect(new Redactor([key]).redact(href)).not.toMatch(/sk(%20| )live/)
  })

  it('property: no readable form of any secret survives, in text or in data', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 8, maxLength: 30, unit: 'binary' }).filter(s => s.trim() !== ''),
        fc.constantFrom<(s: string) => string>(
          s => s,
          s => JSON.stringify(s).slice(1, -1),
          s => encodeURIComponent(s),
          s => new URLSearchParams({ k: s }).toString().slice(2),
          s => new URL(`http://h/#${s}`).hash.slice(1)
        ),
        fc.string({ maxLength: 10 }),
        (secret, form, around) => {
          let shown: string
          try {
            shown = form(secret)
          } catch {
            return // a form this secret cannot take (a lone surrogate)
          }
          if (shown === '') return
          const red = new Redactor([secret])
          const text = `${around}${shown}${around}`
          expect(red.redact(text)).not.toContain(shown)
          const deep = red.redactDeep({ reason: text, list: [text] })
          expect(deep.reason).not.toContain(shown)
          expect(deep.list[0]).not.toContain(shown)
        }
      ),
      { numRuns: 300 }
    )
  })
})

describe('Redactor, structure is never rewritten', () => {
  const result = {
    ...aResult({
      result: 'failed',
      stepFailed: true,
      tiers: [
        aTier('critical', [
          anEndpoint({
            path: '/a',
            priority: 'critical',
            outcome: 'failed',
            cause: 'http-500',
            status: 500,
            reason: 'x'
          })
        ])
      ]
    }),
    // Outside aResult so that `phases` is typed as present.
    phases: [aPhase('warm', { status: 'failed', detail: 'step 1 failed' })]
  }

  it.each(['step', 'failed', 'passed', '1', 'true', '{', '"', ':', 'Failed', 'warm', 'critical'])(
    'a secret "%s" keeps every field, verdict and enum, and the report stays JSON',
    secret => {
      const out = new Redactor([secret]).redactDeep(result)
      expect(Object.keys(out)).toEqual(Object.keys(result))
      expect(out.stepFailed).toBe(true)
      expect(out.result).toBe('failed')
      expect(out.phases[0]!.name).toBe('warm')
      expect(out.phases[0]!.status).toBe('failed')
      expect(out.tiers[0]!.endpoints[0]!.outcome).toBe('failed')
      expect(out.tiers[0]!.endpoints[0]!.status).toBe(500)
      expect(out.totals).toEqual(result.totals)
      expect(() => JSON.parse(JSON.stringify(out))).not.toThrow()
    }
  )

  it('property: for any secrets, redactDeep keeps the shape, the numbers and the booleans', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 6 }), { maxLength: 4 }),
        fc.jsonValue(),
        (secrets, doc) => {
          const out = new Redactor(secrets).redactDeep({ doc, result })
          const shape = (v: unknown): unknown =>
            Array.isArray(v)
              ? v.map(shape)
              : v && typeof v === 'object'
                ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]))
                : typeof v === 'string'
                  ? 'string'
                  : v
          expect(shape(out)).toEqual(shape({ doc, result }))
          expect(out.result.result).toBe('failed')
          expect(out.result.stepFailed).toBe(true)
          const { method, outcome, cause, status } = out.result.tiers[0]!.endpoints[0]!
          expect({ method, outcome, cause, status }).toEqual({
            method: 'GET',
            outcome: 'failed',
            cause: 'http-500',
            status: 500
          })
          expect(out.result.tiers[0]!.priority).toBe('critical')
        }
      ),
      { numRuns: 200 }
    )
  })

  it('survives data nested far deeper than the stack', () => {
    let deep: unknown = 'k3y'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(() => new Redactor(['k3y']).redactDeep({ deep })).not.toThrow()
  })

  it('never throws on odd text', () => {
    const r = new Redactor(['\uD800x', 'k3y'])
    expect(() => r.redact('\uD800x k3y \uDFFF')).not.toThrow()
    expect(r.redact('\uD800x k3y')).not.toContain('k3y')
  })
})

describe('clip: redact, then cut', () => {
  it('leaves no part of a secret that the cut would have split', () => {
    const key = 'sk_live_0123456789abcdef'
    const r = new Redactor([key])
    for (let at = 0; at < 40; at++) {
      const text = `${'x'.repeat(at)}${key} tail`
      const out = clip(text, 30, s => r.redact(s))
      expect(out).not.toContain(key.slice(0, 3))
    }
  })

  it('the server message: a key split across lines and re-joined by the collapse is redacted', () => {
    const key = 'abc def-123'
    const r = new Redactor([key])
    const res = {
      status: 401,
      statusText: 'Unauthorized',
      headers: {},
      body: Buffer.from(JSON.stringify({ error: `bad key abc\n    def-123, try again` })),
      bytes: 0,
      truncated: false,
      durationMs: 1,
      url: 'http://h/'
    } as unknown as Parameters<typeof serverMessage>[0]
    const said = serverMessage(res, s => r.redact(s))
    expect(said).toBe(`bad key ${REDACTED}, try again`)
  })
})

describe('Redactor, a secret split by whitespace', () => {
  const key = 'sk_live_0123456789abcdef'
  const r = new Redactor([key])

  it.each([
    `bad key sk_live_01234 56789abcdef, try again`,
    `bad key sk_live_01234\n    56789abcdef, try again`,
    `bad key s k _ l i v e _ 0 1 2 3 4 5 6 7 8 9 a b c d e f, try again`
  ])('%j', text => {
    expect(r.redact(text)).toBe(`bad key ${REDACTED}, try again`)
  })

  it('keeps the spaces a secret has, and leaves short secrets to exact matches', () => {
    expect(new Redactor(['pass phrase 42x']).redact('a pass\tphrase  42x b')).toBe(
      `a ${REDACTED} b`
    )
    expect(new Redactor(['ab1']).redact('a b 1')).toBe('a b 1')
  })

  it('matches in linear time on hostile text', () => {
    const text = `${'s k _ l i v e _ 0 1 2 3 '.repeat(20_000)}!`
    const started = Date.now()
    r.redact(text)
    expect(Date.now() - started).toBeLessThan(1000)
  })
})

describe('headers for protected deployments', () => {
  it('treats the Access service token and the Vercel bypass as secrets in any case', () => {
    for (const name of [
      'cf-access-client-id',
      'CF-ACCESS-CLIENT-ID',
      ' Cf-Access-Client-Id ',
      'cf-access-client-secret',
      'X-VERCEL-PROTECTION-BYPASS',
      'X-Vercel-Protection-Bypass'
    ])
      expect(isSecretHeader(name, 'x7y8')).toBe(true)
  })

  it('does not mask the public flag of x-vercel-set-bypass-cookie (masking "true" blanks every "true")', () => {
    expect(isSecretHeader('x-vercel-set-bypass-cookie', 'true')).toBe(false)
    expect(isSecretHeader('X-Vercel-Set-Bypass-Cookie', 'SameSiteNone')).toBe(false)
    // Any other value in it is treated as a secret, as its name says.
    expect(isSecretHeader('x-vercel-set-bypass-cookie', 'abcd')).toBe(true)
  })

  it('finds every protection secret in raw headers, whatever the case of the name', () => {
    const raw = {
      headers: [
        'cf-access-client-id: 0123abcd.access',
        'CF-ACCESS-CLIENT-SECRET: s3cr3t-value',
        'x-Vercel-Protection-Bypass: byp4ss',
        'x-vercel-set-bypass-cookie: true'
      ].join('\n')
    }
    expect(rawSecrets(raw)).toEqual(['0123abcd.access', 's3cr3t-value', 'byp4ss'])
  })
})

describe('Redactor, a key echoed in another case', () => {
  const KEY = 'sk_live_9fQz7TopSecret42'
  const r = new Redactor([KEY])

  it('redacts it upper-cased, lower-cased and in mixed case, raw and JSON-escaped', () => {
    for (const form of [
      KEY.toUpperCase(),
      KEY.toLowerCase(),
      'SK_LIVE_9fqZ7topsecret42',
      JSON.stringify(`"${KEY.toUpperCase()}"`)
    ])
      expect(r.redact(`invalid key ${form} given`)).not.toMatch(/9fqz7topsecret42/i)
    // The runner masks the upper-cased form too.
    expect(r.secrets).toContain(KEY.toUpperCase())
  })

  it('leaves a short secret alone in another case: it would blank ordinary words', () => {
    const short = new Redactor(['Ab12'])
    expect(short.redact('Ab12 ab12 AB12')).toBe('*** ab12 AB12')
  })
})
