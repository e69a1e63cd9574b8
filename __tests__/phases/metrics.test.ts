import { describe, expect, it } from '@jest/globals'
import type { RawInputs } from '../../src/config/settings.js'
import { NetworkError } from '../../src/http/request.js'
import {
  doubts,
  pollMetrics,
  readMetrics,
  readThreshold,
  type MetricsAnswer
} from '../../src/phases/metrics.js'
import type { VerifyResult } from '../../src/result.js'
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
import { aVerify, aVerifyEntry } from '../support/results.js'

const PATH = '/api/v1/cache/metrics'

function metricsDoc(hitRate: unknown, l2Size: number, totalRequests = l2Size * 2) {
  return { success: true, cacheStats: { totalRequests, l2Size, overallHitRate: hitRate } }
}

function setup(raw: RawInputs, replies: () => Reply, deadlineMs?: number) {
  const settings = phaseSettings({
    'metrics-path': PATH,
    'poll-interval': '5s',
    'poll-timeout': '1m',
    ...raw
  })
  const send = fakeSend((_req, path) => (path === PATH ? replies() : undefined))
  const clock = new FakeClock(T0)
  const ctx = phaseContext(
    settings,
    send,
    clock,
    deadlineMs !== undefined ? { deadlineAt: T0 + deadlineMs } : {}
  )
  return { settings, send, clock, ctx, target: settings.metrics! }
}

const good = (doc: unknown): MetricsAnswer => ({ ok: true, doc, text: '200' })

describe('readMetrics', () => {
  it.each([
    [answer(200, { body: { a: 1 } }), {}, { ok: true, doc: { a: 1 }, text: '200' }],
    [
      answer(401),
      { 'api-key': 'k' },
      { ok: false, text: '401 (the key sent as X-API-Key was refused)' }
    ],
    [answer(403), {}, { ok: false, text: '403 (the key sent as X-API-Key was missing)' }],
    [
      answer(200, { body: '<html>', headers: { 'content-type': 'text/html' } }),
      {},
      { ok: false, text: '200 but not JSON (text/html)' }
    ],
    [answer(200, { body: 'nope' }), {}, { ok: false, text: '200 but not JSON (no content-type)' }],
    [
      answer(503, { statusText: 'Service Unavailable' }),
      {},
      { ok: false, text: '503 Service Unavailable' }
    ]
  ])('describes %#', async (reply, raw, expected) => {
    const { target, ctx } = setup(raw, () => reply)
    expect(await readMetrics(target.target, ctx)).toEqual(expected)
  })

  it('describes a network failure', async () => {
    const { target, ctx } = setup({}, () => new NetworkError('timeout', 'timed out'))
    expect(await readMetrics(target.target, ctx)).toEqual({ ok: false, text: 'timed out' })
  })
})

