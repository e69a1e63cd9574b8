/**
 * stable-polls: the metrics pass only when the last `stable-polls` polls all met every
 * threshold. On Workers the counters live in one isolate each, so one poll that meets them can
 * be one isolate's lucky numbers; polls that meet them and fall back are isolates disagreeing.
 */
import { describe, expect, it } from '@jest/globals'
import type { RawInputs } from '../../src/config/settings.js'
import { metricsPhase, pollMetrics, POLL_LOG_END } from '../../src/phases/metrics.js'
import { FakeClock } from '../support/clock.js'
import {
  answer,
  fakeSend,
  inTurn,
  phaseContext,
  phaseSettings,
  T0,
  type Reply
} from '../support/phases.js'

const PATH = '/api/v1/cache/metrics'

const doc = (hitRate: unknown, l2Size = 10) => ({
  cacheStats: { l2Size, overallHitRate: hitRate, totalRequests: l2Size * 3 }
})
const ok = (hitRate: unknown, l2Size = 10) => answer(200, { body: doc(hitRate, l2Size) })

function setup(raw: RawInputs, replies: () => Reply) {
  const settings = phaseSettings({
    'metrics-path': PATH,
    'poll-interval': '5s',
    'poll-timeout': '1m',
    'min-hit-rate': '70%',
    ...raw
  })
  const send = fakeSend((_req, path) => (path === PATH ? replies() : undefined))
  const clock = new FakeClock(T0)
  return { send, clock, ctx: phaseContext(settings, send, clock), target: settings.metrics! }
}

/** Replies that alternate between two answers for as long as they are asked. */
function alternating(a: Reply, b: Reply): () => Reply {
  let n = 0
  return () => (n++ % 2 === 0 ? a : b)
}

