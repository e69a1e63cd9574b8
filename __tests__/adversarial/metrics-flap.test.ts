/**
 * No false green from flapping metrics, end to end: the action (src/main.ts, the fixture
 * @actions/core) against a real deployment on 127.0.0.1 whose metrics endpoint answers from
 * "isolates" that disagree. Only `stable-polls` polls in a row that meet every threshold pass.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  sendJson,
  startHostileServer,
  type HostileServer,
  type Reply
} from '../support/hostile-server.js'
import { runMain } from '../support/adversarial.js'

jest.unstable_mockModule('@actions/core', () => import('../fixtures/core.js'))
const core = await import('../fixtures/core.js')
const { run } = await import('../../src/main.js')

let server: HostileServer
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'adv-flap-'))
  server = await startHostileServer()
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => server.reset())

/** A metrics answer; the request counter moves on every read, as a real one does. */
const metrics =
  (hitRate: (hit: number) => number | string): Reply =>
  (res, ctx) =>
    sendJson(res, 200, {
      cacheStats: { totalRequests: ctx.hits * 10, l2Size: 40, overallHitRate: hitRate(ctx.hits) }
    })

const INPUTS = {
  endpoints: 'critical: [/a]',
  'metrics-path': '/metrics',
  'min-hit-rate': '70%',
  'poll-interval': '40ms',
  'poll-timeout': '600ms'
}

const go = (more: Record<string, string> = {}) =>
  runMain(core, run, { url: server.origin, ...INPUTS, ...more }, { dir, limitMs: 10_000 })

describe('flapping metrics through the whole action', () => {
  it('fails metrics that alternate met and not met (two isolates), naming the flap everywhere', async () => {
    // Hit 1 is the baseline; after it, odd reads come from a cold isolate, even ones a warm one.
    server.set(
      '/metrics',
      metrics(hit => (hit === 1 ? 0 : hit % 2 === 0 ? 0.9 : 0.2))
    )

    const a = await go()

    expect(a.outputs.result).toBe('failed')
    expect(a.outputs['thresholds-met']).toBe('false')
    expect(a.failures).toHaveLength(1)
    const m = a.report!.metrics
    expect(m.met).toBe(false)
    expect(m.stablePolls).toBe(2)
    expect(m.error).toMatch(
      /^every threshold held on \d+ of \d+ poll\(s\) but never 2 polls in a row \(stable-polls\): met on poll \d+, fell back on poll \d+ \(cacheStats\.overallHitRate 20 % < 70 %\): isolates disagreeing, not a warm cache(; met again from poll \d+ when poll-timeout \(600ms\) or the deadline ran out)?$/
    )
    // Each poll is in the report, met and not met in turn.
    const flags = (m.pollLog as { met: boolean }[]).map(p => p.met)
    expect(flags.slice(0, 4)).toEqual([true, false, true, false])
    expect(m.pollLog[0]).toEqual({ poll: 1, values: [0.9], met: true })
    expect(a.report!.phases.find((p: { name: string }) => p.name === 'metrics')).toMatchObject({
      status: 'failed',
      detail: m.error
    })
    expect(a.summary).toContain('isolates disagreeing, not a warm cache')
    expect(a.summary).toContain('Each poll (2 in a row must meet every threshold):')
    expect(a.summary).toContain('| 1 | 90 % | ✅ |\n| 2 | 20 % | ❌ |')
    expect(a.logs.join('\n')).toContain('(all met, 1 of 2 in a row)')
    // Bounded by poll-timeout: the run does not wait for agreement that never comes.
    expect(a.ms).toBeLessThan(5000)
  })

  it('passes metrics that meet every threshold on two polls in a row', async () => {
    server.set(
      '/metrics',
      metrics(hit => (hit === 1 ? 0 : 0.9))
    )

    const a = await go()

    expect(a.failures).toEqual([])
    expect(a.outputs.result).toBe('passed')
    expect(a.outputs['thresholds-met']).toBe('true')
    expect(a.report!.metrics).toMatchObject({ met: true, polls: 2, stablePolls: 2 })
    // The baseline read and exactly two polls.
    expect(server.count('/metrics')).toBe(3)
  })

  it('fails metrics that meet every threshold once and then answer 500', async () => {
    server.set('/metrics', (res, ctx) =>
      ctx.hits <= 2
        ? metrics(hit => (hit === 1 ? 0 : 0.95))(res, ctx)
        : sendJson(res, 500, { error: 'isolate crashed' })
    )

    const a = await go()

    expect(a.outputs.result).toBe('failed')
    expect(a.report!.metrics.met).toBe(false)
    expect(a.report!.metrics.error).toContain(
      'met on poll 1, fell back on poll 2 (the answer was 500'
    )
    expect(a.report!.metrics.error).toContain('the metrics stopped answering')
  })

  it('counts "NN%" on one poll and a 0-1 fraction on the next as met both times', async () => {
    server.set(
      '/metrics',
      metrics(hit => (hit === 1 ? 0 : hit === 2 ? '85%' : 0.85))
    )
    const a = await go()
    expect(a.outputs.result).toBe('passed')
    expect(a.report!.metrics).toMatchObject({ met: true, polls: 2 })
  })

  it('stable-polls: 1 passes on the first poll that meets every threshold, even a flapping one', async () => {
    server.set(
      '/metrics',
      metrics(hit => (hit === 1 ? 0 : hit % 2 === 0 ? 0.9 : 0.2))
    )
    const a = await go({ 'stable-polls': '1' })
    expect(a.outputs.result).toBe('passed')
    expect(a.report!.metrics).toMatchObject({ met: true, polls: 1, stablePolls: 1 })
  })

  it('a bad stable-polls is one line naming the input, before anything is sent', async () => {
    const a = await go({ 'stable-polls': '0' })
    expect(a.failures).toEqual(['stable-polls: 0 is out of range; accepted: 1 to 100'])
    expect(server.requests).toHaveLength(0)
  })
})
