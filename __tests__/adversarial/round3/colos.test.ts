/**
 * Round 3: where the warm landed (colos from cf-ray) must not claim a colo that nothing warmed.
 * The action (src/main.ts, the fixture @actions/core) against support/edge-server.ts, a local
 * server that answers like a Worker behind Cloudflare.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startEdge, type EdgeOptions, type EdgeServer } from '../../support/edge-server.js'
import { runMain } from '../../support/adversarial.js'

jest.unstable_mockModule('@actions/core', () => import('../../fixtures/core.js'))
const core = await import('../../fixtures/core.js')
const { run } = await import('../../../src/main.js')

const KEY = 'edge-r3-key-5b8d2e6f91'
let dir: string
let edge: EdgeServer | undefined

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'adv3-colos-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await edge?.close()
  edge = undefined
})

async function go(opts: EdgeOptions, inputs: Record<string, string>, key = KEY) {
  edge = await startEdge({ key: KEY, ...opts })
  return runMain(
    core,
    run,
    { url: edge.origin, 'api-key': key, retries: '0', timeout: '5s', ...inputs },
    { dir, limitMs: 10_000 }
  )
}

const ENDPOINTS = 'critical:\n  - /api/a\n  - /api/b'

describe('colos count only answers that warmed', () => {
  it('a run whose every answer is the old version does not say it warmed SJC', async () => {
    const a = await go(
      { isolate: () => ({ version: 'v1', colo: 'SJC' }) },
      { endpoints: ENDPOINTS, 'expect-version': 'header:X-Worker-Version=v2' }
    )
    expect(a.outputs.result).toBe('failed')
    expect(a.outputs.colos).toBe('')
    expect(a.report).not.toHaveProperty('colos')
    expect([a.summary, a.logs.join('\n')].join('\n')).not.toContain('Warmed in')
    // Each answer still says where it came from, for the diagnosis.
    const eps = a.report!.tiers.flatMap((t: { endpoints: { colo?: string }[] }) => t.endpoints)
    expect(eps.map((e: { colo?: string }) => e.colo)).toEqual(['SJC', 'SJC'])
  })

  it('a refused key (401 from every endpoint in FRA) claims no colo', async () => {
    const a = await go(
      { isolate: () => ({ version: 'v2', colo: 'FRA' }) },
      { endpoints: ENDPOINTS },
      'wrong-key-0000000000'
    )
    expect(a.outputs.result).toBe('failed')
    expect(a.outputs.colos).toBe('')
    expect(a.summary).not.toContain('Warmed in')
  })

  it('counts the colo of the answer that warmed, not of the one that failed', async () => {
    // /api/a warms in IAD; /api/b is answered by the old version in EWR.
    const a = await go(
      {
        isolate: (_n, p) =>
          p === '/api/b' ? { version: 'v1', colo: 'EWR' } : { version: 'v2', colo: 'IAD' }
      },
      { endpoints: ENDPOINTS, 'expect-version': 'header:X-Worker-Version=v2' }
    )
    expect(a.outputs.result).toBe('failed')
    // The warm answer of /api/a and its verify answer.
    expect(a.report!.colos).toEqual([{ colo: 'IAD', answers: 2 }])
    expect(a.outputs.colos).toBe('IAD')
    expect(a.summary).toContain('Warmed in IAD:')
  })
})
