/**
 * Every request's objects share one hidden class (V8 map) per kind. Built by object spread
 * (`{ ...base, ...seen }`, `{ ...res, finalUrl }`), each endpoint result and each answer had a
 * map of its own, with its own descriptor array: about 400 bytes an endpoint that stayed in the
 * heap for the whole run (7 MB on 20,000 endpoints, docs/performance.md). V8's
 * %HaveSameMap tells; natives syntax is switched on for this file's own functions only.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { setFlagsFromString } from 'node:v8'
import { runWarm } from '../../src/engine.js'
import type { FollowedResponse } from '../../src/http/redirect.js'
import { sendFollowing } from '../../src/http/redirect.js'
import type { Send } from '../../src/http/send.js'
import { verifyPass } from '../../src/phases/verify.js'
import type { EndpointResult } from '../../src/result.js'
import { openRun, phaseContext } from '../../src/run-context.js'
import { planTiers } from '../../src/warm/plan.js'
import { json, startServer, type LocalServer } from '../support/server.js'
import { settingsFrom } from '../support/settings.js'

setFlagsFromString('--allow-natives-syntax')
// %HaveSameMap parses only in code compiled after the flag is set.
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (
  a: object,
  b: object
) => boolean

/** How many distinct maps `objects` have (1: all share one). */
function maps(objects: readonly object[]): number {
  const kinds: object[] = []
  for (const o of objects) if (!kinds.some(k => haveSameMap(k, o))) kinds.push(o)
  return kinds.length
}

let server: LocalServer
beforeAll(async () => {
  server = await startServer((req, res) =>
    json(res, 200, { success: true, data: { path: req.url } })
  )
})
afterAll(() => server.close())

describe('per-request objects share their hidden classes', () => {
  it('every passed endpoint result, every answer and every verify entry has the same map as the others of its kind', async () => {
    const answers: FollowedResponse[] = []
    const settings = settingsFrom({
      url: server.origin,
      endpoints: JSON.stringify(Array.from({ length: 60 }, (_, i) => `/r/${i}`)),
      concurrency: '8'
    })
    const recording: Send = async (req, opts) => {
      const res = await sendFollowing(req, { ...opts, maxBodyBytes: 1 << 20 })
      answers.push(res)
      return res
    }
    const result = await runWarm(settings, { send: recording })
    const passed: EndpointResult[] = result.tiers.flatMap(t => t.endpoints)
    expect(passed.map(e => e.outcome)).toEqual(Array(60).fill('passed'))
    expect(maps(passed)).toBe(1)
    const run = openRun(settings, { send: recording })
    const verify = await verifyPass(
      planTiers(settings.warm).flatMap(t => t.endpoints),
      passed,
      undefined,
      phaseContext(settings, run)
    )
    run.close()
    const entries = verify.entries
    expect(entries.map(e => e.status)).toEqual(Array(60).fill(200))
    expect(maps(entries)).toBe(1)
    // 60 warming answers, then 60 verify answers.
    expect(answers).toHaveLength(120)
    expect(maps(answers)).toBe(1)
  })
})
