import { describe, expect, it } from '@jest/globals'
import { runPool } from '../../src/warm/pool.js'

const tick = (ms = 1): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

describe('runPool', () => {
  it('keeps the results in the order of the items', async () => {
    const out = await runPool([30, 5, 15, 1], 4, async ms => {
      await tick(ms)
      return ms * 2
    })
    expect(out).toEqual([60, 10, 30, 2])
  })

  it('never has more than `concurrency` items in flight, and uses all of them', async () => {
    let inFlight = 0
    let max = 0
    await runPool(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async i => {
        inFlight++
        max = Math.max(max, inFlight)
        await tick(i % 3)
        inFlight--
      }
    )
    expect(max).toBe(3)
  })

  it('starts items in the order they were written', async () => {
    const started: number[] = []
    await runPool([0, 1, 2, 3, 4, 5], 2, async i => {
      started.push(i)
      await tick()
    })
    expect(started).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('copes with more workers than items, and with no items', async () => {
    expect(await runPool([1], 50, async x => x)).toEqual([1])
    expect(await runPool([], 5, async x => x)).toEqual([])
  })

  it('runs one at a time with concurrency 0 or 1', async () => {
    let max = 0
    let inFlight = 0
    const work = async (): Promise<void> => {
      max = Math.max(max, ++inFlight)
      await tick()
      inFlight--
    }
    await runPool([1, 2, 3], 1, work)
    await runPool([1, 2, 3], 0, work)
    expect(max).toBe(1)
  })

  it('starts nothing new once the signal aborts; unstarted items stay undefined', async () => {
    const controller = new AbortController()
    const out = await runPool(
      [0, 1, 2, 3, 4, 5],
      2,
      async i => {
        if (i === 2) controller.abort()
        await tick()
        return i
      },
      controller.signal
    )
    // Items already running finish; the rest are never started.
    expect(out).toEqual([0, 1, 2, undefined, undefined, undefined])
  })

  it('starts nothing when the signal has already aborted', async () => {
    let calls = 0
    const out = await runPool([1, 2], 2, async x => (calls++, x), AbortSignal.abort())
    expect(out).toEqual([undefined, undefined])
    expect(calls).toBe(0)
  })
})
