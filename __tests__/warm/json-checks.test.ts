import { describe, expect, it } from '@jest/globals'
import {
  checkJson,
  getPath,
  isEmpty,
  placeholderSign,
  saysItFailed,
  show
} from '../../src/warm/json-checks.js'

const DOC = {
  success: true,
  real_data: false,
  data: [{ price: null, name: 'Widget', tags: [] }, { price: 9.5 }],
  meta: { total: 0, empty: {}, blank: '' }
}

describe('getPath', () => {
  it.each([
    ['success', true],
    ['data.0.name', 'Widget'],
    ['data.1.price', 9.5],
    ['data.0.price', null],
    ['meta.total', 0]
  ])('reads %s', (path, value) => {
    expect(getPath(DOC, path)).toEqual({ found: true, value })
  })

  it.each(['missing', 'data.2', 'data.x', 'success.deeper', 'meta.total.x', 'data.-1'])(
    'says %s is not there',
    path => {
      expect(getPath(DOC, path).found).toBe(false)
    }
  )

  it('does not read inherited properties', () => {
    expect(getPath({}, 'constructor').found).toBe(false)
  })

  it('reads through null as missing', () => {
    expect(getPath({ a: null }, 'a.b').found).toBe(false)
  })
})

describe('checkJson', () => {
  it('passes when every check holds', () => {
    expect(
      checkJson(DOC, {
        success: true,
        real_data: false,
        'data.0.name': 'Widget',
        'data.1.price': 9.5,
        'data.0.price': null,
        data: 'non-empty',
        meta: 'exists',
        'meta.total': 'not-null'
      })
    ).toEqual([])
  })

  it('names the path and the value found when a literal differs', () => {
    expect(checkJson({ real_data: false }, { real_data: true })).toEqual([
      '`real_data` was false (expected true)'
    ])
    expect(checkJson({ status: 'stale' }, { status: 'fresh' })).toEqual([
      '`status` was "stale" (expected "fresh")'
    ])
  })

  it('says a path is missing', () => {
    expect(checkJson({ success: true }, { data: 'exists' })).toEqual(['`data` missing'])
    expect(checkJson({ success: true }, { 'data.count': 3 })).toEqual([
      '`data.count` missing (expected 3)'
    ])
  })

  it('says a value is null when it must not be', () => {
    expect(checkJson({ data: [{ price: null }] }, { 'data.0.price': 'not-null' })).toEqual([
      '`data.0.price` is null'
    ])
    expect(checkJson({}, { price: 'not-null' })).toEqual(['`price` missing'])
  })

  it('fails a placeholder {"success": true} with no data on data: non-empty', () => {
    expect(checkJson({ success: true }, { success: true, data: 'non-empty' })).toEqual([
      '`data` missing'
    ])
  })

  it.each([
    [[], '[]'],
    [{}, '{}'],
    ['', '""'],
    [null, 'null']
  ])('calls %p empty', (value, shown) => {
    expect(checkJson({ data: value }, { data: 'non-empty' })).toEqual([
      `\`data\` is empty (${shown})`
    ])
  })

  it.each([[0], [false], [[0]], [{ a: 1 }], ['x']])('does not call %p empty', value => {
    expect(checkJson({ data: value }, { data: 'non-empty' })).toEqual([])
  })

  it('compares strictly: "1" is not 1', () => {
    expect(checkJson({ n: '1' }, { n: 1 })).toEqual(['`n` was "1" (expected 1)'])
  })

  it('reports every failure, in the order written', () => {
    expect(
      checkJson(
        { real_data: false, data: [{ price: null }] },
        {
          real_data: true,
          'data.0.price': 'not-null',
          missing: 'exists'
        }
      )
    ).toEqual([
      '`real_data` was false (expected true)',
      '`data.0.price` is null',
      '`missing` missing'
    ])
  })

  it('checks the top of a document that is not an object', () => {
    expect(checkJson([1, 2], { '0': 1 })).toEqual([])
    expect(checkJson('text', { data: 'exists' })).toEqual(['`data` missing'])
  })
})

describe('show', () => {
  it('shows values as JSON, shortened', () => {
    expect(show(false)).toBe('false')
    expect(show(undefined)).toBe('undefined')
    const long = show('x'.repeat(100))
    expect(long).toHaveLength(60)
    expect(long.endsWith('...')).toBe(true)
  })
})

describe('non-empty, exactly', () => {
  it.each([
    [null, true],
    ['', true],
    ['   ', true],
    [[], true],
    [[null], true],
    [[{}, []], true],
    [{}, true],
    [{ price: null }, true],
    [false, false],
    [0, false],
    ['x', false],
    [[0], false],
    [{ price: 0 }, false],
    [[null, 1], false]
  ])('%j is empty: %s', (value, empty) => {
    expect(isEmpty(value)).toBe(empty)
    expect(checkJson({ v: value }, { v: 'non-empty' })).toHaveLength(empty ? 1 : 0)
  })
})

describe('saysItFailed and placeholderSign', () => {
  it('reads only the top level of an object', () => {
    expect(saysItFailed({ data: { success: false } }, undefined)).toBeUndefined()
    expect(saysItFailed([{ success: false }], undefined)).toBeUndefined()
    expect(saysItFailed('error', undefined)).toBeUndefined()
  })

  it('treats "no error" spellings as no error', () => {
    for (const error of [null, false, 0, '', {}, []])
      expect(saysItFailed({ error, success: true }, undefined)).toBeUndefined()
  })

  it('leaves a field the endpoint checks itself to that check', () => {
    expect(saysItFailed({ ok: false }, { ok: false })).toBeUndefined()
    expect(saysItFailed({ error: 'x' }, { 'error.code': 'exists' })).toBeUndefined()
    expect(saysItFailed({ error: 'x', success: false }, { success: false })).toBeUndefined()
    expect(saysItFailed({ ok: false }, { data: 'exists' })).toContain('`ok` is false')
  })

  it('redacts before it cuts what the server said', () => {
    const key = 'sk_live_0123456789abcdef'
    const said = saysItFailed({ error: `${'x'.repeat(45)}${key}` }, undefined, s =>
      s.split(key).join('***')
    )
    expect(said).not.toContain(key.slice(0, 3))
  })

  it('does not call a real answer a placeholder', () => {
    expect(placeholderSign({ success: true, data: { price: 1 } })).toBeUndefined()
    expect(placeholderSign({ items: [] })).toBeUndefined()
    expect(placeholderSign([])).toBeUndefined()
  })
})

describe('a JSend status that says it failed', () => {
  it.each(['error', 'fail', 'Failed', 'failure'])('status %j fails', status => {
    expect(saysItFailed({ status, message: 'x' }, undefined)).toBe(
      `the answer says it failed: \`status\` is ${JSON.stringify(status)}, message "x"`
    )
  })
  it.each(['ok', 'success', 'healthy', 200])('status %j does not', status => {
    expect(saysItFailed({ status }, undefined)).toBeUndefined()
  })
})