describe('stable-polls', () => {
  it('defaults to 2: one poll that meets every threshold is not enough, the next one must too', async () => {
    const { target, ctx, send, clock } = setup({}, () => ok(0.8))

    const m = await pollMetrics(target, undefined, undefined, ctx)

    expect(target.stablePolls).toBe(2)
    expect(m).toMatchObject({ met: true, polls: 2, stablePolls: 2 })
    expect(m.error).toBeUndefined()
    expect(send.calls).toHaveLength(2)
    expect(clock.sleeps).toEqual([5000])
    expect(ctx.lines.slice(-2)).toEqual([
      '  poll 1: cacheStats.overallHitRate=0.8 (all met, 1 of 2 in a row)',
      '  poll 2: cacheStats.overallHitRate=0.8 (all met, 2 of 2 in a row)'
    ])
    expect(metricsPhase(m, 5000)).toMatchObject({
      status: 'passed',
      detail: '1/1 thresholds met after 2 poll(s), the last 2 in a row, hit rate 80 %'
    })
  })

  it('stable-polls: 1 passes on the first poll that meets every threshold, as before', async () => {
    const { target, ctx, send } = setup({ 'stable-polls': '1' }, () => ok(0.8))
    const m = await pollMetrics(target, undefined, undefined, ctx)
    expect(m).toMatchObject({ met: true, polls: 1 })
    expect(send.calls).toHaveLength(1)
    expect(ctx.lines.at(-1)).toBe('  poll 1: cacheStats.overallHitRate=0.8 (all met)')
    expect(metricsPhase(m, 0).detail).toBe('1/1 thresholds met after 1 poll(s), hit rate 80 %')
  })

  it('passes after exactly N polls in a row when stable-polls is N', async () => {
    const { target, ctx, send } = setup({ 'stable-polls': '4' }, () => ok(0.9))
    const m = await pollMetrics(target, undefined, undefined, ctx)
    expect(m).toMatchObject({ met: true, polls: 4 })
    expect(send.calls).toHaveLength(4)
    expect(m.pollLog!.map(p => p.met)).toEqual([true, true, true, true])
  })

  it('a poll that falls short resets the count: met, not met, met, met passes on poll 4', async () => {
    const { target, ctx } = setup({}, inTurn(ok(0.8), ok(0.41), ok(0.8), ok(0.8)))
    const m = await pollMetrics(target, undefined, undefined, ctx)
    expect(m).toMatchObject({ met: true, polls: 4 })
    expect(m.error).toBeUndefined()
    expect(m.pollLog).toEqual([
      { poll: 1, values: [0.8], met: true },
      { poll: 2, values: [0.41], met: false },
      { poll: 3, values: [0.8], met: true },
      { poll: 4, values: [0.8], met: true }
    ])
  })

  it('fails metrics that alternate met and not met until poll-timeout, naming the flap', async () => {
    const { target, ctx, clock } = setup({ 'poll-timeout': '30s' }, alternating(ok(0.41), ok(0.82)))

    const m = await pollMetrics(target, undefined, undefined, ctx)

    // Bounded by poll-timeout: 0, 5, ..., 30 s.
    expect(clock.now() - T0).toBe(30_000)
    expect(m.polls).toBe(7)
    expect(m.met).toBe(false)
    expect(m.error).toBe(
      'every threshold held on 3 of 7 poll(s) but never 2 polls in a row (stable-polls): met on poll 6, fell back on poll 7 (cacheStats.overallHitRate 41 % < 70 %): isolates disagreeing, not a warm cache'
    )
    expect(metricsPhase(m, 30_000)).toMatchObject({ status: 'failed', detail: m.error })
  })

  it('fails when the last poll meets every threshold but time runs out before the next', async () => {
    const { target, ctx } = setup(
      { 'poll-timeout': '10s' },
      inTurn(ok(0.5), ok(0.82), ok(0.5), ok(0.9))
    )
    // Polls at 0, 5 and 10 s: 0.5, 0.82 (met), 0.5 (fell back). Another run: met on the last.
    const m = await pollMetrics(target, undefined, undefined, ctx)
    expect(m.polls).toBe(3)
    expect(m.met).toBe(false)
    expect(m.error).toContain('met on poll 2, fell back on poll 3')

    const late = setup({ 'poll-timeout': '10s' }, inTurn(ok(0.5), ok(0.5), ok(0.9)))
    const l = await pollMetrics(late.target, undefined, undefined, late.ctx)
    expect(l.polls).toBe(3)
    expect(l.met).toBe(false)
    // The final reading meets the threshold; the phase still fails, and says why.
    expect(l.thresholds[0]!.met).toBe(true)
    expect(l.error).toBe(
      'every threshold held on 1 of 3 poll(s) but never 2 polls in a row (stable-polls): met from poll 3 on, and poll-timeout (10s) or the deadline ran out before the polls in a row could show the counters agree'
    )
    expect(metricsPhase(l, 10_000).status).toBe('failed')
  })

  it('fails metrics that meet every threshold once and then answer 500', async () => {
    const { target, ctx } = setup(
      { 'poll-timeout': '20s' },
      inTurn(ok(0.9), answer(500, { statusText: 'Internal Server Error' }))
    )
    const m = await pollMetrics(target, undefined, undefined, ctx)
    expect(m.met).toBe(false)
    expect(m.polls).toBe(5)
    expect(m.error).toBe(
      'every threshold held on 1 of 5 poll(s) but never 2 polls in a row (stable-polls): met on poll 1, fell back on poll 2 (the answer was 500 Internal Server Error): the metrics stopped answering, so the warm is not proven stable'
    )
    expect(m.pollLog![1]).toEqual({
      poll: 2,
      values: [null],
      met: false,
      answer: '500 Internal Server Error'
    })
    expect(metricsPhase(m, 20_000).status).toBe('failed')
  })

  it('counts a "NN%" string on one poll and a 0-1 fraction on the next as met both times', async () => {
    const { target, ctx } = setup({}, inTurn(ok('82%'), ok(0.82), ok(0.1)))
    const m = await pollMetrics(target, undefined, undefined, ctx)
    expect(m).toMatchObject({ met: true, polls: 2 })
    expect(m.pollLog).toEqual([
      { poll: 1, values: [0.82], met: true },
      { poll: 2, values: [0.82], met: true }
    ])
  })

  it('counts a 0-100 number and a 0-1 fraction of the same rate as met consistently', async () => {
    const { target, ctx } = setup({}, inTurn(ok(82), ok(0.82), ok(0.1)))
    const m = await pollMetrics(target, undefined, undefined, ctx)
    expect(m).toMatchObject({ met: true, polls: 2 })
  })

  it('names every threshold a fall-back poll missed, with its value and target', async () => {
    const { target, ctx } = setup(
      { 'poll-timeout': '5s', 'min-cache-size': '10' },
      inTurn(ok(0.9, 12), ok(0.3, 4))
    )
    const m = await pollMetrics(target, undefined, undefined, ctx)
    expect(m.error).toContain(
      'fell back on poll 2 (cacheStats.overallHitRate 30 % < 70 %, cacheStats.l2Size 4 < 10)'
    )
  })

  it('keeps the first and the last 20 polls of a long run in the report, with their numbers', async () => {
    const { target, ctx } = setup(
      { 'poll-timeout': '100s', 'poll-interval': '1s' },
      alternating(ok(0.2), ok(0.9))
    )
    const m = await pollMetrics(target, undefined, undefined, ctx)
    expect(m.polls).toBe(101)
    expect(m.pollLog).toHaveLength(2 * POLL_LOG_END)
    expect(m.pollLog!.slice(0, 2)).toEqual([
      { poll: 1, values: [0.2], met: false },
      { poll: 2, values: [0.9], met: true }
    ])
    expect(m.pollLog![POLL_LOG_END - 1]!.poll).toBe(20)
    expect(m.pollLog![POLL_LOG_END]!.poll).toBe(82)
    expect(m.pollLog!.at(-1)!.poll).toBe(101)
  })

  it('never waits for stability without thresholds: the metrics are read once', async () => {
    const settings = phaseSettings({ 'metrics-path': PATH })
    const send = fakeSend(() => ok(0.9))
    const ctx = phaseContext(settings, send)
    const m = await pollMetrics(settings.metrics!, undefined, undefined, ctx)
    expect(send.calls).toHaveLength(1)
    expect(m.error).toBeUndefined()
  })
})
