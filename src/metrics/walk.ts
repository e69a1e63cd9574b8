/**
 * Walks over documents a server sent. A metrics answer is the server's to shape, so nothing
 * here recurses: a JSON nested a hundred thousand deep (which JSON.parse accepts) would
 * otherwise end the run in "Maximum call stack size exceeded". Levels below MAX_WALK_DEPTH are
 * left out; no metrics document worth reading nests that deep.
 */
export const MAX_WALK_DEPTH = 64

export interface Leaf {
  /** Dot path, arrays by index: `shards.0.hitRate`. */
  readonly path: string
  /** The nearest object key: an array item keeps its array's (`shards: [55]` is "shards"). */
  readonly key: string
  readonly value: unknown
}

export interface WalkOptions {
  /** Items of each array visited (default all). */
  readonly arrayItems?: number
}

/**
 * Visits every leaf (a value that is neither an object nor an array) in document order, without
 * recursion and at most MAX_WALK_DEPTH levels down. `visit` returns `false` to stop early.
 */
export function walkLeaves(
  doc: unknown,
  visit: (leaf: Leaf) => boolean | void,
  opts: WalkOptions = {}
): void {
  const stack: { value: unknown; path: string; key: string; depth: number }[] = [
    { value: doc, path: '', key: '', depth: 0 }
  ]
  while (stack.length > 0) {
    const { value, path, key, depth } = stack.pop()!
    if (value !== null && typeof value === 'object') {
      if (depth >= MAX_WALK_DEPTH) continue
      const list = Array.isArray(value)
      const entries: [string, unknown][] = list
        ? value.slice(0, opts.arrayItems ?? value.length).map((v, i) => [String(i), v])
        : Object.entries(value)
      // Pushed in reverse, so they come off the stack in the document's own order.
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i]!
        stack.push({
          value: v,
          path: path ? `${path}.${k}` : k,
          key: list ? key : k,
          depth: depth + 1
        })
      }
    } else if (path !== '') {
      if (visit({ path, key, value }) === false) return
    }
  }
}
