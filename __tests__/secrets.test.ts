import { describe, expect, it } from '@jest/globals'
import { REDACTED, Redactor } from '../src/secrets.js'

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

  it('redacts every string inside a result object, keys and values alike', () => {
    const r = new Redactor(['k3y'])
    const out = r.redactDeep({ reason: 'server said: k3y', nested: [{ k3y: 'x' }], n: 1 })
    expect(JSON.stringify(out)).not.toContain('k3y')
    expect(out.n).toBe(1)
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
