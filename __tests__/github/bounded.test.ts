import { describe, expect, it } from '@jest/globals'
import {
  duration,
  GITHUB_REQUEST_TIMEOUT_MS,
  GitHubTimeoutError,
  makeBudget
} from '../../src/github/bounded.js'

const never = new Promise<never>(() => undefined)
const elapsed = async (work: Promise<unknown>): Promise<number> => {
  const t0 = Date.now()
  await work.catch(() => undefined)
  return Date.now() - t0
}

describe('GitHub request budget', () => {
  it('caps one request at 10 s by default and says so in seconds', () => {
    expect(GITHUB_REQUEST_TIMEOUT_MS).toBe(10_000)
    expect(new GitHubTimeoutError(10_000).message).toBe('GitHub did not answer within 10s')
    expect(duration(1_500)).toBe('1.5s')
    expect(duration(50)).toBe('50ms')
  })

  it('rejects a request that ignores its signal at the timeout, and aborts the signal', async () => {
    const budget = makeBudget({
      endAt: Date.now() + 60_000,
      now: Date.now,
      requestTimeoutMs: 40,
      limit: "the run's deadline"
    })
    let seen: AbortSignal | undefined
    const call = budget.call(({ request }) => {
      seen = request.signal
      return never
    }, 'listing the comments of #42, page 1')
    await expect(call).rejects.toThrow(
      new GitHubTimeoutError(40, 'listing the comments of #42, page 1')
    )
    expect(seen?.aborted).toBe(true)
    expect(seen?.reason).toBeInstanceOf(GitHubTimeoutError)
  })

  it("names the budget's end when that, not the request timeout, cut the call short", async () => {
    const budget = makeBudget({
      endAt: Date.now() + 30,
      now: Date.now,
      requestTimeoutMs: 10_000,
      limit: "the run's deadline"
    })
    const call = budget.call(() => never)
    await expect(call).rejects.toThrow(
      /^GitHub did not answer within \d+ms \(the run's deadline\)$/
    )
    expect(await elapsed(call)).toBeLessThan(1_000)
  })

  it('sends nothing once the budget is spent', async () => {
    let sent = false
    const budget = makeBudget({
      endAt: Date.now() - 1,
      now: Date.now,
      requestTimeoutMs: 10_000,
      limit: 'x'
    })
    await expect(
      budget.call(async () => {
        sent = true
      })
    ).rejects.toThrow('no time was left to ask GitHub (x)')
    expect(sent).toBe(false)
  })

  it('cuts off several calls in a row at the end of the budget, each under its timeout', async () => {
    const budget = makeBudget({
      endAt: Date.now() + 120,
      now: Date.now,
      requestTimeoutMs: 50,
      limit: 'the grace'
    })
    let calls = 0
    // Each call answers just before its own timeout: only the budget as a whole stops the loop.
    const slow = (async () => {
      for (;;)
        await budget.call(() => new Promise(resolve => setTimeout(() => resolve((calls += 1)), 30)))
    })()
    const work = budget.within(slow)
    await expect(work).rejects.toThrow(GitHubTimeoutError)
    expect(await elapsed(work)).toBeLessThan(1_000)
    expect(calls).toBeLessThan(6)
  })

  it('aborts what is still waiting, with the reason given', async () => {
    const budget = makeBudget({
      endAt: Number.POSITIVE_INFINITY,
      now: Date.now,
      requestTimeoutMs: 10_000,
      limit: 'x'
    })
    const call = budget.call(() => never)
    setTimeout(() => budget.abort('given up'), 20)
    await expect(call).rejects.toThrow(/^GitHub did not answer within \d+ms \(given up\)$/)
  })

  it('does not fire at once when there is no deadline (setTimeout would past 2^31 - 1 ms)', async () => {
    const budget = makeBudget({
      endAt: Number.POSITIVE_INFINITY,
      now: Date.now,
      requestTimeoutMs: 10_000,
      limit: 'x'
    })
    const answer = new Promise(resolve => setTimeout(() => resolve('answered'), 30))
    await expect(budget.within(budget.call(() => answer))).resolves.toBe('answered')
  })
})
