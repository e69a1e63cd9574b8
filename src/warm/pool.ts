/**
 * Runs `work` over `items` with at most `concurrency` in flight. Results keep the items' order.
 * Once `signal` aborts, items not yet started are left undefined (the caller marks them skipped).
 */
export async function runPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal
): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = new Array(items.length).fill(undefined)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) {
      const index = next++
      results[index] = await work(items[index] as T, index)
    }
  }
  const size = Math.max(1, Math.min(concurrency, items.length))
  await Promise.all(Array.from({ length: size }, worker))
  return results
}
