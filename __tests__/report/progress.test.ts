import { describe, expect, it } from '@jest/globals'
import { ProgressLine, progressText } from '../../src/report/progress.js'

function terminal(columns?: number) {
  const writes: string[] = []
  return { writes, out: { write: (t: string) => writes.push(t), ...(columns ? { columns } : {}) } }
}

describe('progressText', () => {
  it('says done of total, the rate, failures and the time left', () => {
    expect(progressText({ total: 20_000, done: 1200, failed: 3 }, 14_000)).toBe(
      'Warming: 1200/20000 done, 86 req/s, 3 failed, about 3m39s left'
    )
    expect(progressText({ total: 10, done: 0, failed: 0 }, 0)).toBe('Warming: 0/10 done, - req/s')
    expect(progressText({ total: 10, done: 10, failed: 0 }, 2000)).toBe(
      'Warming: 10/10 done, 5.0 req/s'
    )
  })
})

describe('ProgressLine', () => {
  it('redraws in place with \\r at most every 100 ms, and always the last state', () => {
    let now = 0
    const { writes, out } = terminal()
    const line = new ProgressLine(out, { now: () => now })
    const p = { total: 3, done: 0, failed: 0 }
    line.update(p)
    now = 50
    p.done = 1
    line.update(p)
    now = 120
    p.done = 2
    line.update(p)
    now = 130
    p.done = 3
    line.update(p)
    expect(writes).toEqual([
      '\rWarming: 0/3 done, - req/s\x1b[K',
      '\rWarming: 2/3 done, 17 req/s, about 60ms left\x1b[K',
      '\rWarming: 3/3 done, 23 req/s\x1b[K'
    ])
  })

  it('clears only what it drew, and draws again at once after a clear', () => {
    let now = 0
    const { writes, out } = terminal()
    const line = new ProgressLine(out, { now: () => now })
    line.clear()
    expect(writes).toEqual([])
    const p = { total: 5, done: 1, failed: 1 }
    line.update(p)
    line.clear()
    line.clear()
    now = 10
    line.update(p)
    expect(writes).toEqual([
      '\rWarming: 1/5 done, - req/s, 1 failed\x1b[K',
      '\r\x1b[K',
      '\rWarming: 1/5 done, 100 req/s, 1 failed, about 40ms left\x1b[K'
    ])
  })

  it('stays within the terminal width, so \\r rewrites one row', () => {
    const { writes, out } = terminal(20)
    new ProgressLine(out).update({ total: 20_000, done: 0, failed: 0 })
    expect(writes[0]).toBe('\rWarming: 0/20000 do\x1b[K')
  })
})
