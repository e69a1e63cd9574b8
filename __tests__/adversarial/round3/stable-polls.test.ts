/**
 * Round 3: stable-polls against settings that can never pass and metrics that agree only on
 * every other poll. The action (src/main.ts, the fixture @actions/core) against a real server on
 * 127.0.0.1.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sendJson, startHostileServer, type HostileServer } from '../../support/hostile-server.js'
import { runMain } from '../../support/adversarial.js'

jest.unstable_mockModule('@actions/core', () => import('../../fixtures/core.js'))
const core = await import('../../fixtures/core.js')
const { run } = await import('../../../src/main.js')

let server: HostileServer
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'adv3-stable-'))
  server = await startHostileServer()
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => {
  server.reset()
  // Healthy metrics: the hit rate meets the threshold on every poll after the baseline.
  server.set('/metrics', (res, ctx) =>
    sendJson(res, 200, {
      cacheStats: { totalRequests: ctx.hits * 10, overallHitRate: ctx.hits === 1 ? 0.05 : 0.9 }
    })
  )
})

const go = (more: Record<string, string>) =>
  runMain(
    core,
    run,
    {
      url: server.origin,
      endpoints: '- /a',
      'metrics-path': '/metrics',
      'min-hit-rate': '70%',
      retries: '0',
      ...more
    },
    { dir, limitMs: 10_000 }
  )

describe('stable-polls that cannot fit in poll-timeout', () => {
  it('is refused in one line before anything is sent, not after the whole warm', async () => {
    // Polls at 0, 10 s and 20 s: three at most, never four in a row.
    const a = await go({ 'stable-polls': '4', 'poll-interval': '10s', 'poll-timeout': '20s' })
    expect(a.failures).toEqual([
      'stable-polls: 4 polls in a row cannot fit in poll-timeout 20s at poll-interval 10s (at most 3 polls); raise poll-timeout to at least 30s or lower stable-polls'
    ])
    expect(a.outputs.result).toBe('failed')
    expect(server.requests).toHaveLength(0)
    expect(a.summary).toContain('Bad input: stable-polls: 4 polls in a row cannot fit')
  })

  it('is accepted when the last poll, at poll-timeout, completes the count, and passes', async () => {
    // Polls at 0, 100 and 200 ms: exactly three, all met.
    const a = await go({ 'stable-polls': '3', 'poll-interval': '100ms', 'poll-timeout': '200ms' })
    expect(a.failures).toEqual([])
    expect(a.outputs.result).toBe('passed')
    expect(a.report!.metrics).toMatchObject({ met: true, polls: 3, stablePolls: 3 })
  })

  it('is not checked without thresholds (the metrics are read once, for the outputs)', async () => {
    const a = await go({
      'min-hit-rate': '',
      'stable-polls': '100',
      'poll-interval': '10s',
      'poll-timeout': '10s'
    })
    expect(a.failures).toEqual([])
    expect(a.outputs.result).toBe('passed')
  })
})