describe('pollMetrics', () => {
  it('waits for metrics that lag, then passes once every threshold holds', async () => {
    const { target, ctx, clock, send } = setup(
      // About lagging metrics, not stability: one poll that meets them is enough here.
      { 'min-hit-rate': '70%', 'min-cache-size': '6', 'stable-polls': '1' },
      inTurn(
        answer(200, { body: metricsDoc(0, 0) }),
        answer(200, { body: metricsDoc(0.4, 3) }),
        answer(200, { body: metricsDoc(0.75, 5) }),
        answer(200, { body: metricsDoc(0.8, 6) })
      )
    )
    const baseline = good(metricsDoc(0, 0, 0))

    const m = await pollMetrics(target, baseline, undefined, ctx)

    expect(m).toMatchObject({
      path: PATH,
      polls: 4,
      met: true,
      hitRate: 0.8,
      cacheSize: 6,
      baselineAnswer: '200',
      lastAnswer: '200',
      doubts: []
    })
    expect(m.error).toBeUndefined()
    expect(m.thresholds).toEqual([
      {
        text: 'cacheStats.overallHitRate >= 70%',
        path: 'cacheStats.overallHitRate',
        op: '>=',
        target: 0.7,
        rate: true,
        baseline: 0,
        progression: [0, 0.4, 0.75, 0.8],
        final: 0.8,
        scale: '0-1 fraction',
        met: true
      },
      {
        text: 'cacheStats.l2Size >= 6',
        path: 'cacheStats.l2Size',
        op: '>=',
        target: 6,
        rate: false,
        baseline: 0,
        progression: [0, 3, 5, 6],
        final: 6,
        scale: 'number',
        met: true
      }
    ])
    expect(clock.sleeps).toEqual([5000, 5000, 5000])
    expect(send.calls).toHaveLength(4)
    expect(ctx.lines.at(-1)).toBe(
      '  poll 4: cacheStats.overallHitRate=0.8, cacheStats.l2Size=6 (all met)'
    )
  })

  it('fails at poll-timeout, not an interval later, with the last value of the unmet threshold', async () => {
    const { target, ctx, clock } = setup(
      { thresholds: 'cacheStats.l2Size >= 1000', 'poll-timeout': '2s', 'poll-interval': '500ms' },
      () => answer(200, { body: metricsDoc(0.5, 6) })
    )

    const m = await pollMetrics(target, undefined, undefined, ctx)

    expect(m.met).toBe(false)
    expect(m.error).toBeUndefined()
    expect(clock.now() - T0).toBe(2000)
    expect(clock.sleeps).toEqual([500, 500, 500, 500])
    expect(m.polls).toBe(5)
    expect(m.thresholds[0]).toMatchObject({
      met: false,
      final: 6,
      target: 1000,
      progression: [6, 6, 6, 6, 6]
    })
    expect(m.thresholds[0]!.baseline).toBeUndefined()
  })

  it('cuts the last sleep so the last poll is at poll-timeout', async () => {
    const { target, ctx, clock } = setup(
      { thresholds: 'cacheStats.l2Size >= 1000', 'poll-timeout': '12s', 'poll-interval': '5s' },
      () => answer(200, { body: metricsDoc(0.5, 6) })
    )
    await pollMetrics(target, undefined, undefined, ctx)
    expect(clock.sleeps).toEqual([5000, 5000, 2000])
  })

  it('never polls past the run deadline', async () => {
    const { target, ctx, clock } = setup(
      { thresholds: 'cacheStats.l2Size >= 1000' },
      () => answer(200, { body: metricsDoc(0.5, 6) }),
      7000
    )
    await pollMetrics(target, undefined, undefined, ctx)
    expect(clock.now() - T0).toBe(7000)
  })

  it('fails at once when a field is missing from the first good answer, listing the fields there are, closest first', async () => {
    const { target, ctx, clock } = setup(
      { thresholds: 'cacheStats.l2Size >= 1\ncacheStats.hitRatio >= 50%' },
      inTurn(
        answer(503),
        answer(200, {
          body: {
            success: true,
            cacheStats: { l2Size: 4, totalRequests: 9, overallHitRate: 0.5 },
            l1Stats: { hitRate: 0.5 }
          }
        })
      )
    )

    const m = await pollMetrics(target, undefined, undefined, ctx)

    expect(m.polls).toBe(2)
    expect(clock.sleeps).toEqual([5000])
    expect(m.met).toBe(false)
    expect(m.error).toMatch(
      new RegExp(
        `^metrics field cacheStats\\.hitRatio is missing from ${PATH}; fields there: l1Stats\\.hitRate, `
      )
    )
    for (const field of [
      'cacheStats.overallHitRate',
      'cacheStats.l2Size',
      'success',
      'cacheStats.totalRequests'
    ])
      expect(m.error).toContain(field)
    expect(m.thresholds.map(t => t.met)).toEqual([true, false])
    expect(m.thresholds[1]).toMatchObject({ note: 'missing', progression: [null, null] })
  })

  it.each([
    [
      answer(200, { body: '<html>', headers: { 'content-type': 'text/html' } }),
      {},
      '200 but not JSON (text/html)'
    ],
    [answer(502, { statusText: 'Bad Gateway' }), {}, '502 Bad Gateway']
  ])(
    'keeps asking through %#, then fails at poll-timeout describing the last answer',
    async (reply, raw, text) => {
      const { target, ctx, clock } = setup(
        { thresholds: 'cacheStats.l2Size >= 1', 'poll-timeout': '10s', ...raw },
        () => reply
      )

      const m = await pollMetrics(target, undefined, undefined, ctx)

      expect(clock.now() - T0).toBe(10_000)
      expect(m).toMatchObject({ polls: 3, met: false, lastAnswer: text })
      expect(m.error).toBe(`no good answer from ${PATH} in 10s (3 poll(s)): last answer ${text}`)
      expect(m.thresholds[0]).toMatchObject({ progression: [null, null, null], met: false })
    }
  )

  it('recovers when a bad answer is followed by a good one', async () => {
    const { target, ctx } = setup(
      { thresholds: 'cacheStats.l2Size >= 1', 'stable-polls': '1' },
      inTurn(answer(503), answer(502), answer(200, { body: metricsDoc(0.5, 2) }))
    )
    const m = await pollMetrics(target, undefined, undefined, ctx)
    expect(m).toMatchObject({ met: true, polls: 3 })
    expect(m.thresholds[0]!.progression).toEqual([null, null, 2])
  })

  describe('rates compared on one scale, whatever the format', () => {
    const formats: [string, unknown, string][] = [
      ['0-1 fraction', 0.78, '0-1 fraction'],
      ['0-100 number', 78, '0-100 number'],
      ['"NN%" string', '78%', '"NN%" string'],
      ['numeric string', '0.78', '0-1 fraction']
    ]
    const targets = ['0.7', '70%', '70']

    for (const [name, value, scale] of formats) {
      for (const t of targets) {
        it(`metric ${name} ${JSON.stringify(value)} meets threshold ${t}, and says how it read it`, async () => {
          const { target, ctx } = setup({ 'min-hit-rate': t }, () =>
            answer(200, { body: metricsDoc(value, 1) })
          )
          const m = await pollMetrics(target, undefined, undefined, ctx)
          expect(m.met).toBe(true)
          expect(m.thresholds[0]).toMatchObject({ final: 0.78, target: 0.7, scale, met: true })
          expect(m.hitRate).toBeCloseTo(0.78, 10)
        })
      }
      it(`metric ${name} ${JSON.stringify(value)} does not meet 80 %`, async () => {
        const { target, ctx } = setup(
          { thresholds: 'cacheStats.overallHitRate >= 80', 'poll-timeout': '5s' },
          () => answer(200, { body: metricsDoc(value, 1) })
        )
        const m = await pollMetrics(target, undefined, undefined, ctx)
        expect(m.thresholds[0]).toMatchObject({ final: 0.78, target: 0.8, met: false })
      })
    }

    it('reads a perfect bare 1 that nothing settles as 100 %, passes, and says it assumed the scale', async () => {
      const { target, ctx } = setup(
        {
          thresholds: 'cacheStats.overallHitRate >= 0.7',
          'poll-timeout': '5s',
          'stable-polls': '1'
        },
        () => answer(200, { body: metricsDoc(1, 1) })
      )

      const m = await pollMetrics(target, good(metricsDoc(0, 0, 0)), undefined, ctx)

      expect(m).toMatchObject({ met: true, polls: 1, hitRate: 1 })
      expect(m.error).toBeUndefined()
      expect(m.thresholds[0]).toMatchObject({
        final: 1,
        met: true,
        scale: '0-1 fraction',
        scaleAssumed: true
      })
      expect(m.thresholds[0]!.note).toMatch(
        /^read as 0-1 fraction \(assumed: no other value in the answers set the scale/
      )
    })

    it('reads a bare 1 as a fraction after earlier polls of 0.4: passes, saying why', async () => {
      const { target, ctx } = setup(
        { thresholds: 'cacheStats.overallHitRate >= 0.7', 'stable-polls': '1' },
        inTurn(answer(200, { body: metricsDoc(0.4, 1) }), answer(200, { body: metricsDoc(1, 2) }))
      )

      const m = await pollMetrics(target, undefined, undefined, ctx)

      expect(m).toMatchObject({ met: true, polls: 2, hitRate: 1 })
      expect(m.thresholds[0]).toMatchObject({ progression: [0.4, 1], final: 1, met: true })
      expect(m.thresholds[0]!.scaleAssumed).toBeUndefined()
      expect(m.thresholds[0]!.note).toBe(
        'a bare 1 read as a 0-1 fraction (100 %): earlier polls of cacheStats.overallHitRate read 0.4'
      )
    })

    it('hostile: a bare 1 after earlier polls of 40 is 1 %, and never passes 70 %', async () => {
      const { target, ctx } = setup(
        { thresholds: 'cacheStats.overallHitRate >= 70', 'poll-timeout': '15s' },
        inTurn(answer(200, { body: metricsDoc(40, 1) }), answer(200, { body: metricsDoc(1, 2) }))
      )

      const m = await pollMetrics(target, undefined, undefined, ctx)

      expect(m.met).toBe(false)
      expect(m.thresholds[0]).toMatchObject({ progression: [0.4, 0.01, 0.01, 0.01], final: 0.01 })
      expect(m.thresholds[0]!.note).toMatch(/^a bare 1 read on the 0-100 scale \(1 %\)/)
      expect(m.hitRate).toBe(0.01)
    })

    it('hostile: a bare 1 is 1 % when the baseline read the same field as 20 (0-100)', async () => {
      const { target, ctx } = setup(
        { thresholds: 'cacheStats.overallHitRate >= 0.7', 'poll-timeout': '5s' },
        () => answer(200, { body: metricsDoc(1, 2) })
      )

      const m = await pollMetrics(target, good(metricsDoc(20, 1)), undefined, ctx)

      expect(m.met).toBe(false)
      expect(m.thresholds[0]).toMatchObject({ final: 0.01, baseline: 0.2, scale: '0-100 number' })
      expect(m.thresholds[0]!.note).toContain('the baseline read cacheStats.overallHitRate as 20')
    })

    it("hostile: the field's own history outranks the other rates in the answer", async () => {
      const doc = (rate: number) => ({
        cacheStats: { overallHitRate: rate, l2Size: 1 },
        l1Stats: { hitRate: 0.9 }
      })
      const { target, ctx } = setup(
        { thresholds: 'cacheStats.overallHitRate >= 0.7', 'poll-timeout': '5s' },
        inTurn(answer(200, { body: doc(30) }), answer(200, { body: doc(1) }))
      )

      const m = await pollMetrics(target, undefined, undefined, ctx)

      expect(m.thresholds[0]).toMatchObject({ final: 0.01, met: false })
    })

    it('says so when the rate fields of one answer use mixed scales', async () => {
      const doc = {
        cacheStats: { overallHitRate: 85, l2Size: 4 },
        l1Stats: { hitRate: 0.78 }
      }
      const { target, ctx } = setup({ 'min-hit-rate': '70%' }, () => answer(200, { body: doc }))

      const m = await pollMetrics(target, undefined, undefined, ctx)

      expect(m.met).toBe(true)
      expect(m.doubts).toHaveLength(1)
      expect(m.doubts[0]).toMatch(
        /^rate fields in the answer use mixed scales \(l1Stats\.hitRate 0\.78 as a fraction, cacheStats\.overallHitRate 85 on 0-100\)/
      )
    })

    it('reads a bare 1 by the other rates in the same answer', async () => {
      const doc = { cacheStats: { overallHitRate: 1, l2Size: 1 }, l1Stats: { hitRate: 0.5 } }
      const { target, ctx } = setup({ thresholds: 'cacheStats.overallHitRate >= 0.7' }, () =>
        answer(200, { body: doc })
      )

      const m = await pollMetrics(target, undefined, undefined, ctx)

      expect(m.thresholds[0]).toMatchObject({ final: 1, met: true, scale: '0-1 fraction' })
    })

    it('reads a "NN%" string on a field not named like a rate as a rate', async () => {
      const { target, ctx } = setup({ thresholds: 'cache.fill >= 50' }, () =>
        answer(200, { body: { cache: { fill: '60%' } } })
      )

      const m = await pollMetrics(target, undefined, undefined, ctx)

      expect(m.thresholds[0]).toMatchObject({
        final: 0.6,
        target: 0.5,
        rate: true,
        met: true,
        scale: '"NN%" string'
      })
    })

    it('notes a value that is no rate at all', async () => {
      const { target, ctx } = setup({ 'min-hit-rate': '50%', 'poll-timeout': '5s' }, () =>
        answer(200, { body: metricsDoc('warm', 1) })
      )
      const m = await pollMetrics(target, undefined, undefined, ctx)
      expect(m.thresholds[0]).toMatchObject({
        met: false,
        note: '"warm" is not a rate (expected 0.78, 78 or "78%")'
      })
    })
  })

  describe('a refused key (401/403) stops polling at once', () => {
    it.each([
      [
        401,
        { 'api-key': 'k-secret-1' },
        /returned 401 \(unauthorized\): the key sent in header X-API-Key was refused/
      ],
      [
        403,
        { 'api-key': 'k-secret-1' },
        /returned 403 \(forbidden\): the key sent in header X-API-Key was refused/
      ],
      [
        401,
        {},
        /returned 401 \(unauthorized\): no api-key was given, so no X-API-Key header was sent/
      ]
    ])(
      '%d on the first poll: one request, no sleep, words that name the header and not the key',
      async (status, raw, words) => {
        const { target, ctx, clock, send } = setup(
          { thresholds: 'cacheStats.l2Size >= 1', 'poll-timeout': '10m', ...raw },
          () => answer(status, { body: { error: 'Invalid API key' } })
        )

        const m = await pollMetrics(target, undefined, undefined, ctx)

        expect(send.calls).toHaveLength(1)
        expect(clock.sleeps).toEqual([])
        expect(m).toMatchObject({ polls: 1, met: false, keyRefused: true })
        expect(m.error).toMatch(new RegExp(`^GET ${PATH} ${words.source}`))
        expect(m.error).toContain('polling stopped at once')
        expect(m.error).not.toContain('k-secret-1')
        expect(m.thresholds[0]).toMatchObject({ progression: [null], met: false })
      }
    )

    it('hostile: a key refused after good polls is not polled until poll-timeout, nor passed later', async () => {
      const { target, ctx, send } = setup(
        { thresholds: 'cacheStats.l2Size >= 10', 'poll-timeout': '10m' },
        inTurn(
          answer(200, { body: metricsDoc(0.5, 2) }),
          answer(401),
          answer(200, { body: metricsDoc(0.9, 20) })
        )
      )

      const m = await pollMetrics(target, undefined, undefined, ctx)

      expect(send.calls).toHaveLength(2)
      expect(m).toMatchObject({ met: false, keyRefused: true, polls: 2 })
      expect(m.thresholds[0]!.progression).toEqual([2, null])
    })

    it('without thresholds too: the one read is refused, and says so', async () => {
      const { target, ctx } = setup({ 'api-key': 'k' }, () => answer(403))
      const m = await pollMetrics(target, undefined, undefined, ctx)
      expect(m).toMatchObject({ polls: 1, keyRefused: true })
      expect(m.error).toMatch(/returned 403 \(forbidden\)/)
    })

    it('any other failure is not a refusal: no keyRefused', async () => {
      const { target, ctx } = setup({}, () => answer(503))
      const m = await pollMetrics(target, undefined, undefined, ctx)
      expect(m.keyRefused).toBeUndefined()
    })
  })

  describe('hostile: an answer nested 100,000 deep never overflows the stack', () => {
    const deep = 100_000
    const arrays = '['.repeat(deep) + ']'.repeat(deep)
    const objects = '{"a":'.repeat(deep) + '1' + '}'.repeat(deep)
    const json = (text: string) =>
      answer(200, { body: text, headers: { 'content-type': 'application/json' } })

    it.each([
      ['[[[...]]]', arrays],
      ['{"a":{"a":...}}', objects]
    ])(
      '%s as the whole answer: the field is missing, and the fields there are listed',
      async (_n, text) => {
        const { target, ctx } = setup({ 'min-hit-rate': '50%', 'poll-timeout': '5s' }, () =>
          json(text)
        )

        const m = await pollMetrics(target, good(JSON.parse(text)), undefined, ctx)

        expect(m.met).toBe(false)
        expect(m.error).toMatch(/^metrics field cacheStats\.overallHitRate is missing from /)
      }
    )

    it('deep beside the fields: the thresholds are read, and a bare 1 is still read', async () => {
      const text = `{"cacheStats":{"overallHitRate":1,"l2Size":5,"deep":${objects}},"more":${arrays}}`
      const { target, ctx } = setup({ 'min-hit-rate': '50%', 'min-cache-size': '5' }, () =>
        json(text)
      )

      const m = await pollMetrics(target, good(JSON.parse(text)), undefined, ctx)

      expect(m).toMatchObject({ met: true, hitRate: 1, cacheSize: 5 })
      expect(m.error).toBeUndefined()
    })

    it('deep as the threshold field itself: not a number, said in few words', async () => {
      const text = `{"cacheStats":{"overallHitRate":${arrays},"l2Size":${objects}}}`
      const { target, ctx } = setup(
        { 'min-hit-rate': '50%', 'min-cache-size': '5', 'poll-timeout': '5s' },
        () => json(text)
      )

      const m = await pollMetrics(target, undefined, undefined, ctx)

      expect(m.met).toBe(false)
      expect(m.thresholds.map(t => t.note)).toEqual([
        'a list is not a number',
        'an object is not a number'
      ])
      expect(ctx.lines.at(-1)).toBe(
        '  poll 2: cacheStats.overallHitRate=a list, cacheStats.l2Size=an object'
      )
    })
  })

  it('without thresholds reads once, for the outputs', async () => {
    const { target, ctx, send } = setup({}, () => answer(200, { body: metricsDoc('45%', 12) }))

    const m = await pollMetrics(target, undefined, undefined, ctx)

    expect(send.calls).toHaveLength(1)
    expect(m).toMatchObject({ polls: 1, met: true, hitRate: 0.45, cacheSize: 12, thresholds: [] })
  })

  it('without thresholds does not keep polling a failing metrics endpoint', async () => {
    const { target, ctx, send, clock } = setup({}, () => answer(503))

    const m = await pollMetrics(target, undefined, undefined, ctx)

    expect(send.calls).toHaveLength(1)
    expect(clock.sleeps).toEqual([])
    expect(m.error).toBe(`no good answer from ${PATH} (1 poll(s)): last answer 503`)
  })
})

describe('doubts: metrics that look warm for the wrong reason', () => {
  const rate = (op = '>=', target = 0.5) => ({
    text: `cacheStats.overallHitRate ${op} ${target}`,
    path: 'cacheStats.overallHitRate',
    op: op as '>=',
    target,
    rate: true
  })
  const verify = (cached: number, total: number): VerifyResult =>
    aVerify({
      entries: Array.from({ length: total }, (_, i) =>
        aVerifyEntry({ path: `/e${i}`, state: i < cached ? 'cached' : 'not cached' })
      )
    })

  it('has none when the counters moved, the baseline was below target, and verify agrees', () => {
    expect(
      doubts(
        metricsDoc(0.1, 1),
        metricsDoc(0.8, 6),
        [rate()],
        verify(4, 4),
        'cacheStats.overallHitRate'
      )
    ).toEqual([])
  })

  it('says when no counter moved', () => {
    const out = doubts(
      metricsDoc(0.1, 1),
      metricsDoc(0.1, 1),
      [rate('>=', 0.9)],
      undefined,
      'cacheStats.overallHitRate'
    )
    expect(out).toHaveLength(1)
    expect(out[0]).toMatch(
      /^no counter in the metrics moved during the run: the warming requests were not counted/
    )
  })

  it('says when every threshold already held before warming', () => {
    const out = doubts(
      metricsDoc(0.9, 10, 10),
      metricsDoc(0.95, 12, 30),
      [rate()],
      undefined,
      'cacheStats.overallHitRate'
    )
    expect(out).toEqual([
      'every threshold already held before warming began (the baseline), so meeting them proves nothing about this warm'
    ])
  })

  it('says when the hit rate rose while verify found the listed endpoints uncached', () => {
    const out = doubts(
      metricsDoc(0.2, 2),
      metricsDoc(0.9, 4),
      [rate()],
      verify(1, 4),
      'cacheStats.overallHitRate'
    )
    expect(out).toEqual([
      'the hit rate rose (20 % → 90 %) while the verify pass found only 1/4 listed endpoints served from cache: the hits come from something else (a warm-up route that writes and reads back its own test entries inflates the hit rate without warming anything a user requests)'
    ])
  })

  it('uses hit-rate-field when no threshold is a rate', () => {
    const size = {
      text: 'cacheStats.l2Size >= 3',
      path: 'cacheStats.l2Size',
      op: '>=' as const,
      target: 3,
      rate: false
    }
    const out = doubts(
      metricsDoc(20, 2),
      metricsDoc(90, 4),
      [size],
      verify(0, 2),
      'cacheStats.overallHitRate'
    )
    expect(out).toHaveLength(1)
    expect(out[0]).toMatch(/^the hit rate rose \(20 % → 90 %\)/)
  })

  it('needs both a baseline and a final answer', () => {
    expect(doubts(undefined, metricsDoc(0.9, 1), [rate()], verify(0, 3), 'x')).toEqual([])
  })

  it('pollMetrics reports them', async () => {
    const { target, ctx } = setup({ 'min-hit-rate': '50%' }, () =>
      answer(200, { body: metricsDoc(0.9, 10, 10) })
    )
    const m = await pollMetrics(target, good(metricsDoc(0.9, 10, 10)), undefined, ctx)
    expect(m.met).toBe(true)
    expect(m.doubts).toHaveLength(2)
  })
})

describe('readThreshold', () => {
  it('reads a rate by the answer scale, a size as a number', () => {
    const doc = { a: { hitRate: 1, missRate: 40 }, size: '12' }
    expect(
      readThreshold(doc, { text: '', path: 'a.hitRate', op: '>=', target: 0.5, rate: true })
    ).toMatchObject({
      found: true,
      value: 0.01,
      scale: 'percent'
    })
    expect(
      readThreshold(doc, { text: '', path: 'size', op: '>=', target: 5, rate: false })
    ).toMatchObject({ found: true, value: 12 })
    expect(
      readThreshold(doc, { text: '', path: 'nope', op: '>=', target: 5, rate: false })
    ).toEqual({
      found: false,
      raw: undefined,
      note: 'missing'
    })
  })
})
