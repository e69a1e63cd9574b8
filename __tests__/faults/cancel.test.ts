/**
 * A cancelled workflow: the runner sends SIGINT (then SIGTERM). The action stops sending, writes
 * the partial summary, outputs and report marked cancelled, and exits non-zero within 2 s,
 * whatever it was doing: waiting on answers that never come, sleeping out a Retry-After, or
 * polling the readiness check.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { startFaultServer, type FaultServer } from '../support/fault-server.js'
import { recordFigures } from '../support/reliability.js'
import { ensureBuilt } from '../support/run-action.js'
import { spawnAction, type Spawned } from '../support/spawn-action.js'

const KEY = 'sk_live_CANCELKEY_0c1d2e3f4a5b'
const EXIT_WITHIN_MS = 2000

let server: FaultServer
let spawned: Spawned | undefined
const figures: Record<string, string | number>[] = []

beforeAll(async () => {
  ensureBuilt()
  server = await startFaultServer({ key: KEY })
})
afterEach(async () => {
  await spawned?.cleanUp()
  spawned = undefined
  server.reset()
})
afterAll(async () => {
  await server.close()
  recordFigures('cancel', {
    section: 'Cancellation',
    note: `dist/index.js killed mid-run; the bound asserted is ${EXIT_WITHIN_MS} ms from the signal to the exit.`,
    rows: figures
  })
})

/** Resolves once the server has seen `n` requests. */
async function requestsSeen(n: number): Promise<void> {
  const until = Date.now() + 10_000
  while (server.requests.length < n) {
    if (Date.now() > until) throw new Error(`only ${server.requests.length} request(s) arrived`)
    await new Promise(r => setTimeout(r, 10))
  }
}

const SLOW = ['/slow-1', '/slow-2', '/slow-3', '/slow-4', '/slow-5', '/slow-6']

describe('cancellation of dist/index.js', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s while answers never come: in-flight stopped, the rest skipped as cancelled, exit 1 within 2 s',
    async signal => {
      for (const p of SLOW) server.set(p, { kind: 'never-starts' })
      spawned = await spawnAction({
        url: server.origin,
        'api-key': KEY,
        endpoints: `critical:\n${SLOW.map(p => `  - ${p}`).join('\n')}`,
        concurrency: '2',
        timeout: '30s',
        deadline: '5m'
      })
      await requestsSeen(2)
      const t0 = Date.now()
      spawned.child.kill(signal)
      const run = await spawned.exited(t0)
      figures.push({
        case: `${signal} mid-warm (answers never come)`,
        exitMs: run.ms,
        code: run.code
      })

      expect(run.ms).toBeLessThan(EXIT_WITHIN_MS)
      expect(run.code).toBe(1)
      expect(server.requests).toHaveLength(2)
      expect(run.outputs).toMatchObject({
        result: 'failed',
        warmed: '0',
        failed: '2',
        skipped: '4'
      })
      const report = run.report as NonNullable<typeof run.report> & { stoppedBy?: string }
      expect(report.result).toBe('failed')
      expect(report.stoppedBy).toBe('cancelled')
      const endpoints = report.tiers.flatMap(t => t.endpoints)
      expect(endpoints.filter(e => e.outcome === 'failed').map(e => e.cause)).toEqual([
        'cancelled',
        'cancelled'
      ])
      for (const e of endpoints.filter(e => e.outcome === 'skipped')) {
        expect(e.cause).toBe('cancelled')
        expect(e.reason).toBe('not sent: the run was cancelled')
      }
      expect(run.summary).toContain('the run was cancelled')
      expect(run.stdout).toMatch(/::error::cache not proven warm: .*stopped: cancelled/)
      expect(run.reportFile + run.summary + run.outputFile + run.stderr).not.toContain(KEY)
    }
  )

  it('SIGINT while sleeping out a Retry-After: the sleep is cut short, exit 1 within 2 s', async () => {
    server.set('/busy', { kind: '429', retryAfter: '50' })
    spawned = await spawnAction({
      url: server.origin,
      'api-key': KEY,
      endpoints: '- /busy\n- /ok',
      concurrency: '1',
      retries: '3',
      deadline: '5m'
    })
    await requestsSeen(1)
    await new Promise(r => setTimeout(r, 200))
    const t0 = Date.now()
    spawned.child.kill('SIGINT')
    const run = await spawned.exited(t0)
    figures.push({ case: 'SIGINT during a 50 s Retry-After', exitMs: run.ms, code: run.code })

    expect(run.ms).toBeLessThan(EXIT_WITHIN_MS)
    expect(run.code).toBe(1)
    expect(server.count('/busy')).toBe(1)
    expect(server.count('/ok')).toBe(0)
    expect(run.outputs.result).toBe('failed')
    const endpoints = run.report!.tiers.flatMap(t => t.endpoints)
    expect(endpoints.find(e => e.path === '/ok')).toMatchObject({
      outcome: 'skipped',
      cause: 'cancelled'
    })
    expect(run.summary).toContain('the run was cancelled')
  })

  it('SIGTERM while waiting for the deployment: nothing warmed, endpoints skipped as cancelled', async () => {
    server.set('/health', { kind: 'never-starts' })
    spawned = await spawnAction({
      url: server.origin,
      'api-key': KEY,
      endpoints: '- /a\n- /b',
      'wait-for': '/health',
      'wait-timeout': '5m',
      'poll-interval': '10s',
      timeout: '30s',
      deadline: '10m'
    })
    await requestsSeen(1)
    const t0 = Date.now()
    spawned.child.kill('SIGTERM')
    const run = await spawned.exited(t0)
    figures.push({
      case: 'SIGTERM while waiting for the deployment',
      exitMs: run.ms,
      code: run.code
    })

    expect(run.ms).toBeLessThan(EXIT_WITHIN_MS)
    expect(run.code).toBe(1)
    expect(server.count('/a') + server.count('/b')).toBe(0)
    const report = run.report as NonNullable<typeof run.report> & { stoppedBy?: string }
    expect(report.stoppedBy).toBe('cancelled')
    for (const e of report.tiers.flatMap(t => t.endpoints))
      expect(e).toMatchObject({ outcome: 'skipped', cause: 'cancelled' })
    expect(report.phases?.find(p => p.name === 'wait')?.detail).toMatch(/cancelled/)
    expect(run.summary).toContain('the run was cancelled')
  })
})
