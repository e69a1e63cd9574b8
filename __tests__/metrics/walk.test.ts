import { describe, expect, it } from '@jest/globals'
import { MAX_WALK_DEPTH, walkLeaves, type Leaf } from '../../src/metrics/walk.js'

function leaves(doc: unknown, arrayItems?: number): Leaf[] {
  const out: Leaf[] = []
  walkLeaves(doc, leaf => void out.push(leaf), arrayItems !== undefined ? { arrayItems } : {})
  return out
}

describe('walkLeaves', () => {
  it('visits every leaf in document order, arrays by index, items keeping their array key', () => {
    expect(leaves({ a: 1, b: { c: null, d: [5, { e: 'x' }] }, f: true })).toEqual([
      { path: 'a', key: 'a', value: 1 },
      { path: 'b.c', key: 'c', value: null },
      { path: 'b.d.0', key: 'd', value: 5 },
      { path: 'b.d.1.e', key: 'e', value: 'x' },
      { path: 'f', key: 'f', value: true }
    ])
  })

  it('takes only the first items of an array when asked', () => {
    expect(leaves({ list: [1, 2, 3, 4] }, 2).map(l => l.path)).toEqual(['list.0', 'list.1'])
  })

  it('stops when the visitor says so', () => {
    const seen: string[] = []
    walkLeaves({ a: 1, b: 2, c: 3 }, ({ path }) => {
      seen.push(path)
      return path !== 'b'
    })
    expect(seen).toEqual(['a', 'b'])
  })

  it(`reads ${MAX_WALK_DEPTH} levels down and leaves out what is deeper`, () => {
    let doc: unknown = 'leaf'
    for (let i = 0; i < MAX_WALK_DEPTH; i++) doc = { a: doc }
    expect(leaves(doc)).toHaveLength(1)
    expect(leaves({ a: doc })).toEqual([])
  })

  it('hostile: never overflows the stack, whatever the nesting', () => {
    const deep = 100_000
    for (const text of [
      '['.repeat(deep) + ']'.repeat(deep),
      '{"a":'.repeat(deep) + '1' + '}'.repeat(deep),
      '[{"a":'.repeat(deep / 2) + '0.5' + '}]'.repeat(deep / 2)
    ])
      expect(() => leaves(JSON.parse(text))).not.toThrow()
  })
})
